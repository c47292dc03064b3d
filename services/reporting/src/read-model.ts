import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type ConsumerMessages, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type Bus, streamName } from '@nuanyang/bus';
import type { Logger } from '@nuanyang/logger';
import type { ServiceContext } from '@nuanyang/service-kit';
import { isDuplicateKey } from '@nuanyang/store';
import type { ReportingConfig } from './config';
import { type CaseView, foldCase } from './domain/case';
import type { Fact } from './domain/facts';
import { type ClosedCase, Figures, taskCaseId } from './domain/figures';

type Mongo = ServiceContext<ReportingConfig>['mongo'];
type FactDoc = Omit<Fact, 'id'> & { _id: string };
/** An archived case, and a pointer from each of its delivery tasks (hours carry the task only). */
type CaseDoc =
  | { _id: string; kind: 'case'; facts: Fact[]; tasks: string[] }
  | { _id: string; kind: 'task'; caseId: string }
  | { _id: 'archived'; kind: 'mark'; through: number }
  | { _id: 'relay'; kind: 'relay'; epoch: string; closeAfter: number };

/** The facts collection and durable consumers of one read-model generation. */
export const factsCollectionName = (generation: number) => `facts_g${generation}`;
export const casesCollectionName = (generation: number) => `cases_g${generation}`;
export const durableName = (generation: number, stream: string) => `reporting-g${generation}-${stream}`;
/** The relay of new facts, in reporting's stream: every replica applies each fact from here, once. */
export const relaySubject = (generation: number) => `nuanyang.reporting.facts.g${generation}`;
const RELAY_STREAM = streamName('reporting');

/**
 * The read model of one replica. Replicas share the durable consumers of the services' streams, so each
 * sees some of the events: the replica that stores a fact first (facts collection, `_id` = event id,
 * inserted once) publishes it on the relay subject, and every replica applies the relay in its order to its
 * Figures. So each fact is applied once and in the same order everywhere, and a replica starting up replays
 * the relay to build its figures, then follows it: nothing is reloaded or re-folded.
 *
 * Closed cases leave memory for the cases collection (written once each, by `_id`; read by `_id` only when
 * a late fact opens one again, or in full by the CSV listings of every request or delivery).
 *
 * Emits 'changed' after applying a fact, 'failed' when it cannot go on applying the relay.
 */
export class ReadModel extends EventEmitter {
  readonly figures: Figures;
  /** Closed, not archived yet (a late fact may open one before it is). */
  private readonly pending = new Map<string, ClosedCase & { seq: number }>();
  private archiving: Promise<void> | undefined;
  /** Cases closed up to this relay sequence are archived already (by an earlier run or another replica). */
  private archivedThrough = 0;
  private messages: ConsumerMessages | undefined;
  private following: Promise<void> | undefined;
  /** Relay sequence of the last fact applied. */
  private position = 0;
  /**
   * Part of each relayed fact's message id, new when the read model's data is dropped: a fact relayed again
   * after a rebuild must not be taken for a duplicate of its first relay (the stream remembers ids for hours).
   */
  private epoch = '';

  constructor(
    private readonly mongo: Mongo,
    private readonly bus: Bus,
    readonly generation: number,
    private readonly log: Logger,
    private readonly opts: { closeAfter: number },
  ) {
    super();
    this.setMaxListeners(0);
    this.figures = new Figures(opts);
  }

  private get facts() {
    return this.mongo.collection<FactDoc>(factsCollectionName(this.generation));
  }

  private get cases() {
    return this.mongo.collection<CaseDoc>(casesCollectionName(this.generation));
  }

  /** Replays the relay; resolves once every fact relayed before the call is applied. */
  async init(): Promise<void> {
    const opts = this.opts;
    const started = performance.now();
    await this.mongo.createCollection(factsCollectionName(this.generation)).catch(() => undefined);
    await this.mongo.createCollection(casesCollectionName(this.generation)).catch(() => undefined);
    const mark = await this.cases.findOne({ _id: 'archived' });
    this.archivedThrough = mark?.kind === 'mark' ? mark.through : 0;
    this.epoch = await this.relayEpoch(opts.closeAfter);

    const subject = relaySubject(this.generation);
    const jsm = await jetstreamManager(this.bus.connection);
    const last = (await jsm.streams.getMessage(RELAY_STREAM, { last_by_subj: subject }))?.seq ?? 0;
    const consumer = await jetstream(this.bus.connection).consumers.get(RELAY_STREAM, {
      filter_subjects: [subject],
    });
    const messages = await consumer.consume();
    this.messages = messages;
    let caughtUp: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    if (last === 0) caughtUp();
    this.following = (async () => {
      for await (const m of messages) {
        await this.applyRelayed(m.seq, m.json<Fact>());
        if (m.seq >= last) caughtUp();
      }
    })().catch((err) => {
      // A replica that stops applying the relay would serve stale figures: it reports and stops.
      this.log.error({ err }, 'following the fact relay failed');
      this.emit('failed', err);
    });
    await ready;
    this.log.info(
      {
        generation: this.generation,
        relayed: last,
        ms: Math.round(performance.now() - started),
        ...this.figures.stats,
      },
      'read model built from the relay',
    );
  }

  /**
   * Stores the fact once and relays it. True when this call stored it. A fact stored before is relayed
   * again only when this is a redelivery of the message (the first attempt may have stopped between storing
   * and relaying): the relay's duplicate window drops it if it was relayed, as it is far longer than the
   * consumers' redelivery horizon. A first delivery of a fact stored before is another message with the same
   * event: not relayed.
   */
  async record(fact: Fact, redelivery: boolean): Promise<boolean> {
    const { id, ...rest } = fact;
    let stored = true;
    try {
      await this.facts.insertOne({ _id: id, ...rest } as FactDoc);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      stored = false;
    }
    if (stored || redelivery) {
      const data = new TextEncoder().encode(JSON.stringify(fact));
      await this.bus.publish(relaySubject(this.generation), data, `fact:${this.epoch}:${id}`);
    }
    return stored;
  }

