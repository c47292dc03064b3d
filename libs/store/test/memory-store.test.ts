import { type Change, type Decision, MemoryStore } from '@nuanyang/store';

interface Counter {
  count: number;
}

const bump = (c: Change<Counter>): Decision<Counter> => ({ state: { count: c.state.count + 1 }, events: [] });

/**
 * A store where the same cause lands from another writer right as this one reads (inside its first read of
 * the head or of the cause), the narrowest interleaving a redelivery can meet.
 */
class Interleaved extends MemoryStore<Counter> {
  private interfered = true;
  constructor(private readonly during: 'readHead' | 'readCaused') {
    super('counter');
  }
  /** From now on, the next read lets the other writer in first. */
  arm() {
    this.interfered = false;
  }
  private async interfere(id: string) {
    if (this.interfered) return;
    this.interfered = true;
    await this.update(id, bump, { causedBy: 'event-1' });
  }
  protected override async readHead(id: string) {
    if (this.during === 'readHead') await this.interfere(id);
    return super.readHead(id);
  }
  protected override async readCaused(id: string, cause: string) {
    if (this.during === 'readCaused') await this.interfere(id);
    return super.readCaused(id, cause);
  }
}

describe.each(['readHead', 'readCaused'] as const)(
  'a cause arriving twice, the second during %s',
  (during) => {
    it('is applied once', async () => {
      const store = new Interleaved(during);
      await store.create('c', { state: { count: 0 }, events: [] });
      store.arm();
      const result = await store.update('c', bump, { causedBy: 'event-1' });
      expect(result.applied).toBe(false);
      expect(store.history('c').map((c) => c.state.count)).toEqual([0, 1]);
    });
  },
);
