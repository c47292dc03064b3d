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
import type { Change, EventStore } from '@nuanyang/store';
import { withSpan } from '@nuanyang/telemetry';
import { Limiter } from './concurrency';
import { type Actor, isExpired, SYSTEM } from './domain/ledger';
import {
  decideOutcome,
  finish,
  isDue,
  isSettling,
  isStale,
  openReservation,
  type ReservationState,
  requestCommit,
  requestExpiry,
  requestRelease,
  SETTLING,
  sortedLines,
} from './domain/reservations';
import { LIMITS, type TtlPolicy, validateReserve } from './domain/validation';
import { reservationEvents } from './events';
import type { OpenReservations } from './read-model';
import { actorOf, type Stock } from './stock';

export interface ReservationPolicy {
  ttl: TtlPolicy;
  /** Pending or half-settled this long: left by a crash, finished by the sweeper. */
  staleAfterMs: number;
  /** Reservation calls worked on at once by one replica; the rest wait their turn. */
  concurrency: number;
}

/**
 * Called after each durable step of a reservation's saga, named `<phase>:<lots done>` (`pending:0` once
 * the intent is recorded, `pending:1` once the first lot holds, `committing:2` once two lots committed).
 * Tests pause or fail here to crash between steps; the service passes none unless told (PAUSE_AT_STEP).
 */
export type StepHook = (step: string) => Promise<void>;

/** Reservations one sweeper pass works on at most. */
const SWEEP_BATCH = 500;

