import { randomUUID } from 'node:crypto';
import { AbortedError, AlreadyExistsError, InvalidArgumentError, NotFoundError } from '@nuanyang/grpc-kit';

/**
 * What every event of a change carries (the proto's EventMeta): stamped by the store, so no service builds
 * ids, times, versions or actors itself.
 */
export interface EventMeta {
  /** `<aggregate>.<id>.v<version>.<n>`: one change per version, so the id names one event for good. */
  eventId: string;
  occurredAt: Date;
  aggregateId: string;
  /** The aggregate's version after the change. */
  aggregateVersion: number;
  actorOrganisationId: string;
  actorUserId: string;
}

/** An event a decision causes; encoded once the store has stamped its metadata. */
export interface EventDraft {
  /** Its canonical subject, `nuanyang.<service>.<entity>.<event>` (SUBJECTS). */
  subject: string;
  encode(meta: EventMeta): Uint8Array;
}

export interface Decision<S> {
  state: S;
  events: EventDraft[];
}

/** One appended change: the aggregate's state after it, and what caused it. */
export interface Change<S> {
  aggregateId: string;
  version: number;
  state: S;
  recordedAt: Date;
  /** Event id or idempotency key that caused this change; at most one change per cause. */
  causedBy?: string;
  /** Hash of the request that caused it, to tell a retry from a reused key. */
  requestHash?: string;
  /** The user (JWT subject) whose call caused it. */
  actor?: string;
}

/** Who asked for a change: stamped on its events. */
export interface Actor {
  organisationId: string;
  userId: string;
}

export interface WriteOptions {
  /**
   * The idempotency key or causing event id. A cause is applied to an aggregate at most once, for good
   * (not only inside a deduplication window): a retry or a redelivery gets the first result back.
   */
  causedBy?: string;
  /** Hash of the request's body: the same cause with another body is refused (IdempotencyKeyReusedError). */
  requestHash?: string;
  actor?: Actor;
}

/** Result of a write: `applied` is false when the cause had already been applied (a retry or redelivery). */
export interface WriteResult<S> {
  change: Change<S>;
  applied: boolean;
}

export type Decide<S> = (current: Change<S>) => Decision<S> | null | Promise<Decision<S> | null>;

/**
 * The store every service writes its aggregates through: versioned, optimistic (of two writers racing for
 * one version exactly one wins, the other re-reads and decides again), idempotent by cause.
 */
export interface EventStore<S extends object> {
  /** The latest change of an aggregate, or null. Never a scan. */
  load(id: string): Promise<Change<S> | null>;
  loadOrThrow(id: string): Promise<Change<S>>;
  /** Every change of one aggregate, oldest first: read change by change (its own history, never a scan). */
  loadHistory(id: string): Promise<Change<S>[]>;
  /**
   * The change `cause` produced on this aggregate, if any. With the request's hash, a cause recorded with
   * another body is refused (IdempotencyKeyReusedError), as a write with that cause would be.
   */
  findCaused(id: string, cause: string, requestHash?: string): Promise<Change<S> | null>;
  /**
   * Version 1 of a new aggregate. When the id exists already (a retry with a derived id, a redelivered
   * event), nothing is written and the existing first change comes back with `applied: false`.
   */
  create(id: string, decision: Decision<S>, opts?: WriteOptions): Promise<WriteResult<S>>;
  /**
   * Decides the next change from the latest state and appends it; `decide` may return null for "nothing to
   * change", and may throw a domain error to refuse.
   */
  update(id: string, decide: Decide<S>, opts?: WriteOptions): Promise<WriteResult<S>>;
}

export class AggregateNotFoundError extends NotFoundError {
  override name = 'AggregateNotFoundError';
}

/** Too many writers kept winning the race for the next version. */
export class VersionConflictError extends AbortedError {
  override name = 'VersionConflictError';
}

/** An idempotency key came back with another request body. */
export class IdempotencyKeyReusedError extends AlreadyExistsError {
  override name = 'IdempotencyKeyReusedError';
  constructor() {
    super('idempotency_key was already used for a different request; use a new key for a new request');
  }
}

/** Where a change sits in its aggregate's history, as the backend counts it (a stream sequence). */
export interface Stored<S> {
  change: Change<S>;
  position: number;
  /** Unique per attempt to write: tells this writer's own change from another's after a lost reply. */
  writeId: string;
}

/** A change ready to be written: its events stamped and encoded. */
export interface PreparedChange<S> {
  change: Change<S>;
  writeId: string;
  events: { subject: string; eventId: string; data: Uint8Array }[];
}

/** The backend refused the write because the aggregate moved on since `position` (a lost race). */
export class WrongPositionError extends Error {
  override name = 'WrongPositionError';
}

/** Aggregate ids become subject tokens and keys: no dots, wildcards or spaces. */
const ID = /^[^\s.*>]{1,200}$/;
const MAX_ATTEMPTS = 100;

/**
 * The write loop both stores share: read the head, look the cause up, decide, append at the head's
 * position; a lost race re-reads and decides again. Backends supply the five primitives.
 */
export abstract class VersionedStore<S extends object> implements EventStore<S> {
  constructor(protected readonly aggregate: string) {}

  protected abstract readHead(id: string): Promise<Stored<S> | null>;
  protected abstract readFirst(id: string): Promise<Change<S> | null>;
  protected abstract readCaused(id: string, cause: string): Promise<Change<S> | null>;
  /** The first change after `position`, or null. */
  protected abstract readAfter(id: string, position: number): Promise<Stored<S> | null>;
  /** Appends when the aggregate's last position is still `expected` (0: new); else WrongPositionError. */
  protected abstract write(id: string, expected: number, prepared: PreparedChange<S>): Promise<void>;
  /**
   * Runs one step against the backend, retrying while it is briefly unavailable. A backend whose write can
   * fail without saying whether it landed throws AmbiguousWriteError from `write` after its retries.
   */
  protected abstract retrying<T>(step: () => Promise<T>): Promise<T>;

