import { connect } from '@nats-io/transport-node';
import { testServers } from '@nuanyang/testkit';
import mongoose from 'mongoose';

// The servers libs/testkit/global-setup.js started for the whole suite.
describe('the suite servers', () => {
  const { mongoUrl, natsUrl } = testServers();

  it('are on loopback', () => {
    expect(mongoUrl).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
    expect(natsUrl).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
  });

  it('FerretDB answers a ping and keeps a document', async () => {
    const connection = await mongoose
      .createConnection(mongoUrl, { dbName: `testkit_${process.pid}` })
      .asPromise();
    try {
      expect(await connection.db?.admin().ping()).toMatchObject({ ok: 1 });
      const things = connection.collection('things');
      await things.insertOne({ _id: 'a' as never, n: 1 });
      expect(await things.findOne({ _id: 'a' as never })).toEqual({ _id: 'a', n: 1 });
      await connection.dropDatabase();
    } finally {
      await connection.close();
    }
  });

  it('NATS accepts a connection, with JetStream on', async () => {
    const nc = await connect({ servers: natsUrl });
    try {
      expect(nc.info?.jetstream).toBe(true);
      const sub = nc.subscribe('testkit.echo', {
        max: 1,
        callback: (_err, msg) => {
          msg.respond(msg.data);
        },
      });
      const reply = await nc.request('testkit.echo', 'hello', { timeout: 2000 });
      expect(reply.string()).toBe('hello');
      sub.unsubscribe();
    } finally {
      await nc.close();
    }
  });
});
