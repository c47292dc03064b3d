import { Bus } from '@nuanyang/bus';
import { createLogger } from '@nuanyang/logger';
import { connectMongo, JetStreamStore, Projection, type ReadDocument } from '@nuanyang/store';
import { eventually, startNatsServer, testServers } from '@nuanyang/testkit';
import { type Connection, type Model, Schema } from 'mongoose';

const log = createLogger('projection-test', 'warn');

interface Parcel {
  district: string;
  weight: number;
  delivered: boolean;
}

let nats: Awaited<ReturnType<typeof startNatsServer>>;
let buses: Bus[];
let connection: Connection;
const database = `projection_test_${process.pid}`;

beforeAll(async () => {
  nats = await startNatsServer();
  // Two replicas of a service: each its own NATS connection, sharing the projector's durable.
  buses = [await Bus.connect(nats.url, 'replica-a', log), await Bus.connect(nats.url, 'replica-b', log)];
  await buses[0]?.ensureStreams({ replicas: 1 }, 'volunteer');
  connection = await connectMongo(testServers().mongoUrl, database, log);
});
afterAll(async () => {
  for (const bus of buses) await bus.close();
  await nats.stop();
  await connection.dropDatabase();
  await connection.close();
});

function model(name: string): Model<ReadDocument> {
  const schema = new Schema<ReadDocument>(
    { _id: String, version: Number },
    { strict: false, versionKey: false },
  );
  schema.index({ district: 1 });
  return connection.model<ReadDocument>(name, schema, name);
}

const live = () => model('parcels_live');
const archive = () => model('parcels_archive');

function projection(bus: Bus, store: JetStreamStore<Parcel>) {
  return new Projection<Parcel>({
    bus,
    store,
    service: 'volunteer',
    aggregate: 'parcel',
    durable: 'volunteer-parcel-projector',
    live: connection.models.parcels_live ?? live(),
    archive: connection.models.parcels_archive ?? archive(),
    document: ({ state }) => ({
      fields: { district: state.district, weight: state.weight },
      final: state.delivered,
    }),
    log,
  });
}

const sorted = async (m: Model<ReadDocument>) =>
  (await m.find({}).sort({ _id: 1 }).lean<ReadDocument[]>()).map(({ _id, version, district, weight }) => ({
    _id,
    version,
    district,
    weight,
  }));

it('keeps open aggregates live and final ones archived, from two replicas, and rebuilds the same', async () => {
  const [a, b] = buses as [Bus, Bus];
  const stores = [a, b].map(
    (bus) => new JetStreamStore<Parcel>(bus, { service: 'volunteer', aggregate: 'parcel' }),
  );
  const projections = [a, b].map((bus, i) => projection(bus, stores[i] as JetStreamStore<Parcel>));
  await projections[0]?.init();
  for (const p of projections) await p.start();

  const store = stores[0] as JetStreamStore<Parcel>;
  const n = 60;
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      store.create(`p${i}`, {
        state: { district: i % 2 ? 'yanta' : 'beilin', weight: i, delivered: false },
        events: [],
      }),
    ),
  );
  // Every parcel gains weight twice, from both replicas' stores; every third one is then delivered.
  for (const [k, s] of stores.entries()) {
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        s.update(`p${i}`, (c) => ({
          state: { ...c.state, weight: c.state.weight + 100 * (k + 1) },
          events: [],
        })),
      ),
    );
  }
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      i % 3 === 0
        ? store.update(`p${i}`, (c) => ({ state: { ...c.state, delivered: true }, events: [] }))
        : null,
    ),
  );

  const expectedLive = Array.from({ length: n }, (_, i) => i)
    .filter((i) => i % 3 !== 0)
    .map((i) => ({ _id: `p${i}`, version: 3, district: i % 2 ? 'yanta' : 'beilin', weight: i + 300 }))
    .sort((x, y) => x._id.localeCompare(y._id));
  const expectedArchive = Array.from({ length: n }, (_, i) => i)
    .filter((i) => i % 3 === 0)
    .map((i) => ({ _id: `p${i}`, version: 4, district: i % 2 ? 'yanta' : 'beilin', weight: i + 300 }))
    .sort((x, y) => x._id.localeCompare(y._id));
  const converged = async () => {
    const [l, ar] = [await sorted(live()), await sorted(archive())];
    return JSON.stringify(l) === JSON.stringify(expectedLive) &&
      JSON.stringify(ar) === JSON.stringify(expectedArchive)
      ? true
      : undefined;
  };
  // Once the projector has caught up with what was appended, the read model holds it: no polling.
  await projections[1]?.caughtUp(20_000);
  expect(await converged()).toBe(true);
  expect(await live().countDocuments({ district: 'yanta' })).toBe(
    expectedLive.filter((d) => d.district === 'yanta').length,
  );

  // Dropped and rebuilt from the stream: the same documents.
  for (const bus of buses) await bus.stopConsuming();
  await projections[0]?.rebuild();
  expect(await live().countDocuments({})).toBe(0);
  await projections[0]?.start();
  await eventually(converged, 20_000, 'the rebuilt read model to equal the live one');
});
