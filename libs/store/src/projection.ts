import { type Bus, type Producer, streamName } from '@nuanyang/bus';
import { UnavailableError } from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import { type AnyBulkWriteOperation, type Connection, type Model, Schema } from 'mongoose';
import pLimit from 'p-limit';
import { isDuplicateKey } from './connection';
import type { Change, EventStore } from './event-store';
import { retryingNats } from './jetstream-store';

/** A read-model document: the aggregate's id and version, and top-level fields to filter and sort on. */
export type ReadDocument = { _id: string; version: number } & Record<string, unknown>;

export interface ProjectionOptions<S extends object> {
  bus: Bus;
  store: EventStore<S>;
  /** The aggregate's service and name, as given to its JetStreamStore. */
  service: Producer;
  aggregate: string;
  /**
   * The projector's durable consumer, shared by the service's replicas: `<service>-<aggregate>-projector`.
   * The database's name is appended, so a service pointed at a new database (MONGO_DATABASE) builds every
   * read model afresh from the streams beside the old one: a rebuild without stopping anything.
   */
  durable: string;
  /** Live work: every aggregate that is not final. Each query's cost is bounded by it. */
  live: Model<ReadDocument>;
  /** Where a final aggregate goes, written once and never updated, when it stays queryable. */
  archive?: Model<ReadDocument>;
  /** The document of a state, and whether the state is final (it leaves the live collection). */
  document(change: Change<S>): { fields: Record<string, unknown>; final: boolean };
  log: Logger;
}

/**
 * A read-model collection: documents of any shape keyed by aggregate id, with the indexes its queries use
 * (MongoDB uses them; FerretDB v1 scans, which is why the collections hold live work only).
 */
export function readModel(
  connection: Connection,
  name: string,
  indexes: Record<string, 1 | -1>[],
): Model<ReadDocument> {
  const existing = connection.models[name] as Model<ReadDocument> | undefined;
  if (existing) return existing;
  const schema = new Schema<ReadDocument>(
    { _id: String, version: Number },
    { collection: name, strict: false, versionKey: false, minimize: false },
  );
  for (const index of indexes) schema.index(index);
  return connection.model<ReadDocument>(name, schema);
}

/** How many archived ids a projector remembers before it starts again (a few MB at most). */
const ARCHIVED_REMEMBERED = 100_000;

/** Direct gets in flight at once while reading heads. */
const PARALLEL = 16;

/**
 * A read model in MongoDB kept from an aggregate's stream (docs/adr/0001-jetstream-system-of-record.md).
 *
 * The projector consumes the aggregate's messages in batches, and for each aggregate they mention writes
 * the *current* state (a direct get), not the message's: replicas sharing the durable may see one
 * aggregate's messages out of order, and a stale write is found by reading the head again afterwards (the
 * last writer always sees the newest state, so the document converges on it). No correctness rests on a
 * conditional update, which FerretDB does not make atomic.
 *
 * Final aggregates leave the live collection (into the insert-once archive when there is one), so the
 * request path's queries cost what the open work costs, not what history holds.
 */
export class Projection<S extends object> {
  private readonly options: ProjectionOptions<S>;
  /** Aggregates this process archived lately (bounded: forgotten in bulk past ARCHIVED_REMEMBERED). */
  private readonly archived = new Set<string>();

  constructor(options: ProjectionOptions<S>) {
    this.options = { ...options, durable: `${options.durable}-${options.live.db.name}` };
  }

  async init(): Promise<void> {
    for (const model of this.models()) {
      await model.createCollection().catch(() => undefined);
      await model.createIndexes();
    }
  }

  /** Starts the projector consumer (declared idempotently). */
  async start(): Promise<void> {
    const { bus, service, aggregate, durable } = this.options;
    await bus.consumeBatches({
      from: service,
      durable,
      filters: [`nuanyang.${service}.${aggregate}.>`],
      handler: async (messages) => {
        const prefix = `nuanyang.${service}.${aggregate}.`;
        const ids = new Set(messages.map((m) => m.subject.slice(prefix.length).split('.')[0] ?? ''));
        await this.apply([...ids].filter((id) => id !== ''));
      },
    });
  }

  /**
   * The first `limit` documents matching `filter` in `sort` order, from the live collection, the archive or
   * both (merged). The archive is the history path: on FerretDB v1 its cost grows with history.
   */
  async find<D extends ReadDocument>(
    filter: Record<string, unknown>,
    sort: Record<string, 1 | -1>,
    limit: number,
    from: { live: boolean; archive: boolean },
  ): Promise<D[]> {
    const { live, archive } = this.options;
    const read = (m: Model<ReadDocument>) => m.find(filter).sort(sort).limit(limit).lean<D[]>().exec();
    const parts = await Promise.all([
      from.live ? read(live) : [],
      from.archive && archive ? read(archive) : [],
    ]);
    return parts.flat().sort(compareBy(sort)).slice(0, limit);
  }

