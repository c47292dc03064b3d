import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { Bus } from '@nuanyang/bus';
import { createLogger } from '@nuanyang/logger';
import { AggregateStore, connectMongo, KeyedAggregateStore } from '@nuanyang/store';
import { startNatsServer, testServers } from '@nuanyang/testkit';
import type { Connection } from 'mongoose';

const run = promisify(execFile);
const log = createLogger('store-test', 'warn');

interface Counter {
  count: number;
  entries: string[];
}

const encode = (text: string) => () => new TextEncoder().encode(text);

describe('AggregateStore on the real FerretDB', () => {
  let connection: Connection;
  const database = `store_test_${process.pid}`;

  beforeAll(async () => {
    connection = await connectMongo(testServers().mongoUrl, database, log);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('loses and doubles nothing when two processes append to one aggregate at once', async () => {
    const store = new AggregateStore<Counter>(connection, { name: 'counter', log });
    await store.init();
    await store.create('shared', { state: { count: 0, entries: [] }, events: [] });
    const perWriter = 30;
    const writer = path.join(__dirname, 'fixtures/append-writer.js');
    const { mongoUrl } = testServers();
    await Promise.all(
      ['a', 'b'].map((name) =>
        run(process.execPath, [writer, mongoUrl, database, 'shared', name, String(perWriter)]),
      ),
    );

    const latest = await store.loadOrThrow('shared');
    expect(latest.version).toBe(1 + 2 * perWriter);
    expect(latest.state.count).toBe(2 * perWriter);
    const expected = ['a', 'b'].flatMap((w) => Array.from({ length: perWriter }, (_, i) => `${w}-${i}`));
    expect([...latest.state.entries].sort()).toEqual(expected.sort());
    // Every version exists exactly once, each adding one entry to the one before.
    const history = await store.changes.find({ aggregateId: 'shared' }).sort({ version: 1 }).lean();
    expect(history.map((c) => c.version)).toEqual(Array.from({ length: 1 + 2 * perWriter }, (_, i) => i + 1));
    for (const [i, c] of history.entries()) expect((c.state as Counter).count).toBe(i);
    // The latest-state collection converged on the last version despite the race.
    const [current] = await store.query({ _id: 'shared' }, {}, 1);
    expect(current?.version).toBe(latest.version);
  });

  it('applies a cause once, however often it arrives', async () => {
    const store = new AggregateStore<Counter>(connection, { name: 'counter', log });
    await store.create('caused', { state: { count: 0, entries: [] }, events: [] });
    const bump = (c: { state: Counter }) => ({ state: { ...c.state, count: c.state.count + 1 }, events: [] });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.update('caused', bump, { causedBy: 'event-42' })),
    );
    expect(results.filter((r) => r.applied)).toHaveLength(1);
    expect((await store.loadOrThrow('caused')).state.count).toBe(1);
    const again = await store.create('caused', { state: { count: 99, entries: [] }, events: [] });
    expect(again.applied).toBe(false);
    expect(again.change.state.count).toBe(0);
  });
});

describe('KeyedAggregateStore', () => {
  it('loads what the log holds, even when the latest-state document lags behind', async () => {
    const connection = await connectMongo(testServers().mongoUrl, `keyed_test_${process.pid}`, log);
    try {
      const keyed = new KeyedAggregateStore<Counter>(connection, { name: 'keyed', log });
      await keyed.init();
      await keyed.create('k', { state: { count: 0, entries: [] }, events: [] });
      for (let i = 1; i <= 3; i++) {
        await keyed.update('k', (c) => ({
          state: { count: c.state.count + 1, entries: [...c.state.entries, `e${i}`] },
          events: [],
        }));
      }
      expect((await keyed.load('k'))?.state).toEqual({ count: 3, entries: ['e1', 'e2', 'e3'] });
      // A writer that crashed after appending version 5 but before updating the latest state.
      await keyed.changes.create({
        _id: 'k:5',
        aggregateId: 'k',
        version: 5,
        state: { count: 4, entries: ['e1', 'e2', 'e3', 'e4'] },
        events: [],
        recordedAt: new Date(),
        published: true,
      });
      expect(await keyed.load('k')).toMatchObject({ version: 5, state: { count: 4 } });
      expect(await keyed.load('missing')).toBeNull();
    } finally {
      await connection.dropDatabase();
      await connection.close();
    }
  });
});

