import fs from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '@nuanyang/testkit';

describe('startNatsServer', () => {
  it('starts a JetStream server of its own on loopback and removes its data on stop', async () => {
    const nats = await startNatsServer();
    try {
      expect(nats.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
      expect(nats.url).not.toBe(process.env.NUANYANG_TEST_NATS_URL);
      const nc = await connect({ servers: nats.url });
      expect(nc.info?.jetstream).toBe(true);
      await nc.close();
      expect(fs.existsSync(nats.dataDir)).toBe(true);
    } finally {
      await nats.stop();
    }
    expect(fs.existsSync(nats.dataDir)).toBe(false);
    expect(nats.logs()).toContain('Server is ready');
  });
});
