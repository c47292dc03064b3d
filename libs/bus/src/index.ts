import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import {
  connect,
  type MsgHdrs,
  type NatsConnection,
  nanos,
  headers as natsHeaders,
} from '@nats-io/transport-node';
import type { Logger } from '@nuanyang/logger';
import { withConsumerSpan, withProducerSpan } from '@nuanyang/telemetry';

/** The producing services; each owns one stream holding `nuanyang.<service>.>`. */
export const PRODUCERS = [
  'intake',
  'verification',
  'inventory',
  'matching',
  'volunteer',
  'reporting',
] as const;
export type Producer = (typeof PRODUCERS)[number];

export const streamName = (producer: Producer) => `NUANYANG_${producer.toUpperCase()}`;
const DEAD_LETTER_STREAM = 'NUANYANG_DEADLETTER';
export const deadLetterSubject = (durable: string) => `nuanyang.deadletter.${durable}`;

/**
 * How long the server remembers a message id (Nats-Msg-Id) and drops a second publish of it, e.g. one retried
 * after a lost acknowledgement. The JetStream store does not rely on it for idempotency: it records causes
 * in the stream itself, for good (see @nuanyang/store).
 */
const DUPLICATE_WINDOW_MS = 2 * 3600_000;
/** The largest message a service may append (an aggregate's state travels in its change's headers). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/** How the streams are kept: replicas 1 on one machine, 3 in a cluster (the chart's production values). */
export interface StreamOptions {
  replicas: number;
}

/**
 * The subject a canonical event subject (`nuanyang.<service>.<entity>.<event>`, as in SUBJECTS) is stored
 * under by the JetStream store: `nuanyang.<service>.<aggregate>.<id>.<entity>.<event>.<cause>`. The
 * aggregate's tokens let it read and guard one aggregate's messages by subject; see @nuanyang/store.
 */
export function storedEventFilter(canonical: string): string {
  const [root, service, entity, event] = canonical.split('.');
  return `${root}.${service}.*.*.${entity}.${event}.*`;
}

/** The canonical subject of a message in either layout (the store's seven tokens or the plain four). */
export function canonicalSubject(subject: string): string {
  const tokens = subject.split('.');
  return tokens.length === 7 ? [tokens[0], tokens[1], tokens[4], tokens[5]].join('.') : subject;
}

export interface BusMessage {
  /** The canonical subject (`nuanyang.<service>.<entity>.<event>`), whichever layout it was stored in. */
  subject: string;
  data: Uint8Array;
  /** The event id, sent as Nats-Msg-Id. */
  eventId: string;
  deliveryCount: number;
  streamSequence: number;
  /** Tells the server the handler is still busy, resetting the ack timer. */
  working(): void;
}

export interface ConsumerSpec {
  /** Stream of the producing service. */
  from: Producer;
  /** Durable name, shared by every replica of the consuming service, e.g. `verification-intake`. */
  durable: string;
  subjects: string[];
  handler: (message: BusMessage) => Promise<void>;
  /** Deliveries before the message goes to the dead-letter subject. */
  maxDeliver?: number;
  ackWaitMs?: number;
}

export interface BatchConsumerSpec {
  from: Producer;
  durable: string;
  /** Raw subject filters (a projector follows `nuanyang.<service>.<aggregate>.>`). */
  filters: string[];
  maxBatch?: number;
  handler: (messages: { subject: string; data: Uint8Array; header: MsgHdrs | undefined }[]) => Promise<void>;
}

export interface PublishResult {
  duplicate: boolean;
  seq: number;
}

export class Bus {
  private readonly running: { messages: ConsumerMessages; loop: Promise<void> }[] = [];

  private constructor(
    readonly connection: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    private readonly log: Logger,
  ) {}

