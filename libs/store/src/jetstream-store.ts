import { createHash } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError, type StoredMsg } from '@nats-io/jetstream';
import { type MsgHdrs, errors as natsErrors, headers as natsHeaders } from '@nats-io/transport-node';
import { type Bus, type Producer, streamName } from '@nuanyang/bus';
import { UnavailableError } from '@nuanyang/grpc-kit';
import { withProducerSpan } from '@nuanyang/telemetry';
import { BSON } from 'bson';
import { backOff } from 'exponential-backoff';
import {
  AmbiguousWriteError,
  type Change,
  type PreparedChange,
  type Stored,
  VersionedStore,
  WrongPositionError,
} from './event-store';

/** The header of an aggregate's head message holding the change (state, version, cause) as BSON, base64. */
const CHANGE_HEADER = 'Nuanyang-Change';
/** The subject token of a change without a cause. */
const NO_CAUSE = '-';
/** A transient fault (NATS restarting, a leader election) is retried with capped backoff ... */
const RETRY = { numOfAttempts: 20, startingDelay: 50, timeMultiple: 2, maxDelay: 1_000 } as const;
/** ... for at most this long (each NATS request also times out, see Bus), then answered UNAVAILABLE. */
const RETRY_BUDGET_MS = 4_000;

export interface JetStreamStoreOptions {
  /** The service owning the aggregate: its stream (`NUANYANG_<SERVICE>`) is the system of record. */
  service: Producer;
  /** The aggregate's name, a subject token: `help_request`, `verification_task`. */
  aggregate: string;
}

/** The change as stored in its head message's header. */
interface ChangeRecord {
  v: number;
  s: object;
  at: Date;
  w: string;
  c?: string;
  h?: string;
  a?: string;
}

/**
 * Aggregates kept in JetStream (docs/adr/0001-jetstream-system-of-record.md).
 *
 * Every message of an aggregate's change goes to `nuanyang.<service>.<aggregate>.<id>.<entity>.<event>.<cause>`
 * in the service's stream: the events keep their own `<entity>.<event>` (consumers filter on them, see
 * @nuanyang/bus), and the last message of a change carries the aggregate's new state in a header. So:
 * - the current state is a direct get of the last message over `<aggregate>.<id>.>` (never a scan);
 * - a write expects that subject filter's last sequence to be the one it read (exactly one of two racing
 *   writers wins; the other re-reads and decides again);
 * - the cause token (a hash of the idempotency key or causing event id) makes "was this cause applied" a
 *   direct get over `<aggregate>.<id>.*.*.<cause>`, kept as long as the stream, not a dedup window;
 * - the append is the publish: no outbox. A change with one event (or none) is one message; with several,
 *   an atomic batch.
 */
export class JetStreamStore<S extends object> extends VersionedStore<S> {
  private readonly stream: string;
  private readonly prefix: string;
  private readonly eventPrefix: string;

  constructor(
    private readonly bus: Bus,
    options: JetStreamStoreOptions,
  ) {
    super(options.aggregate);
    if (!/^[a-z][a-z0-9_]*$/.test(options.aggregate)) {
      throw new Error(`aggregate name ${options.aggregate} must be a lower-case subject token`);
    }
    this.stream = streamName(options.service);
    this.prefix = `nuanyang.${options.service}.${options.aggregate}`;
    this.eventPrefix = `nuanyang.${options.service}.`;
  }

  /** Every message of one aggregate. */
  private filter(id: string): string {
    return `${this.prefix}.${id}.>`;
  }

  protected async readHead(id: string): Promise<Stored<S> | null> {
    const m = await this.bus.jsm.direct.getMessage(this.stream, { last_by_subj: this.filter(id) });
    return m ? this.decode(m) : null;
  }

  protected async readCaused(id: string, cause: string): Promise<Change<S> | null> {
    const subject = `${this.prefix}.${id}.*.*.${causeToken(cause)}`;
    const m = await this.bus.jsm.direct.getMessage(this.stream, { last_by_subj: subject });
    const stored = m && this.decode(m);
    // The token is a hash: the change itself says which cause it was.
    return stored && stored.change.causedBy === cause ? stored.change : null;
  }

