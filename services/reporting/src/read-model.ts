import { EventEmitter } from 'node:events';
import type { Logger } from '@nuanyang/logger';
import type { ServiceContext } from '@nuanyang/service-kit';
import { isDuplicateKey } from '@nuanyang/store';
import type { ReportingConfig } from './config';
import type { Fact } from './domain/facts';
import { type Derived, derive } from './domain/figures';

type Mongo = ServiceContext<ReportingConfig>['mongo'];
type FactDoc = Omit<Fact, 'id'> & { _id: string };

/** The facts collection and durable consumers of one read-model generation. */
export const factsCollectionName = (generation: number) => `facts_g${generation}`;
export const durableName = (generation: number, stream: string) => `reporting-g${generation}-${stream}`;

/**
 * The facts (one document per event, `_id` = event id, inserted once: a redelivery hits the unique key and
 * changes nothing) and, in memory, every fact this replica knows with the figures derived from them.
 * FerretDB answers any query but by `_id` with a scan, so the figures are never queried from the database:
 * the replica loads all facts at start, adds what it stores itself, and reloads when another replica says
 * it stored some (SummaryUpdated) and every RELOAD_INTERVAL_MS. Emits 'changed' when a new fact is known.
 */
export class ReadModel extends EventEmitter {
  private readonly facts = new Map<string, Fact>();
  private derived: Derived | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;

  constructor(
    private readonly mongo: Mongo,
    readonly generation: number,
    private readonly log: Logger,
  ) {
    super();
    this.setMaxListeners(0);
  }

  private get collection() {
    return this.mongo.collection<FactDoc>(factsCollectionName(this.generation));
  }

  get size(): number {
    return this.facts.size;
  }

  async init(): Promise<void> {
    await this.mongo.createCollection(factsCollectionName(this.generation)).catch(() => undefined);
    await this.load();
    this.log.info({ facts: this.facts.size, generation: this.generation }, 'read model loaded');
  }

  /** Stores the fact once; true when this call stored it (false: already stored, by us or a replica). */
  async record(fact: Fact): Promise<boolean> {
    const { id, ...rest } = fact;
    let stored = true;
    try {
      await this.collection.insertOne({ _id: id, ...rest } as FactDoc);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      stored = false;
    }
    // Known either way: a fact another replica stored is the same fact (same event, same id).
    this.add(fact);
    return stored;
  }

  /** Adds facts not known yet, from the collection. Concurrent calls share one pass (plus one after it). */
  reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      try {
        do {
          this.reloadAgain = false;
          await this.load();
        } while (this.reloadAgain);
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }

  private async load(): Promise<void> {
    const docs = await this.collection.find({}).toArray();
    let added = 0;
    for (const { _id, ...rest } of docs) {
      if (this.facts.has(_id)) continue;
      this.facts.set(_id, { id: _id, ...rest } as Fact);
      added += 1;
    }
    if (added > 0) this.changed();
  }

  private add(fact: Fact): void {
    if (this.facts.has(fact.id)) return;
    this.facts.set(fact.id, fact);
    this.changed();
  }

  private changed(): void {
    this.derived = undefined;
    this.emit('changed');
  }

  /** The figures' basis, derived again only after a change. */
  view(): Derived {
    this.derived ??= derive(this.facts.values());
    return this.derived;
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
}
