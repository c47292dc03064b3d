import type { KV } from '@nats-io/kv';
import { retryingNats } from './jetstream-store';

/** A key's value and the revision to compare against when setting it again. */
export interface Revisioned {
  value: string;
  revision: number;
}

/**
 * Compare-and-set over string values: what indexes keyed by a hash need (intake's duplicate index).
 * `set` writes when the key is still at `expected` (0: absent) and says whether it did.
 */
export interface CasKeyValue {
  get(key: string): Promise<Revisioned | null>;
  set(key: string, value: string, expected: number): Promise<boolean>;
}

/** A NATS KV bucket as CasKeyValue; transient faults are retried, then UNAVAILABLE. */
export function natsKeyValue(kv: KV): CasKeyValue {
  return {
    async get(key) {
      const entry = await retryingNats(() => kv.get(key));
      // A deleted or purged key reads as an empty entry with a revision: treat it as absent, created anew.
      return entry && entry.length > 0 ? { value: entry.string(), revision: entry.revision } : null;
    },
    async set(key, value, expected) {
      try {
        await retryingNats(() => (expected ? kv.update(key, value, expected) : kv.create(key, value)));
        return true;
      } catch (err) {
        if (isRevisionConflict(err)) return false;
        throw err;
      }
    },
  };
}

/** Another writer got in first: wrong last sequence on update, or the key exists on create. */
function isRevisionConflict(err: unknown): boolean {
  const code = (err as { code?: number }).code;
  return code === 10071 || code === 10164 || /wrong last sequence|exists/i.test((err as Error).message ?? '');
}

/** CasKeyValue in memory, with the same compare-and-set rule, for unit tests. */
export class MemoryKeyValue implements CasKeyValue {
  private readonly entries = new Map<string, Revisioned>();
  private revision = 0;

  async get(key: string): Promise<Revisioned | null> {
    return this.entries.get(key) ?? null;
  }

  async set(key: string, value: string, expected: number): Promise<boolean> {
    if ((this.entries.get(key)?.revision ?? 0) !== expected) return false;
    this.entries.set(key, { value, revision: ++this.revision });
    return true;
  }
}
