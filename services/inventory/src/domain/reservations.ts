import { FailedPreconditionError } from '@nuanyang/grpc-kit';
import {
  type Reservation,
  type ReservationLine,
  ReservationStatus,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import type { HoldOutcome } from './ledger';

/**
 * Where a reservation is in its life. The outcome is decided on the reservation first (one versioned append,
 * so a commit, a release and an expiry racing each other cannot all win); the lots follow in the `-ing`
 * phases, and the reservation is marked done once they have. Whoever finds a reservation in an `-ing` phase
 * (the caller, a retry, the sweeper of any replica) may finish it: every lot step is idempotent.
 *
 * pending ─▶ active ─▶ committing ─▶ committed
 *    │          ├────▶ releasing ──▶ released
 *    │          └────▶ expiring ───▶ expired
 *    └─▶ failing ─▶ failed   (a lot refused: the lots already held are given back)
 */
export type Phase =
  | 'pending'
  | 'active'
  | 'committing'
  | 'committed'
  | 'releasing'
  | 'released'
  | 'expiring'
  | 'expired'
  | 'failing'
  | 'failed';

export type SettlingPhase = 'failing' | 'committing' | 'releasing' | 'expiring';

export interface ReservationState {
  /** The reservation as the API shows it; its status follows the phase. */
  reservation: Reservation;
  phase: Phase;
  /** How long it holds once active. */
  ttlMs: number;
  /** Why a lot refused it (failing, failed). */
  refusal: string;
  updatedAt: Date;
  /** Of the request that opened it, to tell a retry from another reservation under the same id. */
  requestHash: string;
}

/** The status callers see: a decided outcome shows as soon as it is decided. Pending has none yet. */
export const STATUS: Record<Phase, ReservationStatus> = {
  pending: ReservationStatus.RESERVATION_STATUS_UNSPECIFIED,
  active: ReservationStatus.RESERVATION_STATUS_ACTIVE,
  committing: ReservationStatus.RESERVATION_STATUS_COMMITTED,
  committed: ReservationStatus.RESERVATION_STATUS_COMMITTED,
  releasing: ReservationStatus.RESERVATION_STATUS_RELEASED,
  released: ReservationStatus.RESERVATION_STATUS_RELEASED,
  expiring: ReservationStatus.RESERVATION_STATUS_EXPIRED,
  expired: ReservationStatus.RESERVATION_STATUS_EXPIRED,
  failing: ReservationStatus.RESERVATION_STATUS_RELEASED,
  failed: ReservationStatus.RESERVATION_STATUS_RELEASED,
};

/** For each settling phase: what happens to the lots' holds, and the phase once they have followed. */
export const SETTLING: Record<SettlingPhase, { holds: HoldOutcome; done: Phase }> = {
  failing: { holds: 'released', done: 'failed' },
  committing: { holds: 'committed', done: 'committed' },
  releasing: { holds: 'released', done: 'released' },
  expiring: { holds: 'expired', done: 'expired' },
};

export function isSettling(phase: Phase): phase is SettlingPhase {
  return phase in SETTLING;
}

const ms = (d: Date | undefined) => (d === undefined ? Number.NaN : new Date(d).getTime());

function moveTo(
  s: ReservationState,
  phase: Phase,
  now: Date,
  patch: Partial<Reservation> = {},
): ReservationState {
  return {
    ...s,
    phase,
    updatedAt: now,
    reservation: { ...s.reservation, ...patch, version: s.reservation.version + 1, status: STATUS[phase] },
  };
}

export interface NewReservation {
  id: string;
  lines: ReservationLine[];
  matchProposalId: string;
  helpRequestId: string;
  requestHash: string;
}

/** Version 1: pending, its lines in lot-id order (the order lots are taken in, so two never deadlock). */
export function openReservation(r: NewReservation, ttlMs: number, now: Date): ReservationState {
  return {
    phase: 'pending',
    ttlMs,
    refusal: '',
    updatedAt: now,
    requestHash: r.requestHash,
    reservation: {
      id: r.id,
      version: 1,
      status: STATUS.pending,
      lines: sortedLines(r.lines),
      matchProposalId: r.matchProposalId,
      helpRequestId: r.helpRequestId,
      createdAt: now,
      expiresAt: undefined,
      closedAt: undefined,
      releaseReason: '',
    },
  };
}

export function sortedLines(lines: ReservationLine[]): ReservationLine[] {
  return [...lines]
    .map((l) => ({ lotId: l.lotId, quantity: l.quantity }))
    .sort((a, b) => (a.lotId < b.lotId ? -1 : a.lotId > b.lotId ? 1 : 0));
}

/**
 * The outcome of taking the lots: active until now + ttl, or failing with the refusal. Null when another
 * caller decided already (only a pending reservation is decided).
 */
export function decideOutcome(
  s: ReservationState,
  refusal: string | null,
  now: Date,
): ReservationState | null {
  if (s.phase !== 'pending') return null;
  if (refusal !== null) {
    return {
      ...moveTo(s, 'failing', now, { closedAt: now, releaseReason: `refused: ${refusal}` }),
      refusal,
    };
  }
  return moveTo(s, 'active', now, { expiresAt: new Date(now.getTime() + s.ttlMs) });
}

/** Commit: only an active reservation before its expiry; committing twice changes nothing (null). */
export function requestCommit(s: ReservationState, now: Date): ReservationState | null {
  const id = s.reservation.id;
  switch (s.phase) {
    case 'committing':
    case 'committed':
      return null;
    case 'active':
      if (now.getTime() >= ms(s.reservation.expiresAt)) {
        throw new FailedPreconditionError(
          `reservation ${id} expired at ${new Date(ms(s.reservation.expiresAt)).toISOString()}`,
        );
      }
      return moveTo(s, 'committing', now, { closedAt: now });
    case 'pending':
      throw new FailedPreconditionError(`reservation ${id} is still being reserved; try again`);
    case 'expiring':
    case 'expired':
      throw new FailedPreconditionError(`reservation ${id} expired and cannot be committed`);
    default:
      throw new FailedPreconditionError(`reservation ${id} was released and cannot be committed`);
  }
}

/** Release: an active reservation's stock returns; a released, expired or refused one stays as it is (null). */
export function requestRelease(s: ReservationState, reason: string, now: Date): ReservationState | null {
  const id = s.reservation.id;
  switch (s.phase) {
    case 'active':
      return moveTo(s, 'releasing', now, { closedAt: now, releaseReason: reason });
    case 'pending':
      throw new FailedPreconditionError(`reservation ${id} is still being reserved; try again`);
    case 'committing':
    case 'committed':
      throw new FailedPreconditionError(`reservation ${id} was committed and cannot be released`);
    default:
      return null;
  }
}

/** Expiry: an active reservation at or past its expiry; anything else is left alone (null). */
export function requestExpiry(s: ReservationState, now: Date): ReservationState | null {
  if (s.phase !== 'active' || now.getTime() < ms(s.reservation.expiresAt)) return null;
  return moveTo(s, 'expiring', now, { closedAt: now });
}

/** Once the lots have followed a decided outcome: done. Null unless settling. */
export function finish(s: ReservationState, now: Date): ReservationState | null {
  if (!isSettling(s.phase)) return null;
  return moveTo(s, SETTLING[s.phase].done, now);
}

/**
 * Left behind by a crash: pending or settling for longer than `staleMs` (the caller's call has long timed
 * out), so the sweeper finishes it.
 */
export function isStale(s: ReservationState, now: Date, staleMs: number): boolean {
  return (s.phase === 'pending' || isSettling(s.phase)) && now.getTime() - ms(s.updatedAt) >= staleMs;
}

/** Done for good: nothing will happen to it again, so it leaves the open reservations. */
export function isFinal(phase: Phase): boolean {
  return phase === 'committed' || phase === 'released' || phase === 'expired' || phase === 'failed';
}

/** The sweeper has work with it: an active one at or past its expiry, or one a crash left behind. */
export function isDue(s: ReservationState, now: Date, staleMs: number): boolean {
  return (s.phase === 'active' && now.getTime() >= ms(s.reservation.expiresAt)) || isStale(s, now, staleMs);
}