  /**
   * The relay epoch of this generation's data, chosen by the first replica to start on it, with the
   * closeAfter it was built with: replicas that closed cases at other points would archive other documents
   * for the same case, so another value needs a new generation.
   */
  private async relayEpoch(closeAfter: number): Promise<string> {
    try {
      await this.cases.insertOne({ _id: 'relay', kind: 'relay', epoch: randomUUID(), closeAfter });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const doc = await this.cases.findOne({ _id: 'relay' });
    if (doc?.kind !== 'relay') throw new Error('the relay epoch could not be read');
    if (doc.closeAfter !== closeAfter)
      throw new Error(
        `CLOSE_AFTER_FACTS is ${closeAfter} but generation ${this.generation} was built with ${doc.closeAfter}: ` +
          'use that value, or a new READ_MODEL_GENERATION',
      );
    return doc.epoch;
  }

  private async applyRelayed(seq: number, fact: Fact): Promise<void> {
    const key = this.figures.caseOf(fact);
    if (key !== undefined && this.figures.mayBeClosed(key)) {
      const closed = await this.retrying('loading a closed case', () => this.loadClosed(key));
      if (closed) this.figures.reopen(closed);
    }
    this.figures.apply(fact);
    this.position = seq;
    for (const c of this.figures.takeClosed()) {
      if (seq > this.archivedThrough) this.pending.set(c.id, { ...c, seq });
    }
    if (this.pending.size > 0) this.archive();
    this.emit('changed');
  }

  /** Retries while the database is unavailable: the relay cannot go on without the fact in hand. */
  private async retrying<T>(what: string, f: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (err) {
        const delay = Math.min(200 * 2 ** (attempt - 1), 5000);
        this.log.warn({ err, attempt, retryInMs: delay }, `${what} failed`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** A closed case by its id or one of its delivery tasks' (`task:` ids), pending or archived. */
  private async loadClosed(key: string): Promise<ClosedCase | undefined> {
    let caseId = key;
    if (key.startsWith(taskCaseId(''))) {
      const task = key.slice(taskCaseId('').length);
      const pending = [...this.pending.values()].find((c) => c.tasks.includes(task));
      if (pending) return pending;
      const pointer = await this.cases.findOne({ _id: key });
      if (pointer?.kind !== 'task') return undefined;
      caseId = pointer.caseId;
    }
    // A pending case is still archived as it closed (as on every replica), even when opened again here.
    const pending = this.pending.get(caseId);
    if (pending) return pending;
    const doc = await this.cases.findOne({ _id: caseId });
    return doc?.kind === 'case' ? { id: doc._id, facts: doc.facts, tasks: doc.tasks } : undefined;
  }

  /** Writes the pending closed cases (one batch at a time; a failed batch stays pending and is retried). */
  private archive(): void {
    if (this.archiving) return;
    this.archiving = (async () => {
      try {
        while (this.pending.size > 0) {
          const batch = [...this.pending.values()].slice(0, 500);
          const docs: CaseDoc[] = batch.flatMap((c) => [
            { _id: c.id, kind: 'case' as const, facts: c.facts, tasks: c.tasks },
            ...c.tasks.map((t) => ({ _id: taskCaseId(t), kind: 'task' as const, caseId: c.id })),
          ]);
          await this.cases.insertMany(docs, { ordered: false }).catch((err) => {
            // Written before (by another replica, or before a restart): the same documents.
            if (!allDuplicates(err)) throw err;
          });
          const through = Math.max(...batch.map((c) => c.seq));
          for (const c of batch) if (this.pending.get(c.id) === c) this.pending.delete(c.id);
          if (this.pending.size === 0 || [...this.pending.values()].every((c) => c.seq > through))
            await this.cases.updateOne(
              { _id: 'archived' },
              { $set: { kind: 'mark' }, $max: { through } },
              { upsert: true },
            );
        }
      } catch (err) {
        this.log.warn({ err, pending: this.pending.size }, 'archiving closed cases failed; retrying later');
        setTimeout(() => this.archive(), 5000).unref();
      } finally {
        this.archiving = undefined;
      }
    })();
  }

  /** Every case's views: the open ones from memory, the closed ones from the archive (for the listings). */
  async caseViews(): Promise<CaseView[]> {
    const views: CaseView[] = [...this.figures.openViews()];
    for (const c of this.pending.values()) views.push(foldCase(c.facts));
    for await (const doc of this.cases.find({ kind: 'case' })) {
      if (doc.kind !== 'case' || this.figures.isOpen(doc._id) || this.pending.has(doc._id)) continue;
      views.push(foldCase(doc.facts));
    }
    return views;
  }

  /** Relay sequence of the last fact applied. */
  get applied(): number {
    return this.position;
  }

  /** Resolves at the next change, or when the signal aborts. */
  nextChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.off('changed', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.once('changed', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Stops following the relay and writes what is pending. */
  async stop(): Promise<void> {
    this.messages?.stop();
    await this.following;
    await this.archiving;
  }
}

/** A write whose every error is a duplicate key (a bulk write lists its errors). */
function allDuplicates(err: unknown): boolean {
  const errors = (err as { writeErrors?: { code?: number }[] | { code?: number } } | null)?.writeErrors;
  if (errors === undefined) return isDuplicateKey(err);
  const list = Array.isArray(errors) ? errors : [errors];
  return list.length > 0 && list.every((e) => e.code === 11000);
}
