import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { nanos } from '@nats-io/transport-node';
import { Bus, type BusMessage, streamName } from '@nuanyang/bus';
import { createLogger } from '@nuanyang/logger';
import {
  type Decision,
  type EventStore,
  IdempotencyKeyReusedError,
  JetStreamStore,
  MemoryStore,
} from '@nuanyang/store';
import { eventually, startNatsServer } from '@nuanyang/testkit';

const run = promisify(execFile);
const log = createLogger('event-store-test', 'warn');

interface Counter {
  count: number;
  entries: string[];
  at?: Date;
}

const text = (s: string) => new TextEncoder().encode(s);
const bump =
  (entry: string) =>
  (c: { state: Counter }): Decision<Counter> => ({
    state: { ...c.state, count: c.state.count + 1, entries: [...c.state.entries, entry] },
    events: [],
  });
const fresh = (): Decision<Counter> => ({ state: { count: 0, entries: [] }, events: [] });

let nats: Awaited<ReturnType<typeof startNatsServer>>;
let bus: Bus;
let aggregates = 0;

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await Bus.connect(nats.url, 'event-store-test', log);
  await bus.ensureStreams({ replicas: 1 }, 'intake');
});
afterAll(async () => {
  await bus.close();
  await nats.stop();
});

/** A store over a fresh aggregate name, so the cases share nothing. */
const backends: [string, () => EventStore<Counter>][] = [
  ['MemoryStore', () => new MemoryStore<Counter>('counter')],
  [
    'JetStreamStore',
    () => new JetStreamStore<Counter>(bus, { service: 'intake', aggregate: `counter${++aggregates}` }),
  ],
];

