import type { Bus } from '@nuanyang/bus';
import type { Logger } from '@nuanyang/logger';
import { contextFromCarrier, currentTraceCarrier } from '@nuanyang/telemetry';
import { type Connection, type Model, Schema } from 'mongoose';
import { isDuplicateKey } from './connection';
import {
  AggregateNotFoundError,
  type Change,
  type Decision,
  VersionConflictError,
  type WriteResult,
} from './event-store';

export interface AppendOptions {
  causedBy?: string;
  requestHash?: string;
  actor?: string;
}

export interface StoredEvent {
  id: string;
  subject: string;
  data: Buffer | { buffer: Uint8Array; position: number };
}

export interface ChangeDoc {
  _id: string;
  aggregateId: string;
  version: number;
  state: unknown;
  events: StoredEvent[];
  causedBy?: string;
  requestHash?: string;
  actor?: string;
  recordedAt: Date;
  published: boolean;
  trace?: Record<string, string>;
}

interface ProjectionDoc {
  _id: string;
  version: number;
  state: unknown;
}

export interface AggregateStoreOptions {
  /** Singular aggregate name: collections are `<name>_changes` (the log) and `<name>_current` (latest state). */
  name: string;
  /** Indexes on the latest-state collection, over `state.<field>` paths. */
  projectionIndexes?: Record<string, 1 | -1>[];
  bus?: Bus;
  log: Logger;
}

/**
 * The append-only versioned aggregate store of DESIGN.md ("Data and consistency").
 *
 * Every change is a new document keyed `<id>:<version>`; the unique `_id` lets exactly one of two racing
 * writers have a version, and the loser re-reads and decides again. That single-document insert is the
 * only atomic write it needs, so it is as safe on FerretDB as on MongoDB. The unpublished changes are the
 * outbox: `publishPending` sends their events with the event id as Nats-Msg-Id, then marks them.
 * A second collection keeps each aggregate's latest state for queries; it is derived and self-repairing.
 */
