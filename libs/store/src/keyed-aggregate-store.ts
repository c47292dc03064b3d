import type { Bus } from '@nuanyang/bus';
import { contextFromCarrier } from '@nuanyang/telemetry';
import type { Connection } from 'mongoose';
import {
  AggregateStore,
  type AggregateStoreOptions,
  type ChangeDoc,
  toBytes,
  toChange,
} from './aggregate-store';
import type { Change } from './event-store';

/** How often the relay looks for changes another replica left unpublished when nothing failed here. */
const RELAY_SCAN_EVERY_MS = 30_000;
/** Changes read at once (in parallel, each by key) while looking for a cause. */
const CAUSE_BATCH = 16;

/**
 * The aggregate store, reading one aggregate by primary key only.
 *
 * FerretDB v1 on SQLite pushes down no filter but `_id`: every `{ aggregateId }` query of the base store
 * (`load`, `publishAggregate`) reads and decodes the whole change log of every aggregate, so each write
 * costs more the more has ever been written (a burst of reservations on one lot slowed to seconds per call).
 * Here the latest state is the projection's, checked against the log's next `<id>:<version>` key, and an
 * aggregate's unpublished changes are found by walking those keys back from the head; the relay's full scan
 * runs only when something may have been left unpublished. (A change loaded from the projection carries no
 * cause, request hash or time: nothing that loads the latest state reads them.) Causes are found by walking
 * the aggregate's keys too. Writes and the relay are the base store's. Every service uses it.
 */
export class KeyedAggregateStore<S extends object> extends AggregateStore<S> {
  private readonly bus: Bus | undefined;
  /** When the relay last scanned the log, and whether a publish here failed since (or this process is new). */
  private lastScan = 0;
  private leftoversSuspected = true;

  constructor(connection: Connection, options: AggregateStoreOptions) {
    super(connection, options);
    this.bus = options.bus;
  }

  private change(key: string): Promise<ChangeDoc | null> {
    return this.changes.findById(key).lean<ChangeDoc>().exec();
  }

  /**
   * The newest change: the projection's (which holds the state of its version, and may lag behind the log),
   * or the log's changes after it.
   */
  override async load(id: string): Promise<Change<S> | null> {
    const projected = await this.current.findById(id).lean<{ version: number; state: S }>().exec();
    let version = projected?.version ?? 0;
    let latest: Change<S> | null = projected
      ? { aggregateId: id, version, state: projected.state, recordedAt: new Date(0) }
      : null;
    for (;;) {
      const next = await this.change(`${id}:${version + 1}`);
      if (!next) return latest;
      latest = toChange<S>(next);
      version += 1;
    }
  }

  /**
   * The change `cause` produced on this aggregate: its own changes read by key, newest first, instead of the
   * base store's query by cause, which FerretDB v1 answers by decoding every aggregate's log (a delivery
   * task's status update took seconds once a few hundred tasks existed). Reads this aggregate's versions
   * only, and stays exact after a crash: the change itself is the record of its cause.
   */
  override async findCaused(id: string, cause: string): Promise<Change<S> | null> {
    const head = await this.load(id);
    for (let top = head?.version ?? 0; top >= 1; top -= CAUSE_BATCH) {
      const versions = Array.from({ length: Math.min(CAUSE_BATCH, top) }, (_, i) => top - i);
      const docs = await Promise.all(versions.map((v) => this.change(`${id}:${v}`)));
      const hit = docs.find((doc) => doc?.causedBy === cause);
      if (hit) return toChange<S>(hit);
    }
    return null;
  }

  /** Publishes the aggregate's unpublished changes (the newest ones, back to the first published) in order. */
  override async publishAggregate(id: string): Promise<void> {
    try {
      await this.publishUnpublished(id);
    } catch (err) {
      this.leftoversSuspected = true;
      throw err;
    }
  }

  /**
   * The relay's pass scans the whole log for unpublished changes, which on FerretDB means decoding every
   * change ever written. Appends publish their own events, so the scan is only needed after a publish failed
   * here, at start-up, and now and then for what a crashed replica left behind.
   */
  override async publishPending(olderThanMs?: number, batch?: number): Promise<number> {
    if (!this.leftoversSuspected && Date.now() - this.lastScan < RELAY_SCAN_EVERY_MS) return 0;
    this.leftoversSuspected = false;
    this.lastScan = Date.now();
    try {
      return await super.publishPending(olderThanMs, batch);
    } catch (err) {
      this.leftoversSuspected = true;
      throw err;
    }
  }

  /**
   * From the projected version back to the last published change. (A change after the projected one is
   * being appended right now, and its writer publishes it.)
   */
  private async publishUnpublished(id: string): Promise<void> {
    if (!this.bus) return;
    const projected = await this.current
      .findById(id)
      .select({ version: 1 })
      .lean<{ version: number }>()
      .exec();
    const pending: ChangeDoc[] = [];
    let doc = projected ? await this.change(`${id}:${projected.version}`) : null;
    for (; doc && !doc.published; ) {
      pending.unshift(doc);
      doc = doc.version > 1 ? await this.change(`${id}:${doc.version - 1}`) : null;
    }
    for (const doc of pending) {
      const parent = contextFromCarrier(doc.trace);
      for (const event of doc.events ?? []) {
        await this.bus.publish(event.subject, toBytes(event.data), event.id, parent);
      }
      await this.changes.updateOne({ _id: doc._id }, { $set: { published: true } });
    }
  }
}