describe.each(backends)('%s', (_name, makeStore) => {
  let store: EventStore<Counter>;
  beforeEach(() => {
    store = makeStore();
  });

  it('creates version 1, appends versions in order, and reads the latest back with its dates', async () => {
    const at = new Date('2022-01-05T17:51:00Z');
    const created = await store.create('a1', { state: { count: 0, entries: [], at }, events: [] });
    expect(created).toMatchObject({ applied: true, change: { aggregateId: 'a1', version: 1 } });
    await store.update('a1', bump('x'));
    await store.update('a1', bump('y'));
    const latest = await store.loadOrThrow('a1');
    expect(latest).toMatchObject({ aggregateId: 'a1', version: 3, state: { count: 2, entries: ['x', 'y'] } });
    expect(latest.state.at).toEqual(at);
    expect(latest.recordedAt).toBeInstanceOf(Date);
    expect(await store.load('missing')).toBeNull();
    await expect(store.loadOrThrow('missing')).rejects.toMatchObject({ name: 'AggregateNotFoundError' });
    await expect(store.update('missing', bump('z'))).rejects.toMatchObject({
      name: 'AggregateNotFoundError',
    });
  });

  it("reads an aggregate's whole history, oldest first, and nothing of another one", async () => {
    await store.create('h1', fresh());
    await store.create('h10', fresh());
    await store.update('h1', bump('x'));
    await store.update('h10', bump('other'));
    await store.update('h1', bump('y'));
    const history = await store.loadHistory('h1');
    expect(history.map((c) => [c.version, c.state.entries])).toEqual([
      [1, []],
      [2, ['x']],
      [3, ['x', 'y']],
    ]);
    expect(await store.loadHistory('missing')).toEqual([]);
  });

  it('returns the first change when an id is created again, and changes nothing when decide says so', async () => {
    await store.create('b1', fresh());
    await store.update('b1', bump('x'));
    const again = await store.create('b1', { state: { count: 99, entries: [] }, events: [] });
    expect(again).toMatchObject({ applied: false, change: { version: 1, state: { count: 0 } } });
    const unchanged = await store.update('b1', () => null);
    expect(unchanged).toMatchObject({ applied: false, change: { version: 2 } });
  });

  it('applies a cause once, however often and however concurrently it arrives', async () => {
    await store.create('c1', fresh());
    const results = await Promise.all(
      Array.from({ length: 6 }, () => store.update('c1', bump('e42'), { causedBy: 'event-42' })),
    );
    expect(results.filter((r) => r.applied)).toHaveLength(1);
    for (let i = 1; i <= 20; i++) await store.update('c1', bump(`e${i}`), { causedBy: `event-${i}` });
    // An old cause, long after: the first result, nothing applied.
    const late = await store.update('c1', bump('again'), { causedBy: 'event-42' });
    expect(late).toMatchObject({ applied: false, change: { version: 2, state: { count: 1 } } });
    expect(await store.findCaused('c1', 'event-7')).toMatchObject({ version: 9, causedBy: 'event-7' });
    expect(await store.findCaused('c1', 'event-99')).toBeNull();
    expect((await store.loadOrThrow('c1')).state.count).toBe(21);
  });

  it('gives a retried request its first result and refuses the same key with another body', async () => {
    const first = await store.create('d1', fresh(), { causedBy: 'key-1', requestHash: 'h1' });
    expect(first.applied).toBe(true);
    const retry = await store.create('d1', fresh(), { causedBy: 'key-1', requestHash: 'h1' });
    expect(retry).toMatchObject({ applied: false, change: { version: 1, requestHash: 'h1' } });
    await expect(
      store.create('d1', fresh(), { causedBy: 'key-1', requestHash: 'h2' }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('lets exactly one of many racing writers have each version', async () => {
    await store.create('r1', fresh());
    const writers = 8;
    const results = await Promise.all(
      Array.from({ length: writers }, (_, w) => store.update('r1', bump(`w${w}`))),
    );
    expect(results.every((r) => r.applied)).toBe(true);
    expect(new Set(results.map((r) => r.change.version))).toEqual(
      new Set(Array.from({ length: writers }, (_, i) => i + 2)),
    );
    const latest = await store.loadOrThrow('r1');
    expect(latest.state.count).toBe(writers);
    expect([...latest.state.entries].sort()).toEqual(
      Array.from({ length: writers }, (_, w) => `w${w}`).sort(),
    );
  });

  it('refuses an id that cannot be a subject token, and finds nothing under it', async () => {
    await expect(store.create('a.b', fresh())).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    expect(await store.load('a*b')).toBeNull();
  });

  it('passes a refusal from decide through, writing nothing', async () => {
    await store.create('f1', fresh());
    await expect(
      store.update('f1', () => {
        throw new Error('not allowed');
      }),
    ).rejects.toThrow('not allowed');
    expect((await store.loadOrThrow('f1')).version).toBe(1);
  });

  it('stamps every event with its id, version, time and actor', async () => {
    const seen: unknown[] = [];
    const event = (name: string) => ({
      subject: `nuanyang.intake.request.${name}`,
      encode: (meta: unknown) => {
        seen.push(meta);
        return text(name);
      },
    });
    await store.create('m1', { state: { count: 0, entries: [] }, events: [event('received')] });
    await store.update(
      'm1',
      (c) => ({ state: { ...c.state, count: 1 }, events: [event('cancelled'), event('status_changed')] }),
      { actor: { organisationId: 'org-1', userId: 'user-1' } },
    );
    expect(seen).toEqual([
      expect.objectContaining({
        eventId: expect.stringMatching(/\.m1\.v1\.0$/),
        aggregateId: 'm1',
        aggregateVersion: 1,
      }),
      expect.objectContaining({
        eventId: expect.stringMatching(/\.m1\.v2\.0$/),
        aggregateVersion: 2,
        actorOrganisationId: 'org-1',
        actorUserId: 'user-1',
        occurredAt: expect.any(Date),
      }),
      expect.objectContaining({ eventId: expect.stringMatching(/\.m1\.v2\.1$/), aggregateVersion: 2 }),
    ]);
  });
});

describe('JetStreamStore on the real NATS', () => {
  it("publishes a change's events under their own subjects, one atomic batch, consumed as canonical subjects", async () => {
    const store = new JetStreamStore<Counter>(bus, { service: 'intake', aggregate: 'published' });
    const received: BusMessage[] = [];
    await bus.consume({
      from: 'intake',
      durable: 'event-store-test-published',
      subjects: ['nuanyang.intake.request.cancelled', 'nuanyang.intake.request.status_changed'],
      handler: async (m) => {
        // Earlier cases published on these subjects too.
        if (m.eventId.startsWith('published.')) received.push(m);
      },
    });
    await store.create('p1', fresh());
    await store.update('p1', bump('x'));
    await store.update(
      'p1',
      (c) => ({
        state: { ...c.state, count: 5 },
        events: [
          { subject: 'nuanyang.intake.request.cancelled', encode: () => text('cancelled') },
          { subject: 'nuanyang.intake.request.status_changed', encode: () => text('status') },
        ],
      }),
      { causedBy: 'cancel-key' },
    );
    await eventually(async () => (received.length === 2 ? true : undefined), 5_000, 'both events');
    expect(received.map((m) => [m.subject, new TextDecoder().decode(m.data), m.eventId])).toEqual([
      ['nuanyang.intake.request.cancelled', 'cancelled', 'published.p1.v3.0'],
      ['nuanyang.intake.request.status_changed', 'status', 'published.p1.v3.1'],
    ]);
    const stream = streamName('intake');
    const head = await bus.jsm.direct.getMessage(stream, { last_by_subj: 'nuanyang.intake.published.p1.>' });
    expect(head?.subject).toMatch(/^nuanyang\.intake\.published\.p1\.request\.status_changed\.[0-9a-f]{32}$/);
    expect(await store.loadOrThrow('p1')).toMatchObject({
      version: 3,
      state: { count: 5 },
      causedBy: 'cancel-key',
    });
    await bus.stopConsuming();
  });

  it('keeps applying a cause once after the deduplication window has passed', async () => {
    const store = new JetStreamStore<Counter>(bus, { service: 'intake', aggregate: 'windowed' });
    const stream = streamName('intake');
    const info = await bus.jsm.streams.info(stream);
    await bus.jsm.streams.update(stream, { ...info.config, duplicate_window: nanos(200) });
    try {
      await store.create('w1', fresh());
      await store.update('w1', bump('once'), { causedBy: 'event-1' });
      await new Promise((r) => setTimeout(r, 400));
      const again = await store.update('w1', bump('twice'), { causedBy: 'event-1' });
      expect(again.applied).toBe(false);
      expect((await store.loadOrThrow('w1')).state.entries).toEqual(['once']);
    } finally {
      await bus.jsm.streams.update(stream, info.config);
    }
  });

  it('loses and doubles nothing when two processes append to one aggregate at once', async () => {
    const store = new JetStreamStore<Counter>(bus, { service: 'intake', aggregate: 'shared' });
    await store.create('s1', fresh());
    const perWriter = 40;
    const writer = path.join(__dirname, 'fixtures/jetstream-writer.js');
    const outputs = await Promise.all(
      ['a', 'b'].map((name) =>
        run(process.execPath, [writer, nats.url, 'shared', 's1', name, String(perWriter)]),
      ),
    );
    const latest = await store.loadOrThrow('s1');
    expect(latest.version).toBe(1 + 2 * perWriter);
    const expected = ['a', 'b'].flatMap((w) => Array.from({ length: perWriter }, (_, i) => `${w}-${i}`));
    expect([...latest.state.entries].sort()).toEqual(expected.sort());
    // Each writer's own view: every one of its appends applied, and no version won by both.
    const won = outputs.map(({ stdout }) => JSON.parse(stdout) as { applied: number; versions: number[] });
    for (const w of won) expect(w.applied).toBe(perWriter);
    expect(new Set(won.flatMap((w) => w.versions)).size).toBe(2 * perWriter);
  });
});
