import { createHash } from 'node:crypto';
import { hasAnyRole, type Principal } from '@nuanyang/auth';
import {
  FailedPreconditionError,
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
  type ListStockRequest,
  type Offer,
  RegisterOfferRequest,
  type RegisterOfferResponse,
  type StockLot,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { type Change, type EventStore, IdempotencyKeyReusedError } from '@nuanyang/store';
import { KeyedSerial } from './concurrency';
import {
  type Actor,
  adjust,
  endHold,
  type HoldOutcome,
  holdOf,
  type LotState,
  ledgerOf,
  receive,
  reserve,
} from './domain/ledger';
import { validateAdjust, validateRegisterOffer } from './domain/validation';
import { offerRegistered, stockChanged } from './events';
import type { LotListing } from './read-model';

/** An offer as registered, with its lots as they were created (what a retry gets back). */
export interface OfferState {
  offer: Offer;
  lots: StockLot[];
  /** Of the request that registered it, to tell a retry from a reused key. */
  requestHash: string;
}

/** Where a warehouse is: the pickup location of the first offer registered for it with one. */
export interface WarehouseState {
  warehouseId: string;
  location: Location;
}

/** The stores of stock: offers, lots (each an append-only ledger) and warehouses. */
export interface StockStores {
  offers: EventStore<OfferState>;
  lots: EventStore<LotState>;
  warehouses: EventStore<WarehouseState>;
}

export const actorOf = (p: Principal): Actor => ({ userId: p.subject, organisationId: p.organisationId });

/** Operators, partners and viewers read every lot's ledger; a supplier only its own lots'. */
const readsEveryLedger = (p: Principal) => hasAnyRole(p, ['operator', 'partner', 'viewer']);

const sha256 = (text: string | Uint8Array) => createHash('sha256').update(text).digest('hex');

/** The id of the offer an organisation registers with an idempotency key: a retry lands on the same id. */
export function offerId(organisationId: string, idempotencyKey: string): string {
  return `of-${sha256(`${organisationId}\u0000${idempotencyKey}`).slice(0, 24)}`;
}

/** One lot per offer line, in line order. */
export const lotIdOf = (offer: string, line: number) => `${offer}-l${line + 1}`;

/** Warehouse ids may hold '.' and ':', which aggregate ids (subject tokens) may not. */
const warehouseKey = (warehouseId: string) => `wh-${sha256(warehouseId).slice(0, 32)}`;

/**
 * The causes of a reservation's steps on a lot. Each is applied to a lot at most once, for good: `hold` is
 * either the hold or a fence that refuses any later one, `end` ends the hold. So a step resumed after a
 * crash, or driven twice by racing replicas, changes the lot once.
 */
const holdCause = (reservationId: string) => `hold:${reservationId}`;
const endCause = (reservationId: string) => `end:${reservationId}`;

/**
 * Donor offers and the stock lots they create: each lot an append-only ledger whose every version holds the
 * running balances and the entry that led there. Reservations move stock through `hold`, `fence` and
 * `endHold` (see reservations.ts).
 */
export class Stock {
  private readonly serial = new KeyedSerial();
  private readonly offers: EventStore<OfferState>;
  private readonly lots: EventStore<LotState>;
  private readonly warehouses: EventStore<WarehouseState>;

  constructor(
    stores: StockStores,
    private readonly listing: LotListing,
  ) {
    ({ offers: this.offers, lots: this.lots, warehouses: this.warehouses } = stores);
  }

  async registerOffer(req: RegisterOfferRequest, p: Principal): Promise<RegisterOfferResponse> {
    const now = new Date();
    const violations = validateRegisterOffer(req, now);
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    const donor = this.donorOf(req, p);
    const id = offerId(p.organisationId, req.idempotencyKey);
    const hash = sha256(RegisterOfferRequest.encode({ ...req, idempotencyKey: '' }).finish());

    const earlier = await this.offers.load(id);
    if (earlier) return replayOffer(earlier, hash);

    const location = req.pickupLocation ?? (await this.warehouseLocation(req.warehouseId));
    const actor = actorOf(p);
    const opts = { causedBy: `register:${req.idempotencyKey}`, requestHash: hash, actor };
    // Lots first, then the offer: OfferRegistered never names a lot that does not exist. A retry after a
    // crash in between finds the lots made already (same ids, same cause) and creates the rest and the offer.
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
        const { change } = await this.lots.create(
          state.lot.id,
          { state, events: [stockChanged(state)] },
          opts,
        );
        return change.state.lot;
      }),
    );
    if (req.warehouseId !== '' && req.pickupLocation) {
      // The first offer with a location places the warehouse; later ones find it there.
      await this.warehouses.create(
        warehouseKey(req.warehouseId),
        { state: { warehouseId: req.warehouseId, location: req.pickupLocation }, events: [] },
        { actor },
      );
    }
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
      { state: { offer, lots, requestHash: hash }, events: [offerRegistered(offer, lots)] },
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

  private async warehouseLocation(warehouseId: string): Promise<Location> {
    const known = await this.warehouses.load(warehouseKey(warehouseId));
    if (!known) {
      throw InvalidArgumentError.field(
        'pickup_location',
        `is required: warehouse ${warehouseId} has no known location yet`,
      );
    }
    return known.state.location;
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
    // The ledger is the lot's history: every version holds the entry that made it.
    const history = await this.lots.loadHistory(id);
    return {
      lot,
      ledger: ledgerOf(
        history.map((c) => c.state),
        lot.version,
      ),
    };
  }

  /** Live lots matching every filter given, first expiry first (no expiry last). */
  async list(req: ListStockRequest): Promise<{ lots: StockLot[]; nextPageToken: string }> {
    const at = readPage(req.page);
    const rows = await this.listing.list(req, at.offset, at.limit + 1, new Date());
    const { items, nextPageToken } = pageOf(rows, at);
    return { lots: items, nextPageToken };
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
    const actor = actorOf(p);
    const { change, applied } = await this.serial.run(req.lotId, () =>
      this.lots.update(
        req.lotId,
        (current) => {
          const next = adjust(current.state, req.delta, req.reason, req.note.trim(), new Date(), actor);
          return { state: next, events: [stockChanged(next)] };
        },
        {
          causedBy: `adjust:${p.organisationId}:${req.idempotencyKey}`,
          requestHash: sha256(AdjustStockRequest.encode(req).finish()),
          actor,
        },
      ),
    );
    return { lot: change.state.lot, entry: change.state.entry, replayed: !applied };
  }

  /**
   * Holds units of a lot for a reservation: null once held (now or by an earlier attempt), else why the lot
   * refused (fewer available, expired, or fenced off already). A refusal is recorded as the reservation's
   * hold step on the lot, holding nothing (a fence, see `fence`): whatever a refusal answers, the lot will
   * never hold units for that reservation. Each decision runs on the lot's latest version and is appended as
   * the next one, so concurrent replicas never oversell.
   */
  async hold(lotId: string, reservationId: string, quantity: number, actor: Actor): Promise<string | null> {
    let refusal = `lot ${lotId} no longer takes reservation ${reservationId}: it was refused`;
    const { change } = await this.serial.run(lotId, () =>
      this.lots.update(
        lotId,
        (current) => {
          try {
            const next = reserve(current.state, reservationId, quantity, new Date(), actor);
            return next && { state: next, events: [stockChanged(next)] };
          } catch (err) {
            if (!(err instanceof FailedPreconditionError)) throw err;
            refusal = err.message;
            return { state: current.state, events: [] };
          }
        },
        { causedBy: holdCause(reservationId), actor },
      ),
    );
    return holdOf(change.state, reservationId) ? null : refusal;
  }

  /**
   * Closes a lot to a refused reservation before its holds are given back: records the reservation's hold
   * step on the lot as done without holding anything, unless a hold was recorded first. A driver still
   * taking lots for it (a slow caller, another replica) then finds that step done and holds nothing, so no
   * hold can land after the give-back.
   */
  async fence(lotId: string, reservationId: string, actor: Actor): Promise<void> {
    await this.serial.run(lotId, () =>
      this.lots.update(lotId, (current) => ({ state: current.state, events: [] }), {
        causedBy: holdCause(reservationId),
        actor,
      }),
    );
  }

  /** Ends a reservation's hold on a lot (committed, or back to available), once; nothing when it holds none. */
  async endHold(lotId: string, reservationId: string, outcome: HoldOutcome, actor: Actor, note: string) {
    await this.serial.run(lotId, () =>
      this.lots.update(
        lotId,
        (current) => {
          const next = endHold(current.state, reservationId, outcome, new Date(), actor, note);
          return next && { state: next, events: [stockChanged(next)] };
        },
        { causedBy: endCause(reservationId), actor },
      ),
    );
  }
}

function replayOffer(first: Change<OfferState>, hash: string): RegisterOfferResponse {
  if (first.state.requestHash !== hash) throw new IdempotencyKeyReusedError();
  return { offer: first.state.offer, lots: first.state.lots, replayed: true };
}
