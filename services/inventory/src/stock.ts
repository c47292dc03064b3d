import { createHash } from 'node:crypto';
import { hasAnyRole, type Principal } from '@nuanyang/auth';
import {
  AlreadyExistsError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  pageOf,
  readPage,
} from '@nuanyang/grpc-kit';
import type { Location } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  AdjustStockRequest,
  type AdjustStockResponse,
  type GetLotResponse,
  type LedgerEntry,
  type ListStockRequest,
  type Offer,
  RegisterOfferRequest,
  type RegisterOfferResponse,
  type StockLot,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import type { AggregateStore, Change } from '@nuanyang/store';
import { KeyedSerial } from './concurrency';
import {
  type Actor,
  adjust,
  endHold,
  type HoldOutcome,
  holdOf,
  type LotState,
  receive,
  reserve,
} from './domain/ledger';
import { validateAdjust, validateRegisterOffer } from './domain/validation';
import { offerRegistered, stockChanged } from './events';

/** An offer as registered, with its lots as they were created (what a retry gets back). */
export interface OfferState {
  offer: Offer;
  lots: StockLot[];
  /** Of the request that registered it, to tell a retry from a reused key. */
  requestHash: string;
}

export const actorOf = (p: Principal): Actor => ({ userId: p.subject, organisationId: p.organisationId });

/** Operators, partners and viewers read every lot's ledger; a supplier only its own lots'. */
const readsEveryLedger = (p: Principal) => hasAnyRole(p, ['operator', 'partner', 'viewer']);

/** The id of the offer an organisation registers with an idempotency key: a retry lands on the same id. */
export function offerId(organisationId: string, idempotencyKey: string): string {
  return `of-${createHash('sha256').update(`${organisationId}\u0000${idempotencyKey}`).digest('hex').slice(0, 24)}`;
}

/** One lot per offer line, in line order. */
export const lotIdOf = (offer: string, line: number) => `${offer}-l${line + 1}`;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Donor offers and the stock lots they create: each lot an append-only ledger whose every version holds the
 * running balances and the entry that led there. Reservations move stock through `hold` and `endHold`.
 */
export class Stock {
  private readonly serial = new KeyedSerial();

  constructor(
    private readonly offers: AggregateStore<OfferState>,
    private readonly lots: AggregateStore<LotState>,
  ) {}

  async registerOffer(req: RegisterOfferRequest, p: Principal): Promise<RegisterOfferResponse> {
    const now = new Date();
    const violations = validateRegisterOffer(req, now);
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    const donor = this.donorOf(req, p);
    const id = offerId(p.organisationId, req.idempotencyKey);
    const hash = sha256(RegisterOfferRequest.encode({ ...req, idempotencyKey: '' }).finish());
    const cause = `register:${req.idempotencyKey}`;

    const earlier = await this.offers.load(id);
    if (earlier) return replayOffer(earlier, hash);

    const location = req.pickupLocation ?? (await this.warehouseLocation(req.warehouseId));
    const actor = actorOf(p);
    const opts = { causedBy: cause, requestHash: hash, actor: p.subject };
    // Lots first, then the offer: OfferRegistered never names a lot that does not exist. A retry after a
    // crash in between finds the lots made already (same ids) and creates the rest and the offer.
    const lots = await Promise.all(
      req.lines.map(async (line, i) => {
        const state = receive(
          {
            id: lotIdOf(id, i),
            offerId: id,
            donorOrganisationId: donor,
            category: line.category,
            itemName: line.itemName.trim(),
            unit: line.quantity?.unit.trim() ?? '',
            unitValue: line.unitValue,
            expiresAt: line.expiresAt,
            location,
            warehouseId: req.warehouseId,
          },
          line.quantity?.amount ?? 0,
          now,
          actor,
        );
        const { change, applied } = await this.lots.create(
          state.lot.id,
          { state, events: [stockChanged(state, actor)] },
          opts,
        );
        if (!applied && change.requestHash !== hash) throw reusedKey();
        return change.state.lot;
      }),
    );
    const offer: Offer = {
      id,
      donorOrganisationId: donor,
      lines: req.lines,
      pickupLocation: location,
      warehouseId: req.warehouseId,
      pickupContact: req.pickupContact,
      note: req.note,
      lotIds: lots.map((l) => l.id),
      registeredAt: now,
    };
    const { change, applied } = await this.offers.create(
      id,
      { state: { offer, lots, requestHash: hash }, events: [offerRegistered(offer, lots, actor)] },
      opts,
    );
    return applied ? { offer, lots, replayed: false } : replayOffer(change, hash);
  }

  /** Suppliers register their own organisation's goods; operators any donor's, named explicitly. */
  private donorOf(req: RegisterOfferRequest, p: Principal): string {
    if (hasAnyRole(p, ['operator'])) {
      if (req.donorOrganisationId === '') {
        throw InvalidArgumentError.field(
          'donor_organisation_id',
          'is required when an operator registers an offer',
        );
      }
      return req.donorOrganisationId;
    }
    if (req.donorOrganisationId !== '' && req.donorOrganisationId !== p.organisationId) {
      throw new PermissionDeniedError('an offer can only be registered for your own organisation');
    }
    return p.organisationId;
  }

  /** Where a warehouse is: the location its earliest lot was registered with. */
  private async warehouseLocation(warehouseId: string): Promise<Location> {
    const [first] = await this.lots.query(
      { 'state.lot.warehouseId': warehouseId, 'state.lot.location.district': { $exists: true } },
      { 'state.lot.receivedAt': 1, _id: 1 },
      1,
    );
    const location = first?.state.lot.location;
    if (!location) {
      throw InvalidArgumentError.field(
        'pickup_location',
        `is required: warehouse ${warehouseId} has no known location yet`,
      );
    }
    return location;
  }

