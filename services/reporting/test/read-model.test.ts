import { jetstreamManager } from '@nats-io/jetstream';
import { Bus } from '@nuanyang/bus';
import { createLogger } from '@nuanyang/logger';
import { ExportKind } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { connectMongo } from '@nuanyang/store';
import { eventually, startNatsServer, testServers } from '@nuanyang/testkit';
import type { Connection } from 'mongoose';
import { csvTable } from '../src/domain/csv';
import type { Fact } from '../src/domain/facts';
import { summarise } from '../src/domain/summary';
import { casesCollectionName, ReadModel, relaySubject } from '../src/read-model';
import { ANY, FACTS, fact, filter, fold, food, H, NOW, T0 } from './fixtures';

/**
 * Replicas of the read model on a real nats-server and the test database: facts stored by either relayed to
 * both, closed cases archived in MongoDB and opened again from there, a restarted replica rebuilt from the
 * relay.
 */
const log = createLogger('read-model-test', 'warn');
const database = `reporting_read_model_${process.pid}`;

let nats: Awaited<ReturnType<typeof startNatsServer>>;
let mongo: Connection;
const buses: Bus[] = [];
const models: ReadModel[] = [];

async function replica(closeAfter = 0): Promise<ReadModel> {
  const bus = await Bus.connect(nats.url, `replica-${buses.length}`, log);
  buses.push(bus);
  const model = new ReadModel(mongo, bus, 1, log, { closeAfter });
  models.push(model);
  await model.init();
  return model;
}

const summaryOf = (m: ReadModel) => summarise(m.figures, ANY, NOW);
/** Until the replica shows these figures. */
const shows = (m: ReadModel, expected: ReturnType<typeof summarise>) =>
  eventually(
    async () => (JSON.stringify(summaryOf(m)) === JSON.stringify(expected) ? true : undefined),
    10_000,
  );

const late = fact(T0 + 20 * H, {
  kind: 'accepted',
  proposalId: 'p9',
  requestId: 'r1',
  supplier: 'org-late',
  category: food,
  district: 'huyi',
  community: 'huyi-c',
});

const received2 = fact(T0 + 5 * H, {
  kind: 'received',
  requestId: 'r6',
  org: 'org-hub',
  district: 'yanta',
  community: 'yanta-c',
  urgency: 2,
  people: 1,
  categories: [food],
});

beforeAll(async () => {
  nats = await startNatsServer();
  mongo = await connectMongo(testServers().mongoUrl, database, log);
  const bus = await Bus.connect(nats.url, 'setup', log);
  await bus.ensureStreams({ replicas: 1 }, 'reporting');
  await bus.close();
});

afterAll(async () => {
  for (const m of models) await m.stop();
  for (const b of buses) await b.close();
  await nats.stop();
  await mongo.dropDatabase();
  await mongo.close();
});

describe('the read model', () => {
  let a: ReadModel;
  let b: ReadModel;

  it('applies every fact on every replica, whichever stored it, and each once', async () => {
    [a, b] = [await replica(), await replica()];
    const stored: boolean[] = [];
    for (const [i, f] of FACTS.entries()) stored.push(await (i % 2 ? a : b).record(f, false));
    // Another replica's copy of each (another message of the same event): stored before, not relayed.
    for (const [i, f] of FACTS.entries()) stored.push(await (i % 2 ? b : a).record(f, false));
    expect(stored.filter(Boolean)).toHaveLength(FACTS.length);
    const expected = summarise(fold(FACTS), ANY, NOW);
    await shows(a, expected);
    await shows(b, expected);
    expect(a.applied).toBe(b.applied);
  });

  it('archives the closed cases, and opens one again from the archive for a late fact', async () => {
    const cases = mongo.collection(casesCollectionName(1));
    await eventually(
      async () => ((await cases.countDocuments({ kind: 'case' })) === 3 ? true : undefined),
      10_000,
    );
    expect((await cases.find({ kind: 'case' }).toArray()).map((d) => d._id).sort()).toEqual([
      'r1',
      'r3',
      'r4',
    ]);
    expect(a.figures.isOpen('r1')).toBe(false);
    await b.record(late, false);
    // r1 counts under its new supplier too, once: its case was opened again with its archived facts.
    const lateSupplier = filter({ organisationId: 'org-late' });
    const expected = summarise(fold([...FACTS, late]), lateSupplier, NOW);
    expect(expected.requests).toMatchObject({ collected: 1, verified: 1, fulfilled: 1 });
    for (const m of [a, b])
      await eventually(
        async () =>
          JSON.stringify(summarise(m.figures, lateSupplier, NOW)) === JSON.stringify(expected)
            ? true
            : undefined,
        10_000,
      );
    expect(a.figures.isOpen('r1')).toBe(true);
    expect(summaryOf(a)).toEqual(summarise(fold([...FACTS, late]), ANY, NOW));
  });

  it('relays a stored fact again only on a redelivery, and the relay takes it once', async () => {
    const redelivered = FACTS[0] as Fact;
    expect(await a.record(redelivered, true)).toBe(false);
    await b.record(received2, false);
    await eventually(async () => (summaryOf(a).requests?.collected === 6 ? true : undefined), 10_000);
    // In the relay: every fact once (the redelivery's relay was a duplicate of the first).
    const nc = buses[0]?.connection;
    if (!nc) throw new Error('no connection');
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('NUANYANG_REPORTING', { subjects_filter: relaySubject(1) });
    expect(info.state.subjects).toEqual({ [relaySubject(1)]: FACTS.length + 2 });
  });

  it('builds a starting replica from the relay, with the same figures and listings', async () => {
    const c = await replica();
    expect(summaryOf(c)).toEqual(summaryOf(a));
    const listed = (m: ReadModel) =>
      m
        .caseViews()
        .then((views) => csvTable(ExportKind.EXPORT_KIND_HELP_REQUESTS, m.figures, ANY, views).rows);
    const rows = await listed(c);
    expect(rows.map((r) => r[0])).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    expect(rows).toEqual(await listed(a));
  });

  it('refuses to start with another CLOSE_AFTER_FACTS than the generation was built with', async () => {
    await expect(replica(5)).rejects.toThrow(/CLOSE_AFTER_FACTS is 5 but generation 1 was built with 0/);
  });
});
