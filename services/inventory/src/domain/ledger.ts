import { FailedPreconditionError } from '@nuanyang/grpc-kit';
import {
  AdjustmentReason,
  type LedgerEntry,
  LedgerEntryKind,
  type StockLot,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';

/** Units of one lot held by one open reservation, until committed, released or expired. */
export interface Hold {
  reservationId: string;
  quantity: number;
}

/**
 * A stock lot's state after one ledger entry: the lot with its running balances, the entry that led there
 * (so the lot's change history is its ledger), and the holds of open reservations (their sum is `reserved`).
 */
export interface LotState {
  lot: StockLot;
  entry: LedgerEntry;
  holds: Hold[];
  /** The expiry, or a far-future date for goods that do not expire: sorts "no expiry" last. */
  expirySortKey: Date;
}

/** Who caused a ledger entry; empty for the service's own timers. */
export interface Actor {
  userId: string;
  organisationId: string;
}

export const SYSTEM: Actor = { userId: '', organisationId: '' };

/** Sort key of lots without expiry: after every real date. */
export const NO_EXPIRY = new Date('9999-12-31T23:59:59Z');

/** What a lot starts from: everything of StockLot except its balances, version and times. */
export type NewLot = Omit<
  StockLot,
  'version' | 'received' | 'available' | 'reserved' | 'committed' | 'adjusted' | 'receivedAt' | 'updatedAt'
>;

/** Every way a lot's balances break the ledger's rules; empty when they hold. */
export function balanceViolations(
  lot: Pick<StockLot, 'received' | 'available' | 'reserved' | 'committed' | 'adjusted'>,
): string[] {
  const out: string[] = [];
  for (const field of ['received', 'available', 'reserved', 'committed'] as const) {
    if (!Number.isInteger(lot[field]) || lot[field] < 0) out.push(`${field} must be a whole number >= 0`);
  }
  if (!Number.isInteger(lot.adjusted)) out.push('adjusted must be a whole number');
  const sum = lot.available + lot.reserved + lot.committed + lot.adjusted;
  if (lot.received !== sum) {
    out.push(
      `received ${lot.received} != available ${lot.available} + reserved ${lot.reserved} + committed ${lot.committed} + adjusted ${lot.adjusted}`,
    );
  }
  return out;
}

/** The state's own consistency: the balances, the holds summing to `reserved`, the entry matching the lot. */
export function stateViolations(s: LotState): string[] {
  const out = balanceViolations(s.lot);
  const held = s.holds.reduce((sum, h) => sum + h.quantity, 0);
  if (held !== s.lot.reserved) out.push(`holds sum to ${held} but reserved is ${s.lot.reserved}`);
  const e = s.entry;
  if (
    e.version !== s.lot.version ||
    e.availableAfter !== s.lot.available ||
    e.reservedAfter !== s.lot.reserved ||
    e.committedAfter !== s.lot.committed ||
    e.adjustedAfter !== s.lot.adjusted
  ) {
    out.push('the ledger entry does not match the lot after it');
  }
  return out;
}

/** Every decision goes through here: a state that breaks the invariant is a bug, never written. */
function checked(s: LotState): LotState {
  const v = stateViolations(s);
  if (v.length > 0) throw new Error(`ledger invariant broken on lot ${s.lot.id}: ${v.join('; ')}`);
  return s;
}

interface Move {
  kind: LedgerEntryKind;
  quantity: number;
  available: number;
  reserved: number;
  committed: number;
  adjusted: number;
  reservationId?: string;
  adjustmentReason?: AdjustmentReason;
  note?: string;
}

/** The next version of the lot after one ledger entry (balances are deltas). */
function apply(s: LotState, m: Move, holds: Hold[], at: Date, actor: Actor): LotState {
  const lot: StockLot = {
    ...s.lot,
    version: s.lot.version + 1,
    available: s.lot.available + m.available,
    reserved: s.lot.reserved + m.reserved,
    committed: s.lot.committed + m.committed,
    adjusted: s.lot.adjusted + m.adjusted,
    updatedAt: at,
  };
  return checked({
    lot,
    holds,
    expirySortKey: s.expirySortKey,
    entry: entryOf(lot, m, at, actor),
  });
}

function entryOf(lot: StockLot, m: Move, at: Date, actor: Actor): LedgerEntry {
  return {
    lotId: lot.id,
    version: lot.version,
    kind: m.kind,
    quantity: m.quantity,
    reservationId: m.reservationId ?? '',
    adjustmentReason: m.adjustmentReason ?? AdjustmentReason.ADJUSTMENT_REASON_UNSPECIFIED,
    note: m.note ?? '',
    actorUserId: actor.userId,
    actorOrganisationId: actor.organisationId,
    at,
    availableAfter: lot.available,
    reservedAfter: lot.reserved,
    committedAfter: lot.committed,
    adjustedAfter: lot.adjusted,
  };
}

/** Version 1 of a lot: everything it was registered with is available. */
export function receive(base: NewLot, quantity: number, at: Date, actor: Actor): LotState {
  const lot: StockLot = {
    ...base,
    version: 1,
    received: quantity,
    available: quantity,
    reserved: 0,
    committed: 0,
    adjusted: 0,
    receivedAt: at,
    updatedAt: at,
  };
  return checked({
    lot,
    holds: [],
    expirySortKey: base.expiresAt ? new Date(base.expiresAt) : NO_EXPIRY,
    entry: entryOf(
      lot,
      {
        kind: LedgerEntryKind.LEDGER_ENTRY_KIND_RECEIVED,
        quantity,
        available: quantity,
        reserved: 0,
        committed: 0,
        adjusted: 0,
      },
      at,
      actor,
    ),
  });
}

export function isExpired(lot: Pick<StockLot, 'expiresAt'>, now: Date): boolean {
  return lot.expiresAt !== undefined && new Date(lot.expiresAt).getTime() <= now.getTime();
}

/** The units a reservation holds on the lot, if it holds any. */
export function holdOf(s: LotState, reservationId: string): Hold | undefined {
  return s.holds.find((h) => h.reservationId === reservationId);
}

/**
 * Holds `quantity` units for a reservation. Refused (FAILED_PRECONDITION, naming the lot and what is
 * available) when fewer are available or the lot has expired; null when the reservation holds units already.
 */
export function reserve(
  s: LotState,
  reservationId: string,
  quantity: number,
  at: Date,
  actor: Actor,
): LotState | null {
  if (holdOf(s, reservationId)) return null;
  const lot = s.lot;
  if (isExpired(lot, at)) {
    throw new FailedPreconditionError(
      `lot ${lot.id} expired at ${new Date(lot.expiresAt ?? at).toISOString()} and cannot be reserved`,
    );
  }
  if (quantity > lot.available) {
    throw new FailedPreconditionError(
      `lot ${lot.id} has ${lot.available} ${lot.unit} available, ${quantity} asked`,
    );
  }
  return apply(
    s,
    {
      kind: LedgerEntryKind.LEDGER_ENTRY_KIND_RESERVED,
      quantity,
      available: -quantity,
      reserved: quantity,
      committed: 0,
      adjusted: 0,
      reservationId,
    },
    [...s.holds, { reservationId, quantity }],
    at,
    actor,
  );
}

export type HoldOutcome = 'committed' | 'released' | 'expired';

const OUTCOME_KIND: Record<HoldOutcome, LedgerEntryKind> = {
  committed: LedgerEntryKind.LEDGER_ENTRY_KIND_COMMITTED,
  released: LedgerEntryKind.LEDGER_ENTRY_KIND_RELEASED,
  expired: LedgerEntryKind.LEDGER_ENTRY_KIND_EXPIRED,
};

/**
 * Ends a reservation's hold: its units become committed, or return to available (released, expired).
 * Null when the lot holds nothing for it (never held, or already ended): ending is idempotent.
 */
export function endHold(
  s: LotState,
  reservationId: string,
  outcome: HoldOutcome,
  at: Date,
  actor: Actor,
  note = '',
): LotState | null {
  const hold = holdOf(s, reservationId);
  if (!hold) return null;
  const q = hold.quantity;
  return apply(
    s,
    {
      kind: OUTCOME_KIND[outcome],
      quantity: q,
      available: outcome === 'committed' ? 0 : q,
      reserved: -q,
      committed: outcome === 'committed' ? q : 0,
      adjusted: 0,
      reservationId,
      note,
    },
    s.holds.filter((h) => h !== hold),
    at,
    actor,
  );
}

/**
 * A count correction or a loss: `delta` is the signed change to available (adjusted moves the other way,
 * so the invariant holds). Refused when it would make available negative: reserved units are not touched.
 */
export function adjust(
  s: LotState,
  delta: number,
  reason: AdjustmentReason,
  note: string,
  at: Date,
  actor: Actor,
): LotState {
  if (s.lot.available + delta < 0) {
    throw new FailedPreconditionError(
      `lot ${s.lot.id} has ${s.lot.available} ${s.lot.unit} available; an adjustment of ${delta} would make it negative`,
    );
  }
  return apply(
    s,
    {
      kind: LedgerEntryKind.LEDGER_ENTRY_KIND_ADJUSTED,
      quantity: delta,
      available: delta,
      reserved: 0,
      committed: 0,
      adjusted: -delta,
      adjustmentReason: reason,
      note,
    },
    s.holds,
    at,
    actor,
  );
}

/**
 * The lot's ledger from its states oldest first, up to ledger version `upTo`: each entry once. A change that
 * records no entry (a reservation's fence, see Stock.fence) repeats the entry before it and is left out.
 */
export function ledgerOf(states: LotState[], upTo: number): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  for (const s of states) {
    const last = entries[entries.length - 1];
    if (s.entry.version > upTo || (last && s.entry.version === last.version)) continue;
    entries.push(s.entry);
  }
  return entries;
}

/** A lot is live work while it has units to reserve or units held; one with neither leaves the lists. */
export function isLive(lot: Pick<StockLot, 'available' | 'reserved'>): boolean {
  return lot.available > 0 || lot.reserved > 0;
}
