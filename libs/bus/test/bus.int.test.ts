import { jetstreamManager } from '@nats-io/jetstream';
import { Bus, type BusMessage, deadLetterSubject } from '@nuanyang/bus';
import { createLogger } from '@nuanyang/logger';
import { startNatsServer } from '@nuanyang/testkit';

const log = createLogger('bus-test', 'silent');
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('Bus on a real nats-server', () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let bus: Bus;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await Bus.connect(nats.url, 'bus-test', log);
    await bus.ensureStreams({ replicas: 1 }, 'intake', 'verification');
  });
  afterAll(async () => {
    await bus.close();
    await nats.stop();
  });

  it('declares streams idempotently and stores a re-published event once', async () => {
    await bus.ensureStreams({ replicas: 1 }, 'intake');
    const first = await bus.publish('nuanyang.intake.request.received', bytes('a'), 'evt-1');
    const again = await bus.publish('nuanyang.intake.request.received', bytes('a'), 'evt-1');
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ duplicate: true, seq: first.seq });
  });

  it('delivers to a durable consumer with the event id, and redelivers after a failure', async () => {
    const seen: BusMessage[] = [];
    let failures = 1;
    const done = new Promise<void>((resolve) => {
      void bus.consume({
        from: 'verification',
        durable: 'test-retry',
        subjects: ['nuanyang.verification.task.opened'],
        handler: async (m) => {
          seen.push(m);
          if (failures-- > 0) throw new Error('transient');
          resolve();
        },
      });
    });
    await bus.publish('nuanyang.verification.task.opened', bytes('task'), 'evt-retry');
    await done;
    expect(seen.map((m) => [m.eventId, m.deliveryCount, text(m.data)])).toEqual([
      ['evt-retry', 1, 'task'],
      ['evt-retry', 2, 'task'],
    ]);
  });

  it('moves a message that keeps failing to the dead-letter subject after maxDeliver deliveries', async () => {
    let deliveries = 0;
    await bus.consume({
      from: 'verification',
      durable: 'test-poison',
      subjects: ['nuanyang.verification.request.rejected'],
      maxDeliver: 3,
      handler: async () => {
        deliveries++;
        throw new Error('cannot decode');
      },
    });
    await bus.publish('nuanyang.verification.request.rejected', bytes('poison'), 'evt-poison');
    const jsm = await jetstreamManager(bus.connection);
    const dead = await (async () => {
      for (let i = 0; i < 100; i++) {
        const m = await jsm.streams
          .getMessage('NUANYANG_DEADLETTER', { last_by_subj: deadLetterSubject('test-poison') })
          .catch(() => null);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('nothing dead-lettered');
    })();
    expect(deliveries).toBe(3);
    expect(text(dead.data)).toBe('poison');
    expect(dead.header.get('Nuanyang-Original-Subject')).toBe('nuanyang.verification.request.rejected');
    expect(dead.header.get('Nuanyang-Error')).toBe('cannot decode');
    const info = await jsm.consumers.info('NUANYANG_VERIFICATION', 'test-poison');
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  });
});
