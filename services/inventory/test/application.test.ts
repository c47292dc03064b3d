import type { Principal } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import { createLogger } from '@nuanyang/logger';
import { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  AdjustmentReason,
  LedgerEntryKind as K,
  RegisterOfferRequest,
  type ReserveRequest,
  ReservationStatus as RS,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { MemoryStore } from '@nuanyang/store';
import { type LotState, SYSTEM, stateViolations } from '../src/domain/ledger';
import { isDue, type ReservationState } from '../src/domain/reservations';
import type { OpenReservations } from '../src/read-model';
import { Reservations, type StepHook } from '../src/reservations';
import { type OfferState, Stock, type WarehouseState } from '../src/stock';

// The application classes over the in-memory store: the saga's steps, crashes between them and what a
// sweeper makes of them, without servers.

const log = createLogger('inventory-test', 'silent');
const STALE_MS = 60_000;
const donor: Principal = { subject: 'u-donor', organisationId: 'org-donor', roles: ['supplier'] };
const operator: Principal = { subject: 'svc-matching', organisationId: 'org-platform', roles: ['operator'] };

/** Stores shared by every "replica" of one test, as the stream is. */
function world() {
  const stores = {
    offers: new MemoryStore<OfferState>('offer'),
    lots: new MemoryStore<LotState>('stock_lot'),
    warehouses: new MemoryStore<WarehouseState>('warehouse'),
  };
  const reservationStore = new MemoryStore<ReservationState>('reservation');
  const reservationIds = new Set<string>();
  // What the open-reservations read model answers, from the reservations' own states.
  const open: OpenReservations = {
    due: async (now, staleBefore, limit) => {
      const heads = await Promise.all([...reservationIds].map((id) => reservationStore.load(id)));
      return heads
        .filter((h) => h && isDue(h.state, now, now.getTime() - staleBefore.getTime()))
        .map((h) => h!.aggregateId)
        .slice(0, limit);
    },
  };
  /** One replica: its own Stock and Reservations (own in-process queues) over the shared stores. */
  const replica = (step?: StepHook) => {
    const stock = new Stock(stores, { list: () => Promise.reject(new Error('not used by these cases')) });
    const reservations = new Reservations(
      reservationStore,
      stock,
      open,
      { ttl: { defaultMs: 30 * 60_000, maxMs: 24 * 3600_000 }, staleAfterMs: STALE_MS, concurrency: 8 },
      log,
      step,
    );
    return { stock, reservations };
  };
  let offers = 0;
  const lots = async (amounts: number[], warehouseId = '') => {
    const res = await replica().stock.registerOffer(offer(`offer-${++offers}`, amounts, warehouseId), donor);
    return res.lots.map((l) => l.id);
  };
  const reserve = (r: Reservations, id: string, lines: [string, number][]) => {
    reservationIds.add(id);
    return r.reserve(request(id, lines), operator);
  };
  const ledger = async (lotId: string) => (await replica().stock.getLot(lotId, true, operator)).ledger;
  /** The kinds of the ledger entries a reservation caused on a lot. */
  const kinds = async (lotId: string, reservationId: string) =>
    (await ledger(lotId))
      .filter((e) => e.reservationId === reservationId)
      .map((e) => K[e.kind].replace('LEDGER_ENTRY_KIND_', ''));
  const lot = async (id: string) => (await stores.lots.loadOrThrow(id)).state;
  return { stores, reservationStore, replica, lots, reserve, ledger, kinds, lot };
}

function offer(key: string, amounts: number[], warehouseId = '') {
  return RegisterOfferRequest.fromPartial({
    idempotencyKey: key,
    lines: amounts.map((amount) => ({
      category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
      itemName: '方便面',
      quantity: { amount, unit: 'box' },
      expiresAt: new Date(Date.now() + 30 * 86400_000),
    })),
    warehouseId,
    pickupLocation: { district: 'yanta', community: '小寨社区', address: '长安中路 1 号' },
  });
}

const request = (id: string, lines: [string, number][]): ReserveRequest => ({
  reservationId: id,
  lines: lines.map(([lotId, quantity]) => ({ lotId, quantity })),
  matchProposalId: id,
  helpRequestId: 'hr-1',
  ttl: undefined,
});

/** Every lot state consistent, and its holds exactly what the active reservations hold on it. */
async function expectBalanced(w: ReturnType<typeof world>, lotIds: string[], active: ReservationState[]) {
  for (const id of lotIds) {
    const s = await w.lot(id);
    expect(stateViolations(s)).toEqual([]);
    const want = active
      .flatMap((r) => r.reservation.lines.map((l) => ({ reservationId: r.reservation.id, ...l })))
      .filter((l) => l.lotId === id)
      .map((l) => ({ reservationId: l.reservationId, quantity: l.quantity }));
    expect(s.holds).toEqual(want);
  }
}

/** A simulated kill -9: the step hook throws, so nothing after that step runs in this "process". */
class Crash extends Error {}
const crashAt =
  (at: string, before: Record<string, () => Promise<void>> = {}): StepHook =>
  async (step) => {
    await before[step]?.();
    if (step === at) throw new Crash(`crashed after ${step}`);
  };

describe('Stock on the in-memory store', () => {
  it('registers an offer once per key: its lots, the event, a replay, and another body refused', async () => {
    const w = world();
    const { stock } = w.replica();
    const req = offer('k-1', [10, 5]);
    const first = await stock.registerOffer(req, donor);
    expect(first.lots.map((l) => [l.id, l.available, l.donorOrganisationId])).toEqual([
      [first.offer!.lotIds[0], 10, 'org-donor'],
      [first.offer!.lotIds[1], 5, 'org-donor'],
    ]);
    expect(await stock.registerOffer(req, donor)).toEqual({ ...first, replayed: true });
    await expect(stock.registerOffer({ ...req, note: 'other' }, donor)).rejects.toMatchObject({
      name: 'IdempotencyKeyReusedError',
    });
    expect(w.stores.offers.events.map((e) => e.subject)).toEqual([SUBJECTS.inventory.offerRegistered]);
    expect(w.stores.lots.events.map((e) => e.subject)).toEqual([
      SUBJECTS.inventory.stockChanged,
      SUBJECTS.inventory.stockChanged,
    ]);
  });

  it("places a warehouse at its first offer's location, and refuses one it does not know", async () => {
    const w = world();
    const { stock } = w.replica();
    await stock.registerOffer(offer('wh-1', [1], 'wh:north.1'), donor);
    const { pickupLocation: _, ...bare } = offer('wh-2', [2], 'wh:north.1');
    const second = await stock.registerOffer({ ...bare, pickupLocation: undefined }, donor);
    expect(second.lots[0]?.location?.district).toBe('yanta');
    await expect(
      stock.registerOffer({ ...bare, idempotencyKey: 'wh-3', warehouseId: 'wh:south' }, donor),
    ).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });

  it('adjusts once per key, and refuses to take more than is available', async () => {
    const w = world();
    const { stock } = w.replica();
    const [lotId] = await w.lots([10]);
    const adjust = {
      lotId: lotId!,
      idempotencyKey: 'adj-1',
      delta: -3,
      reason: AdjustmentReason.ADJUSTMENT_REASON_DAMAGED,
      note: 'wet',
    };
    const first = await stock.adjust(adjust, donor);
    expect(first).toMatchObject({ lot: { available: 7, adjusted: 3 }, replayed: false });
    expect(await stock.adjust(adjust, donor)).toEqual({ ...first, replayed: true });
    await expect(stock.adjust({ ...adjust, delta: -2 }, donor)).rejects.toMatchObject({
      name: 'IdempotencyKeyReusedError',
    });
    await expect(
      stock.adjust({ ...adjust, idempotencyKey: 'adj-2', delta: -8 }, donor),
    ).rejects.toMatchObject({ name: 'FailedPreconditionError' });
  });

  describe('the steps of a reservation on one lot, each applied once (given, when, then)', () => {
    type Step = 'hold' | 'fence' | 'end';
    const table: { given: Step[]; outcome: { kinds: string[]; held: boolean } }[] = [
      { given: ['hold'], outcome: { kinds: ['RESERVED'], held: true } },
      { given: ['hold', 'hold'], outcome: { kinds: ['RESERVED'], held: true } },
      { given: ['fence', 'hold'], outcome: { kinds: [], held: false } },
      { given: ['hold', 'fence'], outcome: { kinds: ['RESERVED'], held: true } },
      {
        given: ['hold', 'end', 'end'],
        outcome: { kinds: ['RESERVED', 'RELEASED'], held: false },
      },
      {
        given: ['hold', 'end', 'hold'],
        outcome: { kinds: ['RESERVED', 'RELEASED'], held: false },
      },
      { given: ['end', 'hold'], outcome: { kinds: ['RESERVED'], held: true } },
    ];
    it.each(table)('given $given: entries $outcome.kinds, held $outcome.held', async ({ given, outcome }) => {
      const w = world();
      const { stock } = w.replica();
      const [lotId] = await w.lots([10]);
      for (const step of given) {
        if (step === 'hold') await stock.hold(lotId!, 'r-1', 4, SYSTEM);
        if (step === 'fence') await stock.fence(lotId!, 'r-1', SYSTEM);
        if (step === 'end') await stock.endHold(lotId!, 'r-1', 'released', SYSTEM, '');
      }
      expect(await w.kinds(lotId!, 'r-1')).toEqual(outcome.kinds);
      const s = await w.lot(lotId!);
      expect(s.holds.length > 0).toBe(outcome.held);
      expect(s.lot.available).toBe(outcome.held ? 6 : 10);
      expect(stateViolations(s)).toEqual([]);
    });
  });

  it('records a refusal as a fence, refuses a fenced reservation for good, and keeps fences out of the ledger', async () => {
    const w = world();
    const { stock } = w.replica();
    const [lotId] = await w.lots([10]);
    await stock.fence(lotId!, 'r-1', SYSTEM);
    expect(await stock.hold(lotId!, 'r-1', 1, SYSTEM)).toMatch(/no longer takes reservation r-1/);
    expect(await stock.hold(lotId!, 'r-2', 11, SYSTEM)).toMatch(/has 10 box available, 11 asked/);
    // r-2 asks again for what would fit now: its refusal stands.
    expect(await stock.hold(lotId!, 'r-2', 1, SYSTEM)).toMatch(/no longer takes reservation r-2/);
    expect(w.stores.lots.history(lotId!).map((c) => c.causedBy)).toEqual([
      'register:offer-1',
      'hold:r-1',
      'hold:r-2',
    ]);
    expect((await w.ledger(lotId!)).map((e) => e.kind)).toEqual([K.LEDGER_ENTRY_KIND_RECEIVED]);
    expect((await w.lot(lotId!)).lot).toMatchObject({ version: 1, available: 10 });
  });
});

describe('Reservations on the in-memory store', () => {
  it('reserves, commits, releases and replays, each once', async () => {
    const w = world();
    const { reservations } = w.replica();
    const [x, y] = await w.lots([10, 10]);
    const first = await w.reserve(reservations, 'r-1', [
      [y!, 2],
      [x!, 3],
    ]);
    expect(first).toMatchObject({ replayed: false, reservation: { status: RS.RESERVATION_STATUS_ACTIVE } });
    const again = await w.reserve(reservations, 'r-1', [
      [x!, 3],
      [y!, 2],
    ]);
    expect(again).toEqual({ ...first, replayed: true });
    await expect(w.reserve(reservations, 'r-1', [[x!, 4]])).rejects.toMatchObject({
      name: 'AlreadyExistsError',
    });
    expect((await reservations.commit('r-1', operator)).status).toBe(RS.RESERVATION_STATUS_COMMITTED);
    expect((await reservations.commit('r-1', operator)).status).toBe(RS.RESERVATION_STATUS_COMMITTED);
    await expect(reservations.release('r-1', 'x', operator)).rejects.toMatchObject({
      name: 'FailedPreconditionError',
    });
    await w.reserve(reservations, 'r-2', [[x!, 1]]);
    expect((await reservations.release('r-2', 'not needed', operator)).releaseReason).toBe('not needed');
    expect(await w.kinds(x!, 'r-1')).toEqual(['RESERVED', 'COMMITTED']);
    expect(await w.kinds(x!, 'r-2')).toEqual(['RESERVED', 'RELEASED']);
    expect((await w.lot(x!)).lot).toMatchObject({ available: 7, reserved: 0, committed: 3 });
    expect(w.reservationStore.events.map((e) => e.subject)).toEqual([
      SUBJECTS.inventory.reservationCreated,
      SUBJECTS.inventory.reservationCommitted,
      SUBJECTS.inventory.reservationCreated,
      SUBJECTS.inventory.reservationReleased,
    ]);
    await expectBalanced(w, [x!, y!], []);
  });

  it('gives back what a refused reservation held and fences the lots it never reached', async () => {
    const w = world();
    const [x, y, z] = await w.lots([10, 10, 10]); // ids sort in line order: taken x, y, z
    // y runs short once x is held: y refuses, z is never asked.
    const shortOfY = crashAt('none', {
      'pending:1': async () => {
        await w.replica().stock.adjust(
          {
            lotId: y!,
            idempotencyKey: 'short',
            delta: -9,
            reason: AdjustmentReason.ADJUSTMENT_REASON_LOST,
            note: 'gone',
          },
          operator,
        );
      },
    });
    const lines: [string, number][] = [
      [x!, 3],
      [y!, 4],
      [z!, 5],
    ];
    await expect(w.reserve(w.replica(shortOfY).reservations, 'r-1', lines)).rejects.toMatchObject({
      name: 'FailedPreconditionError',
      message: expect.stringContaining(`lot ${y} has 1 box available, 4 asked`),
    });
    expect((await w.reservationStore.loadOrThrow('r-1')).state.phase).toBe('failed');
    const entries = async () => [
      await w.kinds(x!, 'r-1'),
      await w.kinds(y!, 'r-1'),
      await w.kinds(z!, 'r-1'),
    ];
    expect(await entries()).toEqual([['RESERVED', 'RELEASED'], [], []]);
    // A driver still taking lots for it (a slow caller, resumed at last) holds nothing anywhere.
    const late = w.replica().stock;
    for (const [lotId, q] of lines) await late.hold(lotId, 'r-1', q, SYSTEM);
    expect(await entries()).toEqual([['RESERVED', 'RELEASED'], [], []]);
    await expectBalanced(w, [x!, y!, z!], []);
  });

  it('lets the sweeper lapse an active reservation past its expiry, once', async () => {
    const w = world();
    const { reservations } = w.replica();
    const [x] = await w.lots([8]);
    const { reservation } = await w.reserve(reservations, 'ttl-1', [[x!, 5]]);
    const after = new Date(new Date(reservation!.expiresAt!).getTime() + 1);
    expect(await reservations.sweep(new Date())).toEqual({ expired: 0, finished: 0 });
    expect(await reservations.sweep(after)).toEqual({ expired: 1, finished: 0 });
    expect(await reservations.sweep(after)).toEqual({ expired: 0, finished: 0 });
    expect(await w.kinds(x!, 'ttl-1')).toEqual(['RESERVED', 'EXPIRED']);
    expect((await w.lot(x!)).lot.available).toBe(8);
  });

  it('never oversells under 200 concurrent reservations from two replicas', async () => {
    const w = world();
    const [a, b] = [w.replica(), w.replica()];
    const [x, y] = await w.lots([150, 40]);
    const asks = Array.from({ length: 200 }, (_, i) => 1 + (i % 4));
    const results = await Promise.allSettled(
      asks.map((q, i) =>
        w.reserve((i % 2 === 0 ? a : b).reservations, `burst-${i}`, [
          [x!, q],
          [y!, 1],
        ]),
      ),
    );
    const granted = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.reservation!] : []));
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ name: 'FailedPreconditionError' });
    }
    const sold = granted.reduce((s, r) => s + r.lines.find((l) => l.lotId === x)!.quantity, 0);
    expect(granted.length).toBeLessThanOrEqual(40);
    expect((await w.lot(x!)).lot).toMatchObject({ reserved: sold, available: 150 - sold });
    const active = await Promise.all(
      granted.map(async (r) => (await w.reservationStore.loadOrThrow(r.id)).state),
    );
    await expectBalanced(w, [x!, y!], active);
  });

  describe('a crash between any two steps, then a sweeper on another replica (given, when, then)', () => {
    type Outcome = 'active' | 'committed' | 'released' | 'expired' | 'failed';
    const table: {
      op: 'reserve' | 'commit' | 'release' | 'expire' | 'refuse';
      crash: string;
      outcome: Outcome;
    }[] = [
      { op: 'reserve', crash: 'pending:0', outcome: 'active' },
      { op: 'reserve', crash: 'pending:1', outcome: 'active' },
      { op: 'reserve', crash: 'pending:2', outcome: 'active' },
      { op: 'commit', crash: 'committing:0', outcome: 'committed' },
      { op: 'commit', crash: 'committing:1', outcome: 'committed' },
      { op: 'commit', crash: 'committing:2', outcome: 'committed' },
      { op: 'release', crash: 'releasing:0', outcome: 'released' },
      { op: 'release', crash: 'releasing:1', outcome: 'released' },
      { op: 'expire', crash: 'expiring:1', outcome: 'expired' },
      { op: 'refuse', crash: 'pending:1', outcome: 'failed' },
      { op: 'refuse', crash: 'failing:0', outcome: 'failed' },
      { op: 'refuse', crash: 'failing:1', outcome: 'failed' },
      { op: 'refuse', crash: 'failing:2', outcome: 'failed' },
    ];
    const ENTRIES: Record<Outcome, [string[], string[]]> = {
      active: [['RESERVED'], ['RESERVED']],
      committed: [
        ['RESERVED', 'COMMITTED'],
        ['RESERVED', 'COMMITTED'],
      ],
      released: [
        ['RESERVED', 'RELEASED'],
        ['RESERVED', 'RELEASED'],
      ],
      expired: [
        ['RESERVED', 'EXPIRED'],
        ['RESERVED', 'EXPIRED'],
      ],
      // The second lot ran short after the first was held: the first is given back, the second never held.
      failed: [['RESERVED', 'RELEASED'], []],
    };

    it.each(table)(
      'given $op crashing after $crash, when swept, then $outcome',
      async ({ op, crash, outcome }) => {
        const w = world();
        const [x, y] = await w.lots([10, 10]);
        const lines: [string, number][] = [
          [x!, 3],
          [y!, 4],
        ];
        // The second lot runs short once the first is held: its hold is refused.
        const runShort = {
          'pending:1': async () => {
            await w.replica().stock.adjust(
              {
                lotId: y!,
                idempotencyKey: 'short',
                delta: -8,
                reason: AdjustmentReason.ADJUSTMENT_REASON_DAMAGED,
                note: '',
              },
              operator,
            );
          },
        };
        const crashing = w.replica(crashAt(crash, op === 'refuse' ? runShort : {}));
        const lapse = new Date(Date.now() + 31 * 60_000); // past the default 30-minute ttl
        if (op === 'reserve' || op === 'refuse') {
          await expect(w.reserve(crashing.reservations, 'r-1', lines)).rejects.toThrow(Crash);
        } else {
          await w.reserve(w.replica().reservations, 'r-1', lines);
          const call = {
            commit: () => crashing.reservations.commit('r-1', operator),
            release: () => crashing.reservations.release('r-1', 'not needed', operator),
            expire: () => crashing.reservations.expire('r-1', lapse),
          }[op];
          await expect(call()).rejects.toThrow(Crash);
        }

        // Another replica's sweeper, once the reservation is stale; then again (a second pass changes nothing).
        const survivor = w.replica();
        const later = new Date((op === 'expire' ? lapse.getTime() : Date.now()) + STALE_MS);
        expect(await survivor.reservations.sweep(later)).toMatchObject({ finished: 1 });
        expect(await survivor.reservations.sweep(later)).toEqual({ expired: 0, finished: 0 });

        const s = (await w.reservationStore.loadOrThrow('r-1')).state;
        expect(s.phase).toBe(outcome);
        const entries = async () => [await w.kinds(x!, 'r-1'), await w.kinds(y!, 'r-1')];
        expect(await entries()).toEqual(ENTRIES[outcome]);
        const active = outcome === 'active' ? [s] : [];
        await expectBalanced(w, [x!, y!], active);
        // A driver still taking lots for it (a slow caller, resumed at last) changes nothing any more, even
        // with stock to spare again.
        await survivor.stock.adjust(
          {
            lotId: y!,
            idempotencyKey: 'restock',
            delta: 10,
            reason: AdjustmentReason.ADJUSTMENT_REASON_COUNT_CORRECTION,
            note: 'found more',
          },
          operator,
        );
        await survivor.stock.hold(x!, 'r-1', 3, SYSTEM);
        await survivor.stock.hold(y!, 'r-1', 4, SYSTEM);
        expect(await entries()).toEqual(ENTRIES[outcome]);
        await expectBalanced(w, [x!, y!], active);
      },
    );
  });
});