  async load(id: string): Promise<Change<S> | null> {
    if (!usable(id)) return null; // no aggregate can have it
    return (await this.retrying(() => this.readHead(id)))?.change ?? null;
  }

  async loadOrThrow(id: string): Promise<Change<S>> {
    const change = await this.load(id);
    if (!change) throw new AggregateNotFoundError(`${this.aggregate} ${id} not found`);
    return change;
  }

  async loadHistory(id: string): Promise<Change<S>[]> {
    const changes: Change<S>[] = [];
    if (!usable(id)) return changes;
    for (let position = 0; ; ) {
      const next = await this.retrying(() => this.readAfter(id, position));
      if (!next) return changes;
      changes.push(next.change);
      position = next.position;
    }
  }

  async findCaused(id: string, cause: string, requestHash?: string): Promise<Change<S> | null> {
    if (!usable(id)) return null;
    const found = await this.retrying(() => this.readCaused(id, cause));
    return found && replay(found, { requestHash }).change;
  }

  async create(id: string, decision: Decision<S>, opts: WriteOptions = {}): Promise<WriteResult<S>> {
    return this.run(id, null, decision, opts);
  }

  async update(id: string, decide: Decide<S>, opts: WriteOptions = {}): Promise<WriteResult<S>> {
    return this.run(id, decide, null, opts);
  }

  private async run(
    id: string,
    decide: Decide<S> | null,
    creation: Decision<S> | null,
    opts: WriteOptions,
  ): Promise<WriteResult<S>> {
    checkId(id);
    /** The last write whose outcome is unknown (its reply was lost), to recognise it if it landed. */
    let unsure: { after: number; writeId: string } | undefined;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (unsure) {
        const { after, writeId } = unsure;
        const next = await this.retrying(() => this.readAfter(id, after));
        if (next?.writeId === writeId) return { change: next.change, applied: true };
        unsure = undefined;
      }
      // The head first, then the cause: a cause that landed before the head was read is found; one that
      // lands after moves the head on, so the write below loses its race and the next attempt finds it.
      // (Read the other way round, a cause landing between the two reads would be applied twice.)
      const head = await this.retrying(() => this.readHead(id));
      const cause = opts.causedBy;
      // A cause is recorded on its aggregate's own change: an aggregate with no change yet has none.
      const earlier = cause && head ? await this.retrying(() => this.readCaused(id, cause)) : null;
      if (earlier) return replay(earlier, opts);
      let decision: Decision<S> | null;
      if (creation) {
        if (head) {
          const first = await this.retrying(() => this.readFirst(id));
          return { change: first ?? head.change, applied: false };
        }
        decision = creation;
      } else {
        if (!head) throw new AggregateNotFoundError(`${this.aggregate} ${id} not found`);
        decision = await (decide as Decide<S>)(head.change);
        if (!decision) return { change: head.change, applied: false };
      }
      const prepared = this.prepare(id, (head?.change.version ?? 0) + 1, decision, opts);
      const expected = head?.position ?? 0;
      try {
        await this.write(id, expected, prepared);
        return { change: prepared.change, applied: true };
      } catch (err) {
        if (err instanceof AmbiguousWriteError) {
          unsure = { after: expected, writeId: prepared.writeId };
        } else if (!(err instanceof WrongPositionError)) {
          throw err;
        }
        // Lost the race for this version: back off a little so racing replicas spread out.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(attempt * 2, 50)));
      }
    }
    throw new VersionConflictError(`${this.aggregate} ${id}: too many concurrent writers`);
  }

  private prepare(id: string, version: number, decision: Decision<S>, opts: WriteOptions): PreparedChange<S> {
    const recordedAt = new Date();
    const change: Change<S> = {
      aggregateId: id,
      version,
      state: decision.state,
      recordedAt,
      ...(opts.causedBy ? { causedBy: opts.causedBy } : {}),
      ...(opts.requestHash ? { requestHash: opts.requestHash } : {}),
      ...(opts.actor ? { actor: opts.actor.userId } : {}),
    };
    const events = decision.events.map((draft, i) => {
      const eventId = `${this.aggregate}.${id}.v${version}.${i}`;
      const meta: EventMeta = {
        eventId,
        occurredAt: recordedAt,
        aggregateId: id,
        aggregateVersion: version,
        actorOrganisationId: opts.actor?.organisationId ?? '',
        actorUserId: opts.actor?.userId ?? '',
      };
      return { subject: draft.subject, eventId, data: draft.encode(meta) };
    });
    return { change, writeId: randomUUID(), events };
  }
}

/** The write may or may not have landed (the reply was lost): the loop checks before deciding again. */
export class AmbiguousWriteError extends Error {
  override name = 'AmbiguousWriteError';
}

function replay<S>(earlier: Change<S>, opts: WriteOptions): WriteResult<S> {
  if (opts.requestHash && earlier.requestHash && earlier.requestHash !== opts.requestHash) {
    throw new IdempotencyKeyReusedError();
  }
  return { change: earlier, applied: false };
}

const usable = (id: string) => ID.test(id);

function checkId(id: string): void {
  if (!usable(id)) {
    throw InvalidArgumentError.field('id', "must be 1–200 characters without '.', '*', '>' or spaces");
  }
}