  /** Connects, waiting for the server when it is not up yet, and reconnecting forever after. */
  static async connect(url: string, name: string, log: Logger): Promise<Bus> {
    const connection = await connect({
      servers: url.split(','),
      name,
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
    });
    log.info({ server: connection.getServer() }, 'connected to NATS');
    // JetStream calls time out after 2 s (not 5): a store retries a few of them within its budget, then
    // answers UNAVAILABLE while the caller's deadline still runs.
    const options = { timeout: 2_000 };
    return new Bus(
      connection,
      jetstream(connection, options),
      await jetstreamManager(connection, options),
      log,
    );
  }

  /**
   * Declares the streams of these producers (and the dead-letter stream); safe to call from every replica.
   * A producer's stream is the system of record of its aggregates: kept without age or size limits on file
   * storage (a full disk refuses new writes rather than dropping history), read by direct gets, open to
   * atomic batches (a change with several events).
   */
  async ensureStreams(options: StreamOptions, ...producers: Producer[]): Promise<void> {
    const configs = [
      ...producers.map((p) => ({ name: streamName(p), subjects: [`nuanyang.${p}.>`] })),
      { name: DEAD_LETTER_STREAM, subjects: ['nuanyang.deadletter.>'] },
    ];
    for (const cfg of configs) {
      const full = {
        ...cfg,
        storage: StorageType.File,
        num_replicas: options.replicas,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.New,
        max_age: 0,
        max_bytes: -1,
        max_msgs: -1,
        max_msg_size: MAX_MESSAGE_BYTES,
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
        allow_direct: true,
        allow_atomic: true,
      };
      try {
        await this.jsm.streams.add(full);
      } catch {
        // Exists with another configuration (an older release): bring it up to date.
        await this.jsm.streams.update(cfg.name, full);
      }
    }
  }

  /**
   * Publishes an event that belongs to no aggregate (reporting's), with `Nats-Msg-Id` = eventId, so a second
   * publish of it inside the duplicate window is acknowledged as a duplicate and stored once. Aggregates'
   * events are published by their store's appends.
   */
  async publish(subject: string, data: Uint8Array, eventId: string): Promise<PublishResult> {
    const headers = natsHeaders();
    return withProducerSpan(subject, headers, { 'messaging.message.id': eventId }, async () => {
      const ack = await this.js.publish(subject, data, { msgID: eventId, headers });
      return { duplicate: ack.duplicate, seq: ack.seq };
    });
  }

  /**
   * Starts a durable pull consumer (declared here, idempotently) and hands each message to the handler
   * with explicit acks. A failing handler gets the message again with a growing delay; after `maxDeliver`
   * deliveries the message is copied to the dead-letter subject and terminated.
   */
  async consume(spec: ConsumerSpec): Promise<void> {
    const stream = streamName(spec.from);
    const maxDeliver = spec.maxDeliver ?? 8;
    const config = {
      durable_name: spec.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      // Both layouts: the JetStream store's (an aggregate's events) and plain ones (events published
      // directly, such as reporting's, and copies the tests publish to simulate a redelivery).
      filter_subjects: spec.subjects.flatMap((s) => [s, storedEventFilter(s)]),
      max_deliver: maxDeliver,
      ack_wait: nanos(spec.ackWaitMs ?? 30_000),
    };
    try {
      await this.jsm.consumers.add(stream, config);
    } catch {
      await this.jsm.consumers.update(stream, spec.durable, config);
    }
    const consumer = await this.js.consumers.get(stream, spec.durable);
    const messages = await consumer.consume({ max_messages: 64 });
    const loop = (async () => {
      for await (const m of messages) await this.handle(m, spec, maxDeliver);
    })();
    this.running.push({ messages, loop });
  }