export class AggregateStore<S extends object> {
  readonly changes: Model<ChangeDoc>;
  readonly current: Model<ProjectionDoc>;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    connection: Connection,
    private readonly options: AggregateStoreOptions,
  ) {
    const changeSchema = new Schema<ChangeDoc>(
      {
        _id: String,
        aggregateId: { type: String, required: true },
        version: { type: Number, required: true },
        state: { type: Schema.Types.Mixed, required: true },
        events: [{ _id: false, id: String, subject: String, data: Buffer }],
        causedBy: String,
        requestHash: String,
        actor: String,
        recordedAt: { type: Date, required: true },
        published: { type: Boolean, required: true },
        trace: { type: Schema.Types.Mixed },
      },
      { collection: `${options.name}_changes`, versionKey: false, minimize: false },
    );
    changeSchema.index({ aggregateId: 1, version: -1 });
    changeSchema.index({ aggregateId: 1, causedBy: 1 });
    changeSchema.index({ published: 1, recordedAt: 1 });
    const currentSchema = new Schema<ProjectionDoc>(
      { _id: String, version: Number, state: { type: Schema.Types.Mixed } },
      { collection: `${options.name}_current`, versionKey: false, minimize: false },
    );
    for (const index of options.projectionIndexes ?? []) currentSchema.index(index);
    // Two stores over the same collections (a relay beside a writer) share the connection's models.
    this.changes =
      (connection.models[`${options.name}_change`] as Model<ChangeDoc> | undefined) ??
      connection.model<ChangeDoc>(`${options.name}_change`, changeSchema);
    this.current =
      (connection.models[`${options.name}_current`] as Model<ProjectionDoc> | undefined) ??
      connection.model<ProjectionDoc>(`${options.name}_current`, currentSchema);
  }

  async init(): Promise<void> {
    await this.changes.createCollection().catch(() => undefined);
    await this.current.createCollection().catch(() => undefined);
    await this.changes.createIndexes();
    await this.current.createIndexes();
  }

  /** The latest change of an aggregate, from the log (authoritative), or null. */
  async load(id: string): Promise<Change<S> | null> {
    const doc = await this.changes.findOne({ aggregateId: id }).sort({ version: -1 }).lean<ChangeDoc>();
    return doc ? toChange<S>(doc) : null;
  }

  async loadOrThrow(id: string): Promise<Change<S>> {
    const change = await this.load(id);
    if (!change) throw new AggregateNotFoundError(`${this.options.name} ${id} not found`);
    return change;
  }

  /** One version of an aggregate, by key (a look-up by `_id`, cheap on FerretDB too). */
  async loadVersion(id: string, version: number): Promise<Change<S> | null> {
    const doc = await this.changes.findById(`${id}:${version}`).lean<ChangeDoc>();
    return doc ? toChange<S>(doc) : null;
  }

  /**
   * The change that `cause` produced on this aggregate, if any. A query by aggregate and cause, which
   * FerretDB v1 answers by scanning: where the cause can only be the first version, loadVersion is cheaper.
   */
  async findCaused(id: string, cause: string): Promise<Change<S> | null> {
    const doc = await this.changes.findOne({ aggregateId: id, causedBy: cause }).lean<ChangeDoc>();
    return doc ? toChange<S>(doc) : null;
  }

  /**
   * Version 1 of a new aggregate. When the id exists already (a retry with a derived id, a redelivered
   * event), nothing is written and the existing first change comes back with `applied: false`.
   */
  async create(id: string, decision: Decision<S>, opts: AppendOptions = {}): Promise<WriteResult<S>> {
    try {
      return { change: await this.append(id, 1, decision, opts), applied: true };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const first = await this.changes.findById(`${id}:1`).lean<ChangeDoc>();
      if (!first) throw err;
      return { change: toChange<S>(first), applied: false };
    }
  }

  /**
   * Decides the next change from the latest state and appends it with the expected version; when another
   * writer got that version first, re-reads and decides again. With `causedBy`, a cause already applied is
   * not applied twice (checked after every re-read, so two racing deliveries of one event apply it once).
   * `decide` may return null for "nothing to change".
   */
  async update(
    id: string,
    decide: (current: Change<S>) => Decision<S> | null | Promise<Decision<S> | null>,
    opts: AppendOptions = {},
  ): Promise<WriteResult<S>> {
    for (let attempt = 1; attempt <= 100; attempt++) {
      const current = await this.loadOrThrow(id);
      if (opts.causedBy) {
        const earlier = await this.findCaused(id, opts.causedBy);
        if (earlier) return { change: earlier, applied: false };
      }
      const decision = await decide(current);
      if (!decision) return { change: current, applied: false };
      try {
        return { change: await this.append(id, current.version + 1, decision, opts), applied: true };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // Lost the race for this version: back off a little so racing replicas spread out.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(attempt * 2, 50)));
      }
    }
    throw new VersionConflictError(`${this.options.name} ${id}: too many concurrent writers`);
  }

  private async append(
    id: string,
    version: number,
    decision: Decision<S>,
    opts: AppendOptions,
  ): Promise<Change<S>> {
    const recordedAt = new Date();
    const events: StoredEvent[] = decision.events.map((draft, i) => {
      const eventId = `${this.options.name}.${id}.v${version}.${i}`;
      const data = Buffer.from(
        draft.encode({
          eventId,
          occurredAt: recordedAt,
          aggregateId: id,
          aggregateVersion: version,
          actorOrganisationId: '',
          actorUserId: opts.actor ?? '',
        }),
      );
      return { id: eventId, subject: draft.subject, data };
    });
    const doc: ChangeDoc = {
      _id: `${id}:${version}`,
      aggregateId: id,
      version,
      state: decision.state,
      events,
      recordedAt,
      published: events.length === 0,
      trace: currentTraceCarrier(),
      ...(opts.causedBy ? { causedBy: opts.causedBy } : {}),
      ...(opts.requestHash ? { requestHash: opts.requestHash } : {}),
      ...(opts.actor ? { actor: opts.actor } : {}),
    };
    await this.changes.create(doc);
    const change = toChange<S>(doc);
    await this.project(change);
    if (this.options.bus) this.track(this.publishAggregate(id));
    return change;
  }

  /**
   * Brings the latest-state document up to `change`. FerretDB's updates are not atomic, so a slower writer
   * can overwrite a newer state with an older one; every writer therefore re-reads the log afterwards and
   * writes again while the log holds something newer than what it wrote. The last writer always sees the
   * newest change, so the projection converges on it.
   */
  private async project(change: Change<S>): Promise<void> {
    let latest: Change<S> | null = change;
    for (let i = 0; latest && i < 10; i++) {
      try {
        await this.current.replaceOne(
          { _id: latest.aggregateId, version: { $lte: latest.version } },
          { version: latest.version, state: latest.state },
          { upsert: true },
        );
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // a newer version is already there
      }
      const head: Change<S> | null = await this.load(latest.aggregateId);
      latest = head && head.version > latest.version ? head : null;
    }
  }

  /** Latest states matching a filter over `state.<field>` paths, for list queries. */
  async query(
    filter: Record<string, unknown>,
    sort: Record<string, 1 | -1>,
    limit: number,
    skip = 0,
  ): Promise<{ id: string; version: number; state: S }[]> {
    const docs = await this.current.find(filter).sort(sort).skip(skip).limit(limit).lean<ProjectionDoc[]>();
    return docs.map((d) => ({ id: d._id, version: d.version, state: d.state as S }));
  }

  /** Publishes the unpublished changes of one aggregate in version order, then marks them. */
  async publishAggregate(id: string): Promise<void> {
    const pending = await this.changes
      .find({ aggregateId: id, published: false })
      .sort({ version: 1 })
      .lean<ChangeDoc[]>();
    for (const doc of pending) await this.publishChange(doc);
  }

  /**
   * The relay: publishes every change left unpublished for longer than `olderThanMs` (a crash between
   * append and publish, NATS down for a while). Any replica may run it; a double publish is deduplicated.
   */
  async publishPending(olderThanMs = 1_000, batch = 200): Promise<number> {
    const pending = await this.changes
      .find({ published: false, recordedAt: { $lt: new Date(Date.now() - olderThanMs) } })
      .sort({ recordedAt: 1, version: 1 })
      .limit(batch)
      .lean<ChangeDoc[]>();
    for (const doc of pending) await this.publishChange(doc);
    return pending.length;
  }

  private async publishChange(doc: ChangeDoc): Promise<void> {
    const bus = this.options.bus;
    if (!bus) return;
    await this.project(toChange<S>(doc));
    const parent = contextFromCarrier(doc.trace);
    for (const event of doc.events) {
      await bus.publish(event.subject, toBytes(event.data), event.id, parent);
    }
    await this.changes.updateOne({ _id: doc._id }, { $set: { published: true } });
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((err) => this.options.log.warn({ err }, 'publish after append failed; the relay will retry'))
      .finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  /** Waits for publishes started by appends (graceful shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.inflight]);
  }
}

/** Lean reads give the driver's Binary rather than a Buffer. */
export function toBytes(data: Buffer | { buffer: Uint8Array; position: number }): Uint8Array {
  return Buffer.isBuffer(data) ? data : data.buffer.subarray(0, data.position);
}

export function toChange<S>(doc: ChangeDoc): Change<S> {
  return {
    aggregateId: doc.aggregateId,
    version: doc.version,
    state: doc.state as S,
    recordedAt: doc.recordedAt,
    ...(doc.causedBy ? { causedBy: doc.causedBy } : {}),
    ...(doc.requestHash ? { requestHash: doc.requestHash } : {}),
    ...(doc.actor ? { actor: doc.actor } : {}),
  };
}
