import { BSON } from 'bson';
import {
  type Change,
  type PreparedChange,
  type Stored,
  VersionedStore,
  WrongPositionError,
} from './event-store';

/** An event as the in-memory store recorded it, for tests to read what a change published. */
export interface RecordedEvent {
  subject: string;
  eventId: string;
  data: Uint8Array;
}

/**
 * The store's semantics in memory (versions, races, causes, idempotency), for unit tests of a service's
 * application classes: milliseconds, no servers. `events` lists what the JetStream store would publish.
 */
export class MemoryStore<S extends object> extends VersionedStore<S> {
  private readonly log = new Map<string, Stored<S>[]>();
  private position = 0;
  readonly events: RecordedEvent[] = [];

  constructor(aggregate = 'aggregate') {
    super(aggregate);
  }

  // Reads and writes copy, as a real backend would: a caller mutating a state changes nothing stored.
  protected async readHead(id: string): Promise<Stored<S> | null> {
    return copy(this.log.get(id)?.at(-1));
  }

  protected async readFirst(id: string): Promise<Change<S> | null> {
    return copy(this.log.get(id)?.[0])?.change ?? null;
  }

  protected async readCaused(id: string, cause: string): Promise<Change<S> | null> {
    return copy(this.log.get(id)?.find((s) => s.change.causedBy === cause))?.change ?? null;
  }

  protected async readAfter(id: string, position: number): Promise<Stored<S> | null> {
    return copy(this.log.get(id)?.find((s) => s.position > position));
  }

  protected async write(id: string, expected: number, prepared: PreparedChange<S>): Promise<void> {
    const history = this.log.get(id) ?? [];
    if ((history.at(-1)?.position ?? 0) !== expected) throw new WrongPositionError(`${id} moved on`);
    const change = clone(prepared.change);
    history.push({ change, position: ++this.position, writeId: prepared.writeId });
    this.log.set(id, history);
    this.events.push(...prepared.events);
  }

  protected retrying<T>(step: () => Promise<T>): Promise<T> {
    return step();
  }

  /** Every version of an aggregate, oldest first. */
  history(id: string): Change<S>[] {
    return (this.log.get(id) ?? []).map((s) => clone(s.change));
  }
}

/** A copy through BSON, as the JetStream store keeps states: dates stay dates, undefined fields vanish. */
function clone<T>(value: T): T {
  const bytes = BSON.serialize({ value }, { ignoreUndefined: true });
  return BSON.deserialize(bytes, { promoteBuffers: true }).value as T;
}

const copy = <T>(value: T | undefined): T | null => (value === undefined ? null : clone(value));