  protected async readFirst(id: string): Promise<Change<S> | null> {
    return (await this.readAfter(id, 0))?.change ?? null;
  }

  protected async readAfter(id: string, position: number): Promise<Stored<S> | null> {
    // The first message after `position`; a change with several events ends at its message with the state.
    for (let seq = position + 1; ; ) {
      const m = await this.bus.jsm.direct.getMessage(this.stream, { seq, next_by_subj: this.filter(id) });
      if (!m) return null;
      if (m.header?.get(CHANGE_HEADER)) return this.decode(m);
      seq = m.seq + 1;
    }
  }

  protected async write(id: string, expected: number, prepared: PreparedChange<S>): Promise<void> {
    const { change, writeId } = prepared;
    const record: ChangeRecord = {
      v: change.version,
      s: change.state,
      at: change.recordedAt,
      w: writeId,
      ...(change.causedBy ? { c: change.causedBy } : {}),
      ...(change.requestHash ? { h: change.requestHash } : {}),
      ...(change.actor ? { a: change.actor } : {}),
    };
    const cause = change.causedBy ? causeToken(change.causedBy) : NO_CAUSE;
    const base = `${this.prefix}.${id}`;
    // A change without events is one message of its own, `<aggregate>.changed`.
    const events = prepared.events.length
      ? prepared.events.map((e) => ({ ...e, tail: this.eventTail(e.subject) }))
      : [
          {
            subject: '',
            eventId: `${this.aggregate}.${id}.v${change.version}`,
            data: new Uint8Array(0),
            tail: `${this.aggregate}.changed`,
          },
        ];
    const messages = events.map((e, i) => {
      const last = i === events.length - 1;
      const h = natsHeaders();
      h.set('Nats-Msg-Id', e.eventId);
      if (last)
        h.set(
          CHANGE_HEADER,
          Buffer.from(BSON.serialize(record, { ignoreUndefined: true })).toString('base64'),
        );
      if (i === 0) {
        h.set('Nats-Expected-Last-Subject-Sequence', String(expected));
        h.set('Nats-Expected-Last-Subject-Sequence-Subject', this.filter(id));
      }
      return { subject: `${base}.${e.tail}.${last ? cause : NO_CAUSE}`, data: e.data, headers: h };
    });
    const head = messages[messages.length - 1] as (typeof messages)[number];
    const last = events[events.length - 1];
    await withProducerSpan(
      // Named by the event (`send nuanyang.intake.request.received`), not by the aggregate's own subject.
      last?.subject || head.subject,
      head.headers,
      {
        'messaging.message.id': last?.eventId ?? '',
        'messaging.nats.subject': head.subject,
        'nuanyang.aggregate.id': id,
      },
      async () => {
        // One trace context for every message of the change.
        for (const m of messages) copyTrace(head.headers, m.headers);
        try {
          await (messages.length === 1 ? this.publish(head) : this.publishBatch(messages));
        } catch (err) {
          throw classifyWriteError(err);
        }
      },
    );
  }

  protected retrying<T>(step: () => Promise<T>): Promise<T> {
    return retryingNats(step);
  }

  private async publish(m: { subject: string; data: Uint8Array; headers: MsgHdrs }): Promise<void> {
    const ack = await this.bus.js.publish(m.subject, m.data, { headers: m.headers });
    // The event id was seen before: this writer's own earlier attempt landed (the loop checks which).
    if (ack.duplicate) throw new AmbiguousWriteError('duplicate event id');
  }