describe('KeyedAggregateStore causes', () => {
  it("finds a cause by walking the aggregate's own keys, older than one batch too, and applies it once", async () => {
    const connection = await connectMongo(testServers().mongoUrl, `keyed_cause_${process.pid}`, log);
    try {
      const keyed = new KeyedAggregateStore<Counter>(connection, { name: 'caused', log });
      await keyed.init();
      await keyed.create('c', { state: { count: 0, entries: [] }, events: [] });
      const bump = (c: { state: Counter }) => ({
        state: { ...c.state, count: c.state.count + 1 },
        events: [],
      });
      for (let i = 1; i <= 40; i++) await keyed.update('c', bump, { causedBy: `event-${i}` });
      // Another aggregate's change with the same cause is not this one's.
      await keyed.create('other', { state: { count: 0, entries: [] }, events: [] }, { causedBy: 'event-99' });

      expect(await keyed.findCaused('c', 'event-3')).toMatchObject({ version: 4, state: { count: 3 } });
      expect(await keyed.findCaused('c', 'event-40')).toMatchObject({ version: 41 });
      expect(await keyed.findCaused('c', 'event-99')).toBeNull();
      expect(await keyed.findCaused('missing', 'event-3')).toBeNull();
      // Redeliveries of old and new causes, racing: nothing is applied twice.
      const again = await Promise.all(
        ['event-2', 'event-2', 'event-39', 'event-41', 'event-41'].map((cause) =>
          keyed.update('c', bump, { causedBy: cause }),
        ),
      );
      expect(again.filter((r) => r.applied)).toHaveLength(1);
      expect((await keyed.loadOrThrow('c')).state.count).toBe(41);
    } finally {
      await connection.dropDatabase();
      await connection.close();
    }
  });
});

describe('outbox relay on the real NATS', () => {
  let connection: Connection;
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let bus: Bus;
  const database = `relay_test_${process.pid}`;

  beforeAll(async () => {
    connection = await connectMongo(testServers().mongoUrl, database, log);
    nats = await startNatsServer();
    bus = await Bus.connect(nats.url, 'relay-test', log);
    await bus.ensureStreams({ replicas: 1 }, 'intake');
  });
  afterAll(async () => {
    await bus.close();
    await nats.stop();
    await connection.dropDatabase();
    await connection.close();
  });

  it('publishes what a crashed writer left behind, once, with the event id as message id', async () => {
    // A writer without a bus stands for one that crashed between append and publish.
    const crashed = new AggregateStore<Counter>(connection, { name: 'relayed', log });
    await crashed.init();
    await crashed.create('r1', {
      state: { count: 1, entries: [] },
      events: [{ subject: 'nuanyang.intake.request.received', encode: encode('first') }],
    });
    await crashed.update('r1', (c) => ({
      state: { ...c.state, count: 2 },
      events: [{ subject: 'nuanyang.intake.request.cancelled', encode: encode('second') }],
    }));

    const relay = new AggregateStore<Counter>(connection, { name: 'relayed', log, bus });
    expect(await relay.publishPending(0)).toBe(2);
    // Another replica running the relay at the same moment finds nothing left.
    expect(await relay.publishPending(0)).toBe(0);
    // Even publishing the same change twice stores one message (Nats-Msg-Id deduplication).
    await relay.changes.updateMany({ aggregateId: 'r1' }, { $set: { published: false } });
    expect(await relay.publishPending(0)).toBe(2);

    const jsm = await jetstreamManager(bus.connection);
    const info = await jsm.streams.info('NUANYANG_INTAKE');
    expect(info.state.messages).toBe(2);
    const first = await jsm.streams.getMessage('NUANYANG_INTAKE', { seq: 1 });
    const second = await jsm.streams.getMessage('NUANYANG_INTAKE', { seq: 2 });
    expect([first!.subject, new TextDecoder().decode(first!.data)]).toEqual([
      'nuanyang.intake.request.received',
      'first',
    ]);
    expect([second!.subject, new TextDecoder().decode(second!.data)]).toEqual([
      'nuanyang.intake.request.cancelled',
      'second',
    ]);
    expect(first!.header.get('Nats-Msg-Id')).toBe('relayed.r1.v1.0');
    expect(second!.header.get('Nats-Msg-Id')).toBe('relayed.r1.v2.0');
  });
});
