import { createHash } from 'node:crypto';
import { hasAnyRole, type Principal } from '@nuanyang/auth';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
} from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import type {
  Reservation,
  ReserveRequest,
  ReserveResponse,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import type { AggregateStore, Change } from '@nuanyang/store';
import { withSpan } from '@nuanyang/telemetry';
import { Limiter } from './concurrency';
import { type Actor, isExpired, SYSTEM } from './domain/ledger';
import {
  decideOutcome,
  finish,
  isSettling,
  isStale,
  openReservation,
  type Phase,
  type ReservationState,
  requestCommit,
  requestExpiry,
  requestRelease,
  SETTLING,
  sortedLines,
} from './domain/reservations';
import { LIMITS, type TtlPolicy, validateReserve } from './domain/validation';
import { reservationEvents } from './events';
import { actorOf, type Stock } from './stock';

export interface ReservationPolicy {
  ttl: TtlPolicy;
  /** Pending or half-settled this long: left by a crash, finished by the sweeper. */
  staleAfterMs: number;
  /** Reservation calls worked on at once; the rest wait in this process rather than inside the database. */
  concurrency: number;
}

/** Phases with something still to happen: an expiry, or the rest of what a crash interrupted. */
const OPEN_PHASES: Phase[] = ['active', 'pending', 'failing', 'committing', 'releasing', 'expiring'];

/** Lines and purpose, order-insensitive: equal requests hash equal, whatever ttl they ask for. */
function requestHash(req: ReserveRequest): string {
  const body = JSON.stringify([sortedLines(req.lines), req.matchProposalId, req.helpRequestId]);
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Reservations across one or more lots, all or nothing. A reservation is its own aggregate: its outcome is
 * decided there once, and the lots follow (see domain/reservations.ts). Every lot step is idempotent, so the
 * caller, a retry and the sweeper of any replica may all drive it.
 */
export class Reservations {
  private readonly limit: Limiter;

  constructor(
    private readonly store: AggregateStore<ReservationState>,
    private readonly stock: Stock,
    private readonly policy: ReservationPolicy,
    private readonly log: Logger,
  ) {
    this.limit = new Limiter(policy.concurrency);
  }

  async reserve(req: ReserveRequest, p: Principal): Promise<ReserveResponse> {
    const ttlMs = validateReserve(req, this.policy.ttl);
    const id = req.reservationId;
    const hash = requestHash(req);
    const actor = actorOf(p);
    const span = { 'reservation.id': id, lines: req.lines.length };
    return this.limit.run(() =>
      withSpan('stock.reserve', span, async () => {
        const earlier = await this.store.load(id);
        if (earlier) return this.replay(earlier, hash, actor);
        // A missing or expired lot, or one with less available than asked right now, refuses the reservation
        // before anything is recorded (a refusal reserves nothing, so a repeat is simply asked again). What is
        // available can still run out before the lots are taken: then the lots decide, as below.
        const now = new Date();
        for (const line of sortedLines(req.lines)) {
          const lot = await this.stock.lot(line.lotId);
          if (!lot) throw new NotFoundError(`lot ${line.lotId} not found`);
          if (isExpired(lot, now)) throw new FailedPreconditionError(`lot ${lot.id} has expired`);
          if (lot.available < line.quantity) {
            throw new FailedPreconditionError(
              `reservation ${id} refused: lot ${lot.id} has ${lot.available} ${lot.unit} available, ${line.quantity} asked`,
            );
          }
        }
        const { change, applied } = await this.store.create(
          id,
          {
            state: openReservation(
              {
                id,
                lines: req.lines,
                matchProposalId: req.matchProposalId,
                helpRequestId: req.helpRequestId,
                requestHash: hash,
              },
              ttlMs,
              now,
            ),
            events: [],
          },
          { requestHash: hash, actor: p.subject },
        );
        if (!applied) return this.replay(change, hash, actor);
        return answer(await this.settle(id, actor, change), false);
      }),
    );
  }

  /** The same id again: the same lines get the reservation as it is now (a pending one is finished first). */
  private async replay(
    earlier: Change<ReservationState>,
    hash: string,
    actor: Actor,
  ): Promise<ReserveResponse> {
    if (earlier.state.requestHash !== hash) {
      throw new AlreadyExistsError(
        `reservation ${earlier.aggregateId} exists with other lines; use a new reservation_id for a new reservation`,
      );
    }
    return answer(await this.settle(earlier.aggregateId, actor, earlier), true);
  }

  async commit(id: string, p: Principal): Promise<Reservation> {
    return this.decide(id, actorOf(p), (s) => requestCommit(s, new Date()));
  }

  async release(id: string, reason: string, p: Principal): Promise<Reservation> {
    if ([...reason].length > LIMITS.reason) {
      throw InvalidArgumentError.field('reason', `must be at most ${LIMITS.reason} characters`);
    }
    return this.decide(id, actorOf(p), (s) => requestRelease(s, reason.trim(), new Date()));
  }

  /** Lets an active reservation past its expiry lapse; its stock returns. */
  async expire(id: string): Promise<Reservation> {
    return this.decide(id, SYSTEM, (s) => requestExpiry(s, new Date()));
  }

  async get(id: string, p: Principal): Promise<Reservation> {
    let change = await this.store.load(id);
    if (!change) throw new NotFoundError(`reservation ${id} not found`);
    // One a crash left half done is finished by whoever looks at it: the sweeper finds it through the
    // projection, which a crash right after the first append never wrote.
    if (isStale(change.state, new Date(), this.policy.staleAfterMs)) {
      const stale = change;
      change = await this.limit.run(() => this.settle(id, SYSTEM, stale));
    }
    const r = change.state.reservation;
    if (!hasAnyRole(p, ['operator'])) {
      const lots = await Promise.all(r.lines.map((l) => this.stock.lot(l.lotId)));
      if (!lots.some((l) => l?.donorOrganisationId === p.organisationId)) {
        throw new PermissionDeniedError('suppliers may read reservations of their own lots only');
      }
    }
    return r;
  }

  /** Decides the reservation's next phase (once, whoever races), then has the lots follow. */
  private async decide(
    id: string,
    actor: Actor,
    next: (s: ReservationState) => ReservationState | null,
  ): Promise<Reservation> {
    return this.limit.run(async () => {
      if (!(await this.store.load(id))) throw new NotFoundError(`reservation ${id} not found`);
      const { change } = await this.store.update(
        id,
        (current) => {
          const state = next(current.state);
          return state && { state, events: reservationEvents(state, actor) };
        },
        { actor: actor.userId },
      );
      return (await this.settle(id, actor, change)).state.reservation;
    });
  }

  /**
   * Drives a reservation until nothing is left to do: a pending one takes its lots in lot-id order and is
   * decided active or refused; a decided one has its lots follow (holds committed, released or expired),
   * then is marked done. Safe to run by several callers at once (a retry, the sweeper of any replica): a lot
   * holds a reservation at most once and only while it is undecided (see Stock.hold), ending a hold is
   * idempotent, and each decision is one versioned append.
   */
  async settle(id: string, actor: Actor, from?: Change<ReservationState>): Promise<Change<ReservationState>> {
    let current = from ?? (await this.store.loadOrThrow(id));
    for (let step = 0; step < 8; step++) {
      const s = current.state;
      if (s.phase === 'pending') {
        const refusal = await this.takeLots(s, actor);
        ({ change: current } = await this.store.update(
          id,
          (c) => {
            const state = decideOutcome(c.state, refusal, new Date());
            return state && { state, events: reservationEvents(state, actor) };
          },
          { actor: actor.userId },
        ));
      } else if (isSettling(s.phase)) {
        const { holds } = SETTLING[s.phase];
        const note = s.phase === 'failing' ? `refused: ${s.refusal}` : s.reservation.releaseReason;
        for (const line of s.reservation.lines) {
          await this.stock.endHold(line.lotId, id, holds, actor, note);
        }
        ({ change: current } = await this.store.update(
          id,
          (c) => {
            const state = finish(c.state, new Date());
            return state && { state, events: reservationEvents(state, actor) };
          },
          { actor: actor.userId },
        ));
      } else {
        return current;
      }
    }
    throw new Error(`reservation ${id} did not settle`);
  }

  /** Holds each line's units; the first refusal (naming the lot and what it has) stops it. */
  private async takeLots(s: ReservationState, actor: Actor): Promise<string | null> {
    const id = s.reservation.id;
    const undecided = async () => (await this.store.load(id))?.state.phase === 'pending';
    for (const line of s.reservation.lines) {
      try {
        await this.stock.hold(line.lotId, id, line.quantity, actor, undecided);
      } catch (err) {
        if (err instanceof FailedPreconditionError) return err.message;
        throw err;
      }
    }
    return null;
  }

  /**
   * One pass of the sweeper: lapses active reservations past their expiry, and finishes those a crash left
   * pending or half settled. Any replica may run it at any time: every step is idempotent.
   */
  async sweep(now = new Date()): Promise<{ expired: number; finished: number }> {
    let expired = 0;
    let finished = 0;
    // One query per pass (FerretDB decodes every reservation for it): the open ones, sorted out here.
    const open = await this.store.query(
      { 'state.phase': { $in: OPEN_PHASES } },
      { 'state.updatedAt': 1 },
      5_000,
    );
    for (const r of open) {
      const s = r.state;
      if (s.phase === 'active') {
        if (!requestExpiry(s, now)) continue;
        await this.expire(r.id).then(
          () => expired++,
          (err) => this.log.warn({ err, reservationId: r.id }, 'could not expire reservation; will retry'),
        );
      } else if (isStale(s, now, this.policy.staleAfterMs)) {
        await this.settle(r.id, SYSTEM).then(
          () => finished++,
          (err) => this.log.warn({ err, reservationId: r.id }, 'could not finish reservation; will retry'),
        );
      }
    }
    return { expired, finished };
  }
}

/** A refused reservation answers (and replays) as FAILED_PRECONDITION, naming the lot that refused. */
function answer(change: Change<ReservationState>, replayed: boolean): ReserveResponse {
  const s = change.state;
  if (s.phase === 'failing' || s.phase === 'failed') {
    throw new FailedPreconditionError(`reservation ${s.reservation.id} refused: ${s.refusal}`);
  }
  return { reservation: s.reservation, replayed };
}