  /**
   * An atomic batch (JetStream ≥ 2.12, ADR-50 headers): every message staged, the last one commits, all or
   * none stored. Written with the connection directly because nats.js 3.4's Batch.commit discards the
   * server's error code, which tells a lost race (wrong last sequence) from a failure.
   */
  private async publishBatch(
    messages: { subject: string; data: Uint8Array; headers: MsgHdrs }[],
  ): Promise<void> {
    const batchId = messages[messages.length - 1]?.headers.get('Nats-Msg-Id') ?? '';
    const nc = this.bus.connection;
    for (const [i, m] of messages.entries()) {
      m.headers.set('Nats-Batch-Id', batchId);
      m.headers.set('Nats-Batch-Sequence', String(i + 1));
      if (i < messages.length - 1) nc.publish(m.subject, m.data, { headers: m.headers });
    }
    const commit = messages[messages.length - 1] as (typeof messages)[number];
    commit.headers.set('Nats-Batch-Commit', '1');
    const reply = await nc.request(commit.subject, commit.data, { headers: commit.headers, timeout: 5_000 });
    const ack = reply.json<{ error?: { code: number; err_code: number; description: string } }>();
    if (ack.error) throw new JetStreamApiError(ack.error);
  }

  private eventTail(subject: string): string {
    const tail = subject.startsWith(this.eventPrefix) ? subject.slice(this.eventPrefix.length) : '';
    if (tail.split('.').length !== 2) {
      throw new Error(
        `event subject ${subject} is not nuanyang.<service>.<entity>.<event> of ${this.stream}`,
      );
    }
    return tail;
  }

  private decode(m: StoredMsg): Stored<S> {
    const encoded = m.header?.get(CHANGE_HEADER);
    if (!encoded) throw new Error(`${this.stream} message ${m.seq} (${m.subject}) carries no change`);
    const r = BSON.deserialize(Buffer.from(encoded, 'base64'), { promoteBuffers: true }) as ChangeRecord;
    const id = m.subject.slice(this.prefix.length + 1).split('.')[0] ?? '';
    return {
      position: m.seq,
      writeId: r.w,
      change: {
        aggregateId: id,
        version: r.v,
        state: r.s as S,
        recordedAt: r.at,
        ...(r.c ? { causedBy: r.c } : {}),
        ...(r.h ? { requestHash: r.h } : {}),
        ...(r.a ? { actor: r.a } : {}),
      },
    };
  }
}

/** A subject token for a cause: a hash, since keys and event ids may hold any character. */
function causeToken(cause: string): string {
  return createHash('sha256').update(cause).digest('hex').slice(0, 32);
}

function copyTrace(from: MsgHdrs, to: MsgHdrs): void {
  if (from === to) return;
  for (const key of ['traceparent', 'tracestate', 'baggage']) {
    const value = from.get(key);
    if (value) to.set(key, value);
  }
}

/** What a failed write means for the loop: a lost race, an unknown outcome, or a real failure. */
function classifyWriteError(err: unknown): unknown {
  if (err instanceof JetStreamApiError) {
    if (err.code === JetStreamApiCodes.StreamWrongLastSequence) return new WrongPositionError(err.message);
    if (err.code === ATOMIC_BATCH_DUPLICATE) return new AmbiguousWriteError(err.message);
  }
  return isTransient(err) ? new AmbiguousWriteError((err as Error).message) : err;
}

/** "atomic publish batch contains duplicate message id": an earlier attempt of this change landed. */
const ATOMIC_BATCH_DUPLICATE = 10201;

/**
 * Runs a NATS step, retrying a transient fault with capped backoff for a few seconds, then answers
 * UNAVAILABLE (never INTERNAL): the caller may try again. Only for steps that are safe to repeat.
 */
export function retryingNats<T>(step: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const retry = (err: unknown) => isTransient(err) && Date.now() - started < RETRY_BUDGET_MS;
  return backOff(step, { ...RETRY, retry }).catch((err) => {
    throw isTransient(err) ? new UnavailableError(`NATS unavailable: ${(err as Error).message}`) : err;
  });
}

/** NATS briefly unreachable or JetStream briefly without a leader: worth retrying. */
function isTransient(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return err.status >= 500;
  return (
    err instanceof natsErrors.TimeoutError ||
    err instanceof natsErrors.ConnectionError ||
    err instanceof natsErrors.ClosedConnectionError ||
    err instanceof natsErrors.DrainingConnectionError ||
    err instanceof natsErrors.RequestError ||
    err instanceof natsErrors.NoRespondersError ||
    // What a publish throws while JetStream has no responders (a server restarting); not exported by name.
    (err instanceof Error && err.name === 'JetStreamNotEnabled')
  );
}
