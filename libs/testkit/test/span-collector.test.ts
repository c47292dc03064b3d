import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { normaliseId, type SpanCollector, startSpanCollector } from '@nuanyang/testkit';

const exportSpans = path.join(__dirname, 'fixtures/export-spans.js');

describe('startSpanCollector', () => {
  let collector: SpanCollector;
  beforeEach(async () => {
    collector = await startSpanCollector();
  });
  afterEach(() => collector.close());

  it('receives what the real OTLP/HTTP JSON exporter sends', async () => {
    expect(collector.tracesUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/traces$/);
    const { stdout } = await promisify(execFile)(process.execPath, [exportSpans], {
      env: { ...process.env, TRACES_URL: collector.tracesUrl },
    });
    const ids = JSON.parse(stdout) as { traceId: string; parent: string; child: string };

    const sent = await collector.waitFor((s) => s.name === 'send nuanyang.intake.request.received');
    const root = await collector.waitFor((s) => s.name === 'handle request');
    expect(sent).toMatchObject({
      serviceName: 'probe',
      scope: 'testkit-test',
      kind: 'PRODUCER',
      traceId: ids.traceId,
      spanId: ids.child,
      parentSpanId: ids.parent,
      attributes: {
        'messaging.system': 'nats',
        'request.items': 3,
        'request.urgent': true,
        tags: ['a', 'b'],
      },
    });
    expect(sent.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(sent.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(root).toMatchObject({ kind: 'SERVER', spanId: ids.parent, traceId: ids.traceId });
    expect(root.parentSpanId).toBeUndefined();
    expect(collector.spans()).toHaveLength(2);
  });

  it('waitFor times out naming what it did receive', async () => {
    await expect(collector.waitFor((s) => s.name === 'never', 200)).rejects.toThrow(/no spans received/);
  });

  it('reads base64 ids as well as hex', () => {
    const hex = '5b8efff798038103d269b633813fc60c';
    expect(normaliseId(Buffer.from(hex, 'hex').toString('base64'), 16)).toBe(hex);
    expect(normaliseId(hex.toUpperCase(), 16)).toBe(hex);
    expect(normaliseId('eee19b7ec3c1b174', 8)).toBe('eee19b7ec3c1b174');
    expect(normaliseId('', 8)).toBeUndefined();
  });
});