  async lot(id: string): Promise<StockLot | null> {
    return (await this.lots.load(id))?.state.lot ?? null;
  }

  async getLot(id: string, includeLedger: boolean, p: Principal): Promise<GetLotResponse> {
    const change = await this.lots.load(id);
    if (!change) throw new NotFoundError(`lot ${id} not found`);
    const lot = change.state.lot;
    if (!includeLedger) return { lot, ledger: [] };
    if (!readsEveryLedger(p) && lot.donorOrganisationId !== p.organisationId) {
      throw new PermissionDeniedError('suppliers may read the ledger of their own lots only');
    }
    // The ledger is the lot's change history: every version holds the entry that made it.
    const docs = await this.lots.changes
      .find({ aggregateId: id, version: { $lte: lot.version } })
      .sort({ version: 1 })
      .select({ 'state.entry': 1 })
      .lean();
    return { lot, ledger: docs.map((d) => (d.state as { entry: LedgerEntry }).entry) };
  }

  /** Lots matching every filter given, first expiry first (no expiry last). */
  async list(req: ListStockRequest): Promise<{ lots: StockLot[]; nextPageToken: string }> {
    const at = readPage(req.page);
    const query: Record<string, unknown> = {};
    if (req.category) query['state.lot.category'] = req.category;
    if (req.district) query['state.lot.location.district'] = req.district;
    if (req.donorOrganisationId) query['state.lot.donorOrganisationId'] = req.donorOrganisationId;
    const expiry: Record<string, Date> = {};
    // Lots without expiry carry a far-future sort key, so "expiring before" leaves them out.
    if (req.expiringBefore) expiry.$lt = new Date(req.expiringBefore);
    if (req.availableOnly) {
      query['state.lot.available'] = { $gt: 0 };
      expiry.$gt = new Date();
    }
    if (Object.keys(expiry).length > 0) query['state.expirySortKey'] = expiry;
    const rows = await this.lots.query(query, { 'state.expirySortKey': 1, _id: 1 }, at.limit + 1, at.offset);
    const { items, nextPageToken } = pageOf(rows, at);
    return { lots: items.map((r) => r.state.lot), nextPageToken };
  }

  /** A count correction or loss; a retry with the same key returns the first result. */
  async adjust(req: AdjustStockRequest, p: Principal): Promise<AdjustStockResponse> {
    const violations = validateAdjust(req);
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    const existing = await this.lots.load(req.lotId);
    if (!existing) throw new NotFoundError(`lot ${req.lotId} not found`);
    if (!hasAnyRole(p, ['operator']) && existing.state.lot.donorOrganisationId !== p.organisationId) {
      throw new PermissionDeniedError('suppliers may adjust their own lots only');
    }
    const hash = sha256(AdjustStockRequest.encode(req).finish());
    const actor = actorOf(p);
    const { change, applied } = await this.serial.run(req.lotId, () =>
      this.lots.update(
        req.lotId,
        (current) => {
          const next = adjust(current.state, req.delta, req.reason, req.note.trim(), new Date(), actor);
          return { state: next, events: [stockChanged(next, actor)] };
        },
        { causedBy: `adjust:${p.organisationId}:${req.idempotencyKey}`, requestHash: hash, actor: p.subject },
      ),
    );
    if (!applied && change.requestHash !== hash) throw reusedKey();
    return { lot: change.state.lot, entry: change.state.entry, replayed: !applied };
  }

  /**
   * Holds units of a lot for a reservation, at most once while it is open. Each decision runs on the lot's
   * latest version and is appended as the next one, so concurrent replicas never oversell:
   * FAILED_PRECONDITION when fewer are available.
   *
   * A hold is only taken while the reservation is still undecided, asked after reading the lot: a hold can
   * only have ended once the reservation was decided, so a driver that reads the lot after that end also
   * reads the decision, and no late driver can hold again what was already committed or given back.
   */
  async hold(
    lotId: string,
    reservationId: string,
    quantity: number,
    actor: Actor,
    undecided: () => Promise<boolean>,
  ): Promise<void> {
    await this.serial.run(lotId, () =>
      this.lots.update(
        lotId,
        async (current) => {
          if (holdOf(current.state, reservationId) || !(await undecided())) return null;
          const next = reserve(current.state, reservationId, quantity, new Date(), actor);
          return next && { state: next, events: [stockChanged(next, actor)] };
        },
        { actor: actor.userId },
      ),
    );
  }

  /** Ends a reservation's hold on a lot (committed, or back to available); nothing when it holds none. */
  async endHold(lotId: string, reservationId: string, outcome: HoldOutcome, actor: Actor, note: string) {
    await this.serial.run(lotId, () =>
      this.lots.update(
        lotId,
        (current) => {
          const next = endHold(current.state, reservationId, outcome, new Date(), actor, note);
          return next && { state: next, events: [stockChanged(next, actor)] };
        },
        { actor: actor.userId },
      ),
    );
  }
}

const reusedKey = () =>
  new AlreadyExistsError('idempotency_key was already used for a different request; use a new key');

function replayOffer(first: Change<OfferState>, hash: string): RegisterOfferResponse {
  if (first.state.requestHash !== hash) throw reusedKey();
  return { offer: first.state.offer, lots: first.state.lots, replayed: true };
}
