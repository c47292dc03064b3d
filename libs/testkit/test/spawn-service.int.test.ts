import path from 'node:path';
import { spawnService, startSpanCollector } from '@nuanyang/testkit';

// A real gRPC server process stands in for a service, so testkit is tested before any service exists.
const entry = path.join(__dirname, 'fixtures/health-server.js');

describe('spawnService', () => {
  it('starts a process on a free loopback port, waits for SERVING, stops it gracefully', async () => {
    const first = await spawnService('fixture', {}, { entry });
    const second = await spawnService('fixture', {}, { entry });
    try {
      expect(first.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(second.address).not.toBe(first.address);
      expect(second.database).not.toBe(first.database);
      expect(first.logs()).toContain(
        `fixture: serving on ${first.address} db=${first.database} service=fixture`,
      );
    } finally {
      await second.kill();
      await first.stop();
    }
    expect(first.logs()).toContain('fixture: stopped');
  });

  it('sends the service spans to a collector', async () => {
    const collector = await startSpanCollector();
    const service = await spawnService(
      'fixture',
      { MONGO_DATABASE: 'given_db' },
      { entry, spans: collector },
    );
    try {
      const span = await collector.waitFor((s) => s.name === 'fixture.start');
      expect(span).toMatchObject({ serviceName: 'fixture', attributes: { db: 'given_db' } });
    } finally {
      await service.stop();
      await collector.close();
    }
  });

  it('fails with the output of a process that dies before serving', async () => {
    await expect(spawnService('fixture', { FIXTURE_EXIT: '3' }, { entry })).rejects.toThrow(
      /exited \(code 3\) before serving[\s\S]*fixture: refusing to start/,
    );
  });
});
