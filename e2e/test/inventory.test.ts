import { type Metadata, status } from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { SUBJECTS, storedEventFilter } from '@nuanyang/bus';
import { FIELD_VIOLATIONS_KEY } from '@nuanyang/grpc-kit';
import { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import { OfferRegistered, ReservationExpired } from '@nuanyang/proto/nuanyang/inventory/v1/events';
import {
  AdjustmentReason,
  LedgerEntryKind as K,
  type LedgerEntry,
  type ReserveRequest,
  ReservationStatus as RS,
  type StockLot,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { type NatsServer, type ServiceProcess, spawnService, startNatsServer } from '@nuanyang/testkit';
import {
  codeOf,
  eventually,
  inventoryClient,
  offerRequest,
  operatorToken,
  serviceToken,
  supplierToken,
  token,
} from './helpers';

type Api = ReturnType<typeof inventoryClient>;
type GrpcError = { code: status; details: string; metadata: Metadata };

/** What a promise rejects with (failing the test if it resolves). */
async function errorOf(p: Promise<unknown>): Promise<GrpcError> {
  try {
    await p;
  } catch (e) {
    return e as GrpcError;
  }
  throw new Error('expected the call to fail');
}

const violatedFields = (e: GrpcError) =>
  (JSON.parse(String(e.metadata.get(FIELD_VIOLATIONS_KEY)[0])) as { field: string }[]).map((v) => v.field);

/**
 * Checks a lot's whole ledger: versions 1..n with no gap, each entry moving the balances exactly as its kind
 * says from the one before, received = available + reserved + committed + adjusted and nothing negative
 * after EVERY entry, and the lot's balances equal to the last entry's.
 */
function expectConsistentLedger(lot: StockLot, ledger: LedgerEntry[]): void {
  expect(ledger.map((e) => e.version)).toEqual(ledger.map((_, i) => i + 1));
  expect(ledger[0]?.kind).toBe(K.LEDGER_ENTRY_KIND_RECEIVED);
  let prev = { available: 0, reserved: 0, committed: 0, adjusted: 0 };
  for (const e of ledger) {
    const after = {
      available: e.availableAfter,
      reserved: e.reservedAfter,
      committed: e.committedAfter,
      adjusted: e.adjustedAfter,
    };
    const q = e.quantity;
    const moved: Record<number, typeof prev> = {
      [K.LEDGER_ENTRY_KIND_RECEIVED]: { available: q, reserved: 0, committed: 0, adjusted: 0 },
      [K.LEDGER_ENTRY_KIND_RESERVED]: { ...prev, available: prev.available - q, reserved: prev.reserved + q },
      [K.LEDGER_ENTRY_KIND_COMMITTED]: {
        ...prev,
        reserved: prev.reserved - q,
        committed: prev.committed + q,
      },
      [K.LEDGER_ENTRY_KIND_RELEASED]: { ...prev, reserved: prev.reserved - q, available: prev.available + q },
      [K.LEDGER_ENTRY_KIND_EXPIRED]: { ...prev, reserved: prev.reserved - q, available: prev.available + q },
      [K.LEDGER_ENTRY_KIND_ADJUSTED]: { ...prev, available: prev.available + q, adjusted: prev.adjusted - q },
    };
    expect({ version: e.version, ...after }).toEqual({ version: e.version, ...moved[e.kind] });
    expect(after.available + after.reserved + after.committed + after.adjusted).toBe(lot.received);
    expect(Math.min(after.available, after.reserved, after.committed)).toBeGreaterThanOrEqual(0);
    prev = after;
  }
  const last = ledger[ledger.length - 1]!;
  expect(lot.version).toBe(last.version);
  expect([lot.available, lot.reserved, lot.committed, lot.adjusted]).toEqual([
    last.availableAfter,
    last.reservedAfter,
    last.committedAfter,
    last.adjustedAfter,
  ]);
}

/** Two replicas of inventory on one database and one NATS, as in a cluster. */
describe('inventory', () => {
  let nats: NatsServer;
  let a: ServiceProcess;
  let b: ServiceProcess;
  let apiA: Api;
  let apiB: Api;
  const database = `test_inventory_${process.pid}`;
  const env = () => ({
    NATS_URL: nats.url,
    MONGO_DATABASE: database,
    SWEEP_INTERVAL_MS: '500',
    STALE_AFTER_MS: '2000',
  });

  beforeAll(async () => {
    nats = await startNatsServer();
    [a, b] = await Promise.all([spawnService('inventory', env()), spawnService('inventory', env())]);
    apiA = inventoryClient(a.address);
    apiB = inventoryClient(b.address);
  });

  afterAll(async () => {
    apiA?.close();
    apiB?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await nats?.stop();
  });

  /** Registers one offer (its lines → lots, in line order) for a donor of its own. */
  async function lots(amounts: number[], donor = `org-donor-${Math.random().toString(36).slice(2, 8)}`) {
    const res = await apiA.registerOffer(
      offerRequest(amounts.map((amount) => ({ quantity: { amount, unit: 'box' } }))),
      { token: supplierToken(donor) },
    );
    return res.lots;
  }

  const reserve = (api: Api, id: string, lines: [string, number][], more: Partial<ReserveRequest> = {}) =>
    api.reserve(
      {
        reservationId: id,
        lines: lines.map(([lotId, quantity]) => ({ lotId, quantity })),
        matchProposalId: id,
        helpRequestId: 'hr-e2e',
        ...more,
      },
      { token: serviceToken, deadlineMs: 60_000 },
    );

  const withLedger = async (lotId: string) => {
    const { lot, ledger } = await apiA.getLot({ id: lotId, includeLedger: true }, { token: operatorToken });
    return { lot: lot!, ledger };
  };

  it('never oversells one lot under 200 concurrent reservations spread over two replicas', async () => {
    const [lot] = await lots([150]);
    const asks = Array.from({ length: 200 }, (_, i) => 1 + (i % 4)); // 500 units asked of 150
    const started = Date.now();
    const results = await Promise.allSettled(
      asks.map((quantity, i) => reserve(i % 2 === 0 ? apiA : apiB, `burst-${i}`, [[lot!.id, quantity]])),
    );
    const elapsedMs = Date.now() - started;

    const granted = asks.filter((_, i) => results[i]!.status === 'fulfilled');
    const refused = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ ask: asks[i]!, err: r.reason }] : [],
    );
    // Every failure is a refusal for lack of stock, naming the lot and what it had; nothing else failed.
    expect(refused.map((r) => (r.err as GrpcError).code)).toEqual(
      refused.map(() => status.FAILED_PRECONDITION),
    );
    for (const r of refused)
      expect((r.err as GrpcError).details).toMatch(new RegExp(`lot ${lot!.id} has \\d+ box available`));
    for (const r of results) {
      if (r.status === 'fulfilled') expect(r.value.reservation?.status).toBe(RS.RESERVATION_STATUS_ACTIVE);
    }

    const sold = granted.reduce((s, q) => s + q, 0);
    const { lot: after, ledger } = await withLedger(lot!.id);
    expect(sold).toBeLessThanOrEqual(150);
    expect(after).toMatchObject({ received: 150, reserved: sold, available: 150 - sold, committed: 0 });
    // No refusal without cause: what is left is less than any refused ask.
    expect(after.available).toBeLessThan(Math.min(...refused.map((r) => r.ask)));
    expect(ledger).toHaveLength(1 + granted.length);
    expect(
      ledger.filter((e) => e.kind === K.LEDGER_ENTRY_KIND_RESERVED).reduce((s, e) => s + e.quantity, 0),
    ).toBe(sold);
    expectConsistentLedger(after, ledger);
    console.log(
      `inventory burst: ${granted.length} reservations granted (${sold} units of 150), ${refused.length} refused, ` +
        `200 calls over 2 replicas in ${elapsedMs} ms; lot at version ${after.version}`,
    );
  });

  it('commits, releases and replays idempotently, on either replica', async () => {
    const [lot] = await lots([10]);
    const first = await reserve(apiA, 'idem-1', [[lot!.id, 4]]);
    expect(first.replayed).toBe(false);
    expect(first.reservation).toMatchObject({
      status: RS.RESERVATION_STATUS_ACTIVE,
      lines: [{ lotId: lot!.id, quantity: 4 }],
    });
    const again = await reserve(apiB, 'idem-1', [[lot!.id, 4]]);
    expect(again).toEqual({ ...first, replayed: true });
    expect(await codeOf(reserve(apiB, 'idem-1', [[lot!.id, 5]]))).toBe(status.ALREADY_EXISTS);

    const committed = await apiA.commitReservation({ reservationId: 'idem-1' }, { token: serviceToken });
    expect(committed.reservation?.status).toBe(RS.RESERVATION_STATUS_COMMITTED);
    expect(await apiB.commitReservation({ reservationId: 'idem-1' }, { token: serviceToken })).toEqual(
      committed,
    );
    expect(
      await codeOf(
        apiB.releaseReservation({ reservationId: 'idem-1', reason: 'x' }, { token: serviceToken }),
      ),
    ).toBe(status.FAILED_PRECONDITION);
    expect((await reserve(apiA, 'idem-1', [[lot!.id, 4]])).reservation?.status).toBe(
      RS.RESERVATION_STATUS_COMMITTED,
    );

    await reserve(apiB, 'idem-2', [[lot!.id, 3]]);
    const released = await apiB.releaseReservation(
      { reservationId: 'idem-2', reason: 'proposal rejected by supplier' },
      { token: serviceToken },
    );
    expect(released.reservation).toMatchObject({
      status: RS.RESERVATION_STATUS_RELEASED,
      releaseReason: 'proposal rejected by supplier',
    });
    expect(
      await apiA.releaseReservation({ reservationId: 'idem-2', reason: 'again' }, { token: serviceToken }),
    ).toEqual(released);
    expect(await codeOf(apiA.commitReservation({ reservationId: 'idem-2' }, { token: serviceToken }))).toBe(
      status.FAILED_PRECONDITION,
    );
    expect(await codeOf(apiA.commitReservation({ reservationId: 'no-such' }, { token: serviceToken }))).toBe(
      status.NOT_FOUND,
    );
    expect(await codeOf(reserve(apiA, 'idem-3', [['no-such-lot', 1]]))).toBe(status.NOT_FOUND);
    // Only operators (matching's service token) move reservations.
    await reserve(apiA, 'idem-4', [[lot!.id, 1]]);
    const bySupplier = apiA.commitReservation({ reservationId: 'idem-4' }, { token: supplierToken('x') });
    expect(await codeOf(bySupplier)).toBe(status.PERMISSION_DENIED);

    const { lot: after, ledger } = await withLedger(lot!.id);
    expect(after).toMatchObject({ available: 5, reserved: 1, committed: 4 });
    expect(ledger.map((e) => [e.kind, e.reservationId, e.quantity])).toEqual([
      [K.LEDGER_ENTRY_KIND_RECEIVED, '', 10],
      [K.LEDGER_ENTRY_KIND_RESERVED, 'idem-1', 4],
      [K.LEDGER_ENTRY_KIND_COMMITTED, 'idem-1', 4],
      [K.LEDGER_ENTRY_KIND_RESERVED, 'idem-2', 3],
      [K.LEDGER_ENTRY_KIND_RELEASED, 'idem-2', 3],
      [K.LEDGER_ENTRY_KIND_RESERVED, 'idem-4', 1],
    ]);
    expect(ledger[4]).toMatchObject({ note: 'proposal rejected by supplier', actorUserId: 'svc-matching' });
    expectConsistentLedger(after, ledger);
  });

  it('lets an uncommitted reservation expire: its stock returns and ReservationExpired is published', async () => {
    const [lot] = await lots([8]);
    const { reservation } = await reserve(apiA, 'ttl-1', [[lot!.id, 5]], { ttl: { seconds: 1, nanos: 0 } });
    expect(reservation?.status).toBe(RS.RESERVATION_STATUS_ACTIVE);
    const ttl = new Date(reservation!.expiresAt!).getTime() - new Date(reservation!.createdAt!).getTime();
    expect(ttl).toBeGreaterThanOrEqual(1000);
    expect(ttl).toBeLessThan(2000);

    const expired = await eventually(
      async () => {
        const r = (await apiB.getReservation({ reservationId: 'ttl-1' }, { token: serviceToken }))
          .reservation;
        const l = (await apiB.getLot({ id: lot!.id, includeLedger: false }, { token: serviceToken })).lot;
        return r?.status === RS.RESERVATION_STATUS_EXPIRED && l?.available === 8 ? r : undefined;
      },
      10_000,
      'the reservation to expire and its stock to return',
    );
    expect(expired.closedAt).toBeDefined();
    expect(await codeOf(apiA.commitReservation({ reservationId: 'ttl-1' }, { token: serviceToken }))).toBe(
      status.FAILED_PRECONDITION,
    );
    const { lot: after, ledger } = await withLedger(lot!.id);
    expect(ledger.map((e) => e.kind)).toEqual([
      K.LEDGER_ENTRY_KIND_RECEIVED,
      K.LEDGER_ENTRY_KIND_RESERVED,
      K.LEDGER_ENTRY_KIND_EXPIRED,
    ]);
    expect(ledger[2]).toMatchObject({ reservationId: 'ttl-1', quantity: 5, actorUserId: '' });
    expectConsistentLedger(after, ledger);

    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const event = await eventually(async () => {
        const m = await jsm.streams.getMessage('NUANYANG_INVENTORY', {
          last_by_subj: storedEventFilter(SUBJECTS.inventory.reservationExpired),
        });
        return m ? ReservationExpired.decode(m.data) : undefined;
      });
      expect(event.reservation).toMatchObject({
        id: 'ttl-1',
        status: RS.RESERVATION_STATUS_EXPIRED,
        matchProposalId: 'ttl-1',
      });
      expect(event.meta).toMatchObject({ aggregateId: 'ttl-1', actorUserId: '' });
    } finally {
      await nc.close();
    }
  });

  it('reserves all lots or none: a refusal on one lot leaves the others as they were', async () => {
    const [first, second] = await lots([10, 2]); // ids sort in line order: the first lot is taken first
    const refusal = await errorOf(
      reserve(apiA, 'multi-1', [
        [second!.id, 3],
        [first!.id, 5],
      ]),
    );
    expect(refusal.code).toBe(status.FAILED_PRECONDITION);
    expect(refusal.details).toContain(`lot ${second!.id} has 2 box available, 3 asked`);
    for (const l of [first!, second!]) expect((await withLedger(l.id)).ledger).toHaveLength(1);
    // Nothing was reserved, so nothing was recorded: asked again, it is considered again.
    expect(await codeOf(apiB.getReservation({ reservationId: 'multi-1' }, { token: serviceToken }))).toBe(
      status.NOT_FOUND,
    );

    const ok = await reserve(apiB, 'multi-2', [
      [first!.id, 4],
      [second!.id, 2],
    ]);
    expect(ok.reservation?.status).toBe(RS.RESERVATION_STATUS_ACTIVE);
    expect((await withLedger(second!.id)).lot.available).toBe(0);
    await apiA.releaseReservation({ reservationId: 'multi-2', reason: 'test' }, { token: serviceToken });
    for (const l of [first!, second!]) {
      const { lot, ledger } = await withLedger(l.id);
      expect(lot.available).toBe(l.received);
      expectConsistentLedger(lot, ledger);
    }
  });

  it('gives back the lots it took when a later lot runs out while reserving', async () => {
    // Six reservations of both lots at once: all see the one unit of the second lot free, all take the first
    // lot (taken first), one gets the second; the others give the first lot's units back.
    const [plenty, one] = await lots([20, 1]);
    const ids = Array.from({ length: 6 }, (_, i) => `race-${i}`);
    const results = await Promise.allSettled(
      ids.map((id, i) =>
        reserve(i % 2 === 0 ? apiA : apiB, id, [
          [plenty!.id, 2],
          [one!.id, 1],
        ]),
      ),
    );
    const won = ids.filter((_, i) => results[i]!.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect((r.reason as GrpcError).code).toBe(status.FAILED_PRECONDITION);
        expect((r.reason as GrpcError).details).toContain(`lot ${one!.id} has 0 box available, 1 asked`);
      }
    }
    const { lot, ledger } = await withLedger(plenty!.id);
    expect(lot).toMatchObject({ available: 18, reserved: 2 });
    expectConsistentLedger(lot, ledger);
    const givenBack = ledger
      .filter((e) => e.kind === K.LEDGER_ENTRY_KIND_RELEASED)
      .map((e) => e.reservationId);
    expect(givenBack.length).toBeGreaterThan(0);
    expect(givenBack).not.toContain(won[0]);
    // Such a refusal is recorded (released, with why), and a repeat answers the same.
    const refused = (await apiA.getReservation({ reservationId: givenBack[0]! }, { token: serviceToken }))
      .reservation;
    expect(refused).toMatchObject({ status: RS.RESERVATION_STATUS_RELEASED });
    expect(refused?.releaseReason).toContain(`refused: lot ${one!.id} has 0 box available`);
    expect(
      await codeOf(
        reserve(apiB, givenBack[0]!, [
          [plenty!.id, 2],
          [one!.id, 1],
        ]),
      ),
    ).toBe(status.FAILED_PRECONDITION);
    expectConsistentLedger((await withLedger(one!.id)).lot, (await withLedger(one!.id)).ledger);
  });

  it('registers an offer once per key, and names every invalid field', async () => {
    const donor = 'org-donor-offer';
    const req = offerRequest([
      {},
      { category: ItemCategory.ITEM_CATEGORY_DRINKING_WATER, itemName: '矿泉水', expiresAt: undefined },
    ]);
    const first = await apiA.registerOffer(req, { token: supplierToken(donor) });
    expect(first.replayed).toBe(false);
    expect(first.lots.map((l) => l.id)).toEqual(first.offer?.lotIds);
    expect(
      first.lots.map((l) => [l.donorOrganisationId, l.received, l.available, l.location?.district]),
    ).toEqual([
      [donor, 10, 10, 'yanta'],
      [donor, 10, 10, 'yanta'],
    ]);
    const retry = await apiB.registerOffer(req, { token: supplierToken(donor, 2) });
    expect(retry).toEqual({ ...first, replayed: true });
    // Lists read the lots' read model, a moment behind the writes.
    const listed = await eventually(async () => {
      const res = await apiB.listStock(
        { donorOrganisationId: donor, category: 0, district: '', availableOnly: false },
        { token: operatorToken },
      );
      return res.lots.length === 2 ? res : undefined;
    });
    expect(listed.lots.map((l) => l.id)).toEqual(first.offer?.lotIds);
    expect(
      await codeOf(
        apiA.registerOffer({ ...req, note: 'a different offer' }, { token: supplierToken(donor) }),
      ),
    ).toBe(status.ALREADY_EXISTS);

    // Published with its lots.
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const m = await jsm.streams.getMessage('NUANYANG_INVENTORY', {
        last_by_subj: storedEventFilter(SUBJECTS.inventory.offerRegistered),
      });
      const e = OfferRegistered.decode(m!.data);
      expect(e.offer?.id).toBe(first.offer?.id);
      expect(e.lots.map((l) => l.id)).toEqual(first.offer?.lotIds);
    } finally {
      await nc.close();
    }

    const bad = offerRequest([
      { quantity: { amount: 0, unit: 'box' }, unitValue: { currencyCode: 'CNY', minorUnits: -5 } },
      { category: ItemCategory.ITEM_CATEGORY_COUNSELLING, expiresAt: new Date(Date.now() - 1000) },
    ]);
    bad.pickupLocation = { district: 'atlantis', community: '', address: '', coordinates: undefined };
    const invalid = await errorOf(apiA.registerOffer(bad, { token: supplierToken(donor) }));
    expect(invalid.code).toBe(status.INVALID_ARGUMENT);
    expect(violatedFields(invalid).sort()).toEqual([
      'lines[0].quantity.amount',
      'lines[0].unit_value.minor_units',
      'lines[1].category',
      'lines[1].expires_at',
      'pickup_location.district',
    ]);
    expect(
      violatedFields(await errorOf(apiA.registerOffer(offerRequest(), { token: operatorToken }))),
    ).toEqual(['donor_organisation_id']);
    expect(await codeOf(apiA.registerOffer(offerRequest(), { token: token('v', 'org-ca', 'viewer') }))).toBe(
      status.PERMISSION_DENIED,
    );
    expect(
      await codeOf(
        apiA.registerOffer(offerRequest([{}], { donorOrganisationId: 'org-else' }), {
          token: supplierToken(donor),
        }),
      ),
    ).toBe(status.PERMISSION_DENIED);
    expect(await codeOf(apiA.registerOffer(offerRequest()))).toBe(status.UNAUTHENTICATED);
  });

  it('lists first expiry first with filters and pages, and audits adjustments', async () => {
    const donor = 'org-donor-list';
    const day = 24 * 3600_000;
    const { lots: made } = await apiA.registerOffer(
      offerRequest([
        { expiresAt: new Date(Date.now() + 3 * day) },
        { expiresAt: undefined, category: ItemCategory.ITEM_CATEGORY_HYGIENE, itemName: '卫生纸' },
        { expiresAt: new Date(Date.now() + day) },
      ]),
      { token: supplierToken(donor) },
    );
    const [in3days, never, in1day] = made;
    const list = (more: object = {}) =>
      apiB.listStock(
        { donorOrganisationId: donor, category: 0, district: '', availableOnly: false, ...more },
        { token: token('viewer', 'org-ca', 'viewer') },
      );
    const ids = async (more: object = {}) => (await list(more)).lots.map((l) => l.id).join(' ');
    // Lists read the lots' read model, a moment behind the writes.
    await eventually(async () =>
      (await ids()) === [in1day!.id, in3days!.id, never!.id].join(' ') ? true : undefined,
    );
    const page1 = await list({ page: { pageSize: 2, pageToken: '' } });
    expect(page1.lots.map((l) => l.id)).toEqual([in1day!.id, in3days!.id]);
    const page2 = await list({ page: { pageSize: 2, pageToken: page1.page!.nextPageToken } });
    expect(page2.lots.map((l) => l.id)).toEqual([never!.id]);
    expect(page2.page?.nextPageToken).toBe('');
    expect((await list({ expiringBefore: new Date(Date.now() + 2 * day) })).lots.map((l) => l.id)).toEqual([
      in1day!.id,
    ]);
    expect((await list({ category: ItemCategory.ITEM_CATEGORY_HYGIENE })).lots.map((l) => l.id)).toEqual([
      never!.id,
    ]);
    expect((await list({ district: 'huyi' })).lots).toEqual([]);

    // A loss, audited with who recorded it; a retry is a replay; it cannot take more than is available.
    const adjust = {
      lotId: in1day!.id,
      idempotencyKey: 'adj-1',
      delta: -3,
      reason: AdjustmentReason.ADJUSTMENT_REASON_DAMAGED,
      note: 'wet',
    };
    const adjusted = await apiA.adjustStock(adjust, { token: supplierToken(donor) });
    expect(adjusted.lot).toMatchObject({ available: 7, adjusted: 3, received: 10 });
    expect(adjusted.entry).toMatchObject({
      kind: K.LEDGER_ENTRY_KIND_ADJUSTED,
      quantity: -3,
      adjustmentReason: AdjustmentReason.ADJUSTMENT_REASON_DAMAGED,
      actorUserId: `supplier-${donor}-1`,
      actorOrganisationId: donor,
    });
    expect(await apiB.adjustStock(adjust, { token: supplierToken(donor) })).toEqual({
      ...adjusted,
      replayed: true,
    });
    expect(await codeOf(apiB.adjustStock({ ...adjust, delta: -2 }, { token: supplierToken(donor) }))).toBe(
      status.ALREADY_EXISTS,
    );
    expect(
      await codeOf(
        apiB.adjustStock({ ...adjust, idempotencyKey: 'adj-2', delta: -8 }, { token: operatorToken }),
      ),
    ).toBe(status.FAILED_PRECONDITION);
    expect(
      await codeOf(
        apiB.adjustStock({ ...adjust, idempotencyKey: 'adj-3' }, { token: supplierToken('org-else') }),
      ),
    ).toBe(status.PERMISSION_DENIED);
    // Another donor sees the lot but not its ledger.
    expect(
      await codeOf(
        apiA.getLot({ id: in1day!.id, includeLedger: true }, { token: supplierToken('org-else') }),
      ),
    ).toBe(status.PERMISSION_DENIED);
    expect(
      (await apiA.getLot({ id: in1day!.id, includeLedger: false }, { token: supplierToken('org-else') })).lot
        ?.available,
    ).toBe(7);

    // available_only leaves out a lot with nothing free.
    await reserve(apiA, 'list-1', [[in3days!.id, 10]]);
    const free = [in1day!.id, never!.id].join(' ');
    await eventually(async () => ((await ids({ availableOnly: true })) === free ? true : undefined));
    // A lot with nothing available or held leaves the live lots: committed in full, it is no longer listed.
    await apiB.commitReservation({ reservationId: 'list-1' }, { token: serviceToken });
    await eventually(async () => ((await ids()) === free ? true : undefined));
    expect((await withLedger(in3days!.id)).lot).toMatchObject({ available: 0, reserved: 0, committed: 10 });
    const { lot, ledger } = await withLedger(in1day!.id);
    expectConsistentLedger(lot, ledger);
  });

  /**
   * kill -9 between two steps of a reservation's saga (PAUSE_AT_STEP stops it after that step and logs it),
   * then a restart: the sweepers resume or compensate it. Afterwards each lot's ledger balances, each step
   * is in it once, and nothing stays held that no active reservation holds.
   */
  it.each([
    { step: 'pending:0', what: 'reserve, intent recorded, no lot held', outcome: 'active' },
    { step: 'pending:1', what: 'reserve, first of two lots held', outcome: 'active' },
    { step: 'pending:2', what: 'reserve, both lots held, not yet decided', outcome: 'active' },
    {
      step: 'pending:1',
      what: 'reserve, first lot held, the second runs short meanwhile',
      outcome: 'refused',
    },
    { step: 'committing:0', what: 'commit decided, no lot committed', outcome: 'committed' },
    { step: 'committing:1', what: 'commit, first of two lots committed', outcome: 'committed' },
  ] as const)(
    'kill -9 at $step ($what), then restart: $outcome, nothing lost, doubled or stuck',
    async ({ step, outcome }) => {
      const id = `kill-${step.replace(':', '-')}-${outcome}`;
      const [x, y] = await lots([10, 10]);
      const lines: [string, number][] = [
        [x!.id, 3],
        [y!.id, 4],
      ];
      const crashing = await spawnService('inventory', { ...env(), PAUSE_AT_STEP: step });
      const api = inventoryClient(crashing.address);
      const call = step.startsWith('pending')
        ? reserve(api, id, lines)
        : reserve(apiA, id, lines).then(() =>
            api.commitReservation({ reservationId: id }, { token: serviceToken, deadlineMs: 60_000 }),
          );
      const settled = call.then(
        () => 'answered',
        () => 'failed',
      );
      await eventually(
        async () => (crashing.logs().includes(`paused at step ${step}`) ? true : undefined),
        20_000,
        `the replica to pause at ${step}`,
      );
      if (outcome === 'refused') {
        await apiA.adjustStock(
          {
            lotId: y!.id,
            idempotencyKey: `${id}-short`,
            delta: -8,
            reason: AdjustmentReason.ADJUSTMENT_REASON_DAMAGED,
            note: '',
          },
          { token: operatorToken },
        );
      }
      await crashing.kill();
      api.close();
      expect(await settled).toBe('failed');
      const restarted = await spawnService('inventory', { ...env(), PAUSE_AT_STEP: undefined });
      const apiR = inventoryClient(restarted.address);
      try {
        const kinds = async (lotId: string) =>
          (await withLedger(lotId)).ledger.filter((e) => e.reservationId === id).map((e) => e.kind);
        const want: Record<typeof outcome, [K[], K[]]> = {
          active: [[K.LEDGER_ENTRY_KIND_RESERVED], [K.LEDGER_ENTRY_KIND_RESERVED]],
          committed: [
            [K.LEDGER_ENTRY_KIND_RESERVED, K.LEDGER_ENTRY_KIND_COMMITTED],
            [K.LEDGER_ENTRY_KIND_RESERVED, K.LEDGER_ENTRY_KIND_COMMITTED],
          ],
          refused: [[K.LEDGER_ENTRY_KIND_RESERVED, K.LEDGER_ENTRY_KIND_RELEASED], []],
        };
        const status = {
          active: RS.RESERVATION_STATUS_ACTIVE,
          committed: RS.RESERVATION_STATUS_COMMITTED,
          refused: RS.RESERVATION_STATUS_RELEASED,
        }[outcome];
        // Resumed or compensated once it is stale (STALE_AFTER_MS): by a sweeper, or by this read.
        const reservation = await eventually(
          async () => {
            const got = [await kinds(x!.id), await kinds(y!.id)];
            const r = (await apiR.getReservation({ reservationId: id }, { token: serviceToken })).reservation;
            return JSON.stringify(got) === JSON.stringify(want[outcome]) && r?.status === status
              ? r
              : undefined;
          },
          20_000,
          `the ${step} reservation to be ${outcome}`,
        );
        if (outcome === 'refused')
          expect(reservation?.releaseReason).toContain(`lot ${y!.id} has 2 box available`);
        const held = { active: [3, 4], committed: [0, 0], refused: [0, 0] }[outcome];
        const committed = { active: [0, 0], committed: [3, 4], refused: [0, 0] }[outcome];
        for (const [i, l] of [x!, y!].entries()) {
          const { lot, ledger } = await withLedger(l.id);
          expect(lot).toMatchObject({ reserved: held[i], committed: committed[i] });
          expectConsistentLedger(lot, ledger);
        }
        if (outcome === 'active') {
          // Resumed to active, it commits once, through the restarted replica.
          await apiR.commitReservation({ reservationId: id }, { token: serviceToken });
          for (const l of [x!, y!]) {
            expect(await kinds(l.id)).toEqual([K.LEDGER_ENTRY_KIND_RESERVED, K.LEDGER_ENTRY_KIND_COMMITTED]);
            const { lot, ledger } = await withLedger(l.id);
            expect(lot.reserved).toBe(0);
            expectConsistentLedger(lot, ledger);
          }
        }
      } finally {
        apiR.close();
        await restarted.stop();
      }
    },
  );

  it('finishes or undoes the reservations a crashed replica left half done', async () => {
    const [x, y] = await lots([40, 40]);
    const crashing = await spawnService('inventory', env());
    const api = inventoryClient(crashing.address);
    const ids = Array.from({ length: 100 }, (_, i) => `crash-${i}`);
    const calls = ids.map((id, i) =>
      reserve(api, id, [
        [x!.id, 1 + (i % 3)],
        [y!.id, 1],
      ]).catch(() => undefined),
    );
    // Kill it mid-burst, as soon as the first reservations are recorded: the rest are at every step of
    // their saga (the kill -9 tests above stop at each step on purpose).
    await eventually(
      async () => {
        const seen = await Promise.all(
          ids.slice(0, 4).map((id) =>
            apiA.getReservation({ reservationId: id }, { token: serviceToken }).then(
              () => true,
              () => false,
            ),
          ),
        );
        return seen.some(Boolean) ? true : undefined;
      },
      20_000,
      'the first reservations on the replica about to crash',
    );
    await crashing.kill();
    api.close();
    await Promise.all(calls);

    // The survivors' sweepers settle what it left: nothing stays pending (each one was finished, or undone
    // if a lot refused), and the lots agree with the reservations that ended up active.
    const settled = await eventually(
      async () => {
        const found = await Promise.all(
          ids.map((id) =>
            apiA.getReservation({ reservationId: id }, { token: serviceToken }).then(
              (r) => r.reservation,
              () => undefined,
            ),
          ),
        );
        return found.every((r) => r === undefined || r.status !== RS.RESERVATION_STATUS_UNSPECIFIED)
          ? found
          : undefined;
      },
      15_000,
      'every reservation of the crashed replica to be settled',
    );
    const active = settled.filter((r) => r?.status === RS.RESERVATION_STATUS_ACTIVE);
    for (const l of [x!, y!]) {
      const { lot, ledger } = await eventually(async () => {
        const got = await withLedger(l.id);
        const held = active.flatMap((r) => r!.lines).filter((line) => line.lotId === l.id);
        return got.lot.reserved === held.reduce((s, line) => s + line.quantity, 0) ? got : undefined;
      });
      expectConsistentLedger(lot, ledger);
    }
    console.log(
      `inventory crash: ${settled.filter(Boolean).length} of 100 reservations recorded when the replica died, ` +
        `${active.length} active after the survivors settled them`,
    );
  });
});