/** Lines and purpose, order-insensitive: equal requests hash equal, whatever ttl they ask for. */
function requestHash(req: ReserveRequest): string {
  const body = JSON.stringify([sortedLines(req.lines), req.matchProposalId, req.helpRequestId]);
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Reservations across one or more lots, all or nothing: a saga over single appends
 * (docs/adr/0002-inventory-reservations.md). The reservation records its intent first (pending, with its
 * lines); its outcome is decided on it once (one versioned append, so a commit, a release and an expiry
 * racing each other cannot all win); the lots follow, each step caused by the reservation id and the step,
 * so it changes a lot once however often it is driven. The caller, a retry and the sweeper of any replica
 * may all drive it; a crash between any two steps leaves a reservation the sweeper resumes.
 */
export class Reservations {
  private readonly limit: Limiter;

  constructor(
    private readonly store: EventStore<ReservationState>,
    private readonly stock: Stock,
    private readonly open: OpenReservations,
    private readonly policy: ReservationPolicy,
    private readonly log: Logger,
    private readonly step: StepHook = async () => undefined,
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
        // The reservation and its lots are read side by side (one round trip of latency, not two).
        const lines = sortedLines(req.lines);
        const [earlier, ...lots] = await Promise.all([
          this.store.load(id),
          ...lines.map((line) => this.stock.lot(line.lotId)),
        ]);
        if (earlier) return this.replay(earlier, hash, actor);
        // A missing or expired lot, or one with less available than asked right now, refuses the reservation
        // before anything is recorded (a refusal reserves nothing, so a repeat is simply asked again). What is
        // available can still run out before the lots are taken: then the lots decide, as below.
        const now = new Date();
        lines.forEach((line, i) => {
          const lot = lots[i];
          if (!lot) throw new NotFoundError(`lot ${line.lotId} not found`);
          if (isExpired(lot, now)) throw new FailedPreconditionError(`lot ${lot.id} has expired`);
          if (lot.available < line.quantity) {
            throw new FailedPreconditionError(
              `reservation ${id} refused: lot ${lot.id} has ${lot.available} ${lot.unit} available, ${line.quantity} asked`,
            );
          }
        });
        const state = openReservation(
          {
            id,
            lines: req.lines,
            matchProposalId: req.matchProposalId,
            helpRequestId: req.helpRequestId,
            requestHash: hash,
          },
          ttlMs,
          now,
        );
        const { change, applied } = await this.store.create(
          id,
          { state, events: [] },
          { requestHash: hash, actor },
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
  async expire(id: string, now = new Date()): Promise<Reservation> {
    return this.decide(id, SYSTEM, (s) => requestExpiry(s, now));
  }

  async get(id: string, p: Principal): Promise<Reservation> {
    let change = await this.store.load(id);
    if (!change) throw new NotFoundError(`reservation ${id} not found`);
    // One a crash left half done is finished by whoever looks at it first (the sweeper would, a moment later).
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
          return state && { state, events: reservationEvents(state) };
        },
        { actor },
      );
      return (await this.settle(id, actor, change)).state.reservation;
    });
  }

  /**
   * Drives a reservation until nothing is left to do, step by step:
   * - pending: hold each lot in lot-id order (step `hold:<id>` on the lot: the hold, or the refusal as a
   *   fence), then decide active, or failing with the first refusal;
   * - failing: fence each lot (its hold step done, holding nothing unless it held already), then give back
   *   what it holds (step `end:<id>`), then failed;
   * - committing, releasing, expiring: end each lot's hold that way (step `end:<id>`), then done.
   * Every step is caused by the reservation and the step, so driving it again, from anywhere, changes
   * nothing twice.
   */
  async settle(id: string, actor: Actor, from?: Change<ReservationState>): Promise<Change<ReservationState>> {
    let current = from ?? (await this.store.loadOrThrow(id));
    /** Lots that refused this reservation in this call: their refusal fenced them, holding nothing. */
    const refused = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const s = current.state;
      const lines = s.reservation.lines;
      let next: (state: ReservationState) => ReservationState | null;
      if (s.phase === 'pending') {
        await this.step('pending:0');
        let refusal: string | null = null;
        for (const [i, line] of lines.entries()) {
          refusal = await this.stock.hold(line.lotId, id, line.quantity, actor);
          if (refusal !== null) {
            refused.add(line.lotId); // fenced by the refusal itself: nothing to give back there
            break;
          }
          await this.step(`pending:${i + 1}`);
        }
        const outcome = refusal;
        next = (state) => decideOutcome(state, outcome, new Date());
      } else if (isSettling(s.phase)) {
        await this.step(`${s.phase}:0`);
        const { holds } = SETTLING[s.phase];
        const note = s.phase === 'failing' ? `refused: ${s.refusal}` : s.reservation.releaseReason;
        for (const [i, line] of lines.entries()) {
          if (!(s.phase === 'failing' && refused.has(line.lotId))) {
            if (s.phase === 'failing') await this.stock.fence(line.lotId, id, actor);
            await this.stock.endHold(line.lotId, id, holds, actor, note);
          }
          await this.step(`${s.phase}:${i + 1}`);
        }
        next = (state) => finish(state, new Date());
      } else {
        return current;
      }
      ({ change: current } = await this.store.update(
        id,
        (c) => {
          const state = next(c.state);
          return state && { state, events: reservationEvents(state) };
        },
        { actor },
      ));
    }
    throw new Error(`reservation ${id} did not settle`);
  }

  /**
   * One pass of the sweeper: lapses active reservations past their expiry, and finishes those a crash left
   * pending or half settled. It reads the open reservations (live work only), then each one's own state.
   * Any replica may run it at any time: every step is idempotent.
   */
  async sweep(now = new Date()): Promise<{ expired: number; finished: number }> {
    let expired = 0;
    let finished = 0;
    const staleBefore = new Date(now.getTime() - this.policy.staleAfterMs);
    for (const id of await this.open.due(now, staleBefore, SWEEP_BATCH)) {
      // The read model may lag: decide on the reservation's own latest state.
      const current = await this.store.load(id);
      if (!current || !isDue(current.state, now, this.policy.staleAfterMs)) continue;
      if (current.state.phase === 'active') {
        await this.expire(id, now).then(
          () => expired++,
          (err) => this.log.warn({ err, reservationId: id }, 'could not expire reservation; will retry'),
        );
      } else {
        await this.limit
          .run(() => this.settle(id, SYSTEM, current))
          .then(
            () => finished++,
            (err) => this.log.warn({ err, reservationId: id }, 'could not finish reservation; will retry'),
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