  /** Brings the documents of these aggregates up to their current state. */
  async apply(ids: string[]): Promise<void> {
    let queue = ids;
    for (let round = 0; queue.length > 0 && round < 10; round++) {
      const written = await this.writeHeads(queue);
      // Read each head again: when it moved on while this wrote (or another replica wrote an older state
      // after this one), write again.
      const limit = pLimit(PARALLEL);
      const heads = await Promise.all(written.map(({ id }) => limit(() => this.options.store.load(id))));
      queue = written
        .filter(({ version }, i) => heads[i] && heads[i].version !== version)
        .map(({ id }) => id);
    }
  }

  /**
   * Resolves once the projector has written every message of the aggregate appended before the call, so a
   * query after it sees every aggregate as of then (for the rare path that must not miss one written a
   * moment ago). The projector acks a batch once its documents hold the heads, so its ack floor tells.
   * UNAVAILABLE after `timeoutMs`: the caller retries later.
   */
  async caughtUp(timeoutMs = 10_000): Promise<void> {
    const { bus, service, aggregate, durable } = this.options;
    const stream = streamName(service);
    const last = await retryingNats(() =>
      bus.jsm.direct.getMessage(stream, { last_by_subj: `nuanyang.${service}.${aggregate}.>` }),
    );
    if (!last) return;
    for (const deadline = Date.now() + timeoutMs; ; ) {
      const info = await retryingNats(() => bus.jsm.consumers.info(stream, durable));
      if (info.ack_floor.stream_seq >= last.seq) return;
      if (Date.now() > deadline)
        throw new UnavailableError(`${durable} has not caught up with ${stream} ${last.seq} yet`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Drops the read model and replays the aggregate's stream into it: the projector's durable starts again
   * from the first message. Run with the service's projectors stopped or while it starts.
   */
  async rebuild(): Promise<void> {
    const { bus, service, durable } = this.options;
    await bus.jsm.consumers.delete(streamName(service), durable).catch(() => false);
    for (const model of this.models()) await model.collection.drop().catch(() => undefined);
    this.archived.clear();
    await this.init();
  }

  /** One bulk write per collection for the heads of these aggregates; returns the versions written. */
  private async writeHeads(ids: string[]): Promise<{ id: string; version: number }[]> {
    const { store, live, archive, document } = this.options;
    const limit = pLimit(PARALLEL);
    const heads = (await Promise.all(ids.map((id) => limit(() => store.load(id))))).filter(
      (h): h is Change<S> => h !== null,
    );
    const finals: ReadDocument[] = [];
    const ops: AnyBulkWriteOperation<ReadDocument>[] = [];
    for (const head of heads) {
      const { fields, final } = document(head);
      const doc: ReadDocument = { ...fields, _id: head.aggregateId, version: head.version };
      if (final) {
        // A projector behind its stream meets a finished aggregate once per message of it: archive it once
        // here (another replica's second insert is refused as a duplicate, harmlessly).
        if (!this.archived.has(head.aggregateId)) finals.push(doc);
        ops.push({ deleteOne: { filter: { _id: head.aggregateId } } });
      } else {
        ops.push({ replaceOne: { filter: { _id: head.aggregateId }, replacement: doc, upsert: true } });
      }
    }
    // Archived first: a crash in between leaves a final aggregate in both, and the next pass removes it.
    if (archive && finals.length > 0) {
      await archive.insertMany(finals, { ordered: false, lean: true }).catch((err) => {
        // Archived already by an earlier pass: final states do not change.
        if (!isDuplicateKey(err) && !allDuplicates(err)) throw err;
      });
    }
    if (ops.length > 0) await live.bulkWrite(ops, { ordered: false });
    if (this.archived.size > ARCHIVED_REMEMBERED) this.archived.clear();
    for (const doc of finals) this.archived.add(doc._id);
    return heads.map((h) => ({ id: h.aggregateId, version: h.version }));
  }

  private models(): Model<ReadDocument>[] {
    return this.options.archive ? [this.options.live, this.options.archive] : [this.options.live];
  }
}

/** The order of a MongoDB sort specification, for merging sorted parts in memory. */
function compareBy(sort: Record<string, 1 | -1>): (a: ReadDocument, b: ReadDocument) => number {
  const value = (v: unknown) => (v instanceof Date ? v.getTime() : v);
  return (a, b) => {
    for (const [field, direction] of Object.entries(sort)) {
      const [x, y] = [value(a[field]), value(b[field])] as [number | string, number | string];
      if (x < y) return -direction;
      if (x > y) return direction;
    }
    return 0;
  };
}

/** An unordered bulk insert whose every failure is a duplicate key. */
function allDuplicates(err: unknown): boolean {
  const writeErrors = (err as { writeErrors?: { code?: number }[] }).writeErrors;
  return Array.isArray(writeErrors) && writeErrors.length > 0 && writeErrors.every((e) => e.code === 11000);
}