  /**
   * A durable consumer handed whatever has arrived, up to `maxBatch` messages at a time (a projector's bulk
   * write), over raw subject filters. The batch is acked once the handler returns; a failing handler gets
   * it again after a delay. Handlers must be idempotent: a batch may come again after a crash.
   */
  async consumeBatches(spec: BatchConsumerSpec): Promise<void> {
    const stream = streamName(spec.from);
    const config = {
      durable_name: spec.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subjects: spec.filters,
      ack_wait: nanos(30_000),
    };
    try {
      await this.jsm.consumers.add(stream, config);
    } catch {
      await this.jsm.consumers.update(stream, spec.durable, config);
    }
    const consumer = await this.js.consumers.get(stream, spec.durable);
    const maxBatch = spec.maxBatch ?? 256;
    const messages = await consumer.consume({ max_messages: maxBatch * 2 });
    const arrived: JsMsg[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const receive = (async () => {
      for await (const m of messages) {
        arrived.push(m);
        wake?.();
      }
      ended = true;
      wake?.();
    })();
    const flush = (async () => {
      for (;;) {
        if (arrived.length === 0) {
          if (ended) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        const batch = arrived.splice(0, maxBatch);
        try {
          await spec.handler(batch.map((m) => ({ subject: m.subject, data: m.data, header: m.headers })));
          for (const m of batch) m.ack();
        } catch (err) {
          this.log.warn(
            { err, durable: spec.durable, messages: batch.length },
            'batch handler failed; retrying',
          );
          for (const m of batch) m.nak(1_000);
        }
      }
    })();
    this.running.push({ messages, loop: Promise.all([receive, flush]).then(() => undefined) });
  }

  private async handle(m: JsMsg, spec: ConsumerSpec, maxDeliver: number): Promise<void> {
    const eventId = m.headers?.get('Nats-Msg-Id') ?? '';
    const message: BusMessage = {
      subject: canonicalSubject(m.subject),
      data: m.data,
      eventId,
      deliveryCount: m.info.deliveryCount,
      streamSequence: m.info.streamSequence,
      working: () => m.working(),
    };
    try {
      await withConsumerSpan(
        message.subject,
        m.headers,
        {
          'messaging.message.id': eventId,
          'messaging.consumer.group.name': spec.durable,
          'messaging.nats.subject': m.subject,
        },
        () => spec.handler(message),
      );
      m.ack();
    } catch (err) {
      const attempt = m.info.deliveryCount;
      if (attempt >= maxDeliver) {
        this.log.error({ err, subject: m.subject, eventId, attempt }, 'giving up on event: dead-lettered');
        await this.deadLetter(m, spec.durable, err as Error);
        m.term(`dead-lettered: ${(err as Error).message}`);
      } else {
        const delay = Math.min(200 * 2 ** (attempt - 1), 30_000);
        this.log.warn(
          { err, subject: m.subject, eventId, attempt, retryInMs: delay },
          'event handler failed',
        );
        m.nak(delay);
      }
    }
  }

  private async deadLetter(m: JsMsg, durable: string, err: Error): Promise<void> {
    const h = natsHeaders();
    for (const key of m.headers?.keys() ?? []) h.set(key, m.headers?.get(key) ?? '');
    h.set('Nuanyang-Original-Subject', m.subject);
    h.set('Nuanyang-Error', err.message.slice(0, 1000));
    h.set('Nats-Msg-Id', `${durable}:${m.info.stream}:${m.info.streamSequence}`);
    await this.js.publish(deadLetterSubject(durable), m.data, { headers: h });
  }

  /** A key-value bucket (created when missing), e.g. for leases. */
  async kv(bucket: string, ttlMs?: number) {
    const kvm = new Kvm(this.connection);
    return kvm.create(bucket, ttlMs ? { ttl: ttlMs } : {});
  }

  /** Stops the consumers once the message in hand is handled; unacked ones go to another replica. */
  async stopConsuming(): Promise<void> {
    for (const { messages } of this.running) messages.stop();
    await Promise.all(this.running.map((r) => r.loop));
    this.running.length = 0;
  }

  /** Stops consuming, then drains the connection (pending publishes complete). */
  async close(): Promise<void> {
    await this.stopConsuming();
    if (!this.connection.isClosed()) await this.connection.drain();
  }
}

export { SUBJECTS } from './subjects';
