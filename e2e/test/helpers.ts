import type { status } from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type MsgHdrs } from '@nats-io/transport-node';
import { issueToken, type Role } from '@nuanyang/auth';
import { canonicalSubject } from '@nuanyang/bus';
import { createClient } from '@nuanyang/grpc-kit';
import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  Channel,
  CreateHelpRequestRequest,
  IntakeServiceClient,
} from '@nuanyang/proto/nuanyang/intake/v1/intake';
import {
  InventoryServiceClient,
  type OfferLine,
  RegisterOfferRequest,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { VerificationServiceClient } from '@nuanyang/proto/nuanyang/verification/v1/verification';
import { eventually, TEST_JWT_SECRET } from '@nuanyang/testkit';

export { eventually };

export const token = (subject: string, organisationId: string, ...roles: Role[]) =>
  issueToken({ subject, organisationId, roles }, TEST_JWT_SECRET);

export const partnerToken = token('partner-user-1', 'org-hub', 'partner');
export const otherPartnerToken = token('partner-user-2', 'org-other', 'partner');
export const verifierToken = (n = 1) => token(`verifier-${n}`, 'org-verifiers', 'verifier');
export const operatorToken = token('operator-1', 'org-centre', 'operator');

export const intakeClient = (address: string) =>
  createClient(IntakeServiceClient, address, { deadlineMs: 10_000 });
export const verificationClient = (address: string) =>
  createClient(VerificationServiceClient, address, { deadlineMs: 10_000 });
export const inventoryClient = (address: string) =>
  createClient(InventoryServiceClient, address, { deadlineMs: 10_000 });

/** A donor organisation's user. */
export const supplierToken = (organisationId: string, n = 1) =>
  token(`supplier-${organisationId}-${n}`, organisationId, 'supplier');
/** What matching calls inventory with: a service token with the operator role. */
export const serviceToken = token('svc-matching', 'org-platform', 'operator');

let offers = 0;
/** A valid offer of one or more lines (instant noodles in Yanta by default), with a fresh idempotency key. */
export function offerRequest(
  lines: Partial<OfferLine>[] = [{}],
  overrides: Partial<RegisterOfferRequest> = {},
): RegisterOfferRequest {
  offers += 1;
  return RegisterOfferRequest.fromPartial({
    idempotencyKey: `e2e-offer-${process.pid}-${Date.now()}-${offers}`,
    lines: lines.map((l) => ({
      category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
      itemName: '方便面',
      quantity: { amount: 10, unit: 'box' },
      unitValue: { currencyCode: 'CNY', minorUnits: 4500 },
      expiresAt: new Date(Date.now() + 30 * 24 * 3600_000),
      note: '',
      ...l,
    })),
    pickupLocation: { district: 'yanta', community: '小寨社区', address: '长安中路 1 号' },
    pickupContact: { name: '李经理', phone: '13912345678' },
    ...overrides,
  });
}

let seq = 0;
/** A valid request: an elderly couple in Huyi asking for instant food, like the evening case in DESIGN.md. */
export function helpRequest(overrides: Partial<CreateHelpRequestRequest> = {}): CreateHelpRequestRequest {
  seq += 1;
  return CreateHelpRequestRequest.fromPartial({
    idempotencyKey: `e2e-${process.pid}-${Date.now()}-${seq}`,
    requester: {
      name: '王秀兰',
      phone: `139${String(10_000_000 + seq * 7919 + (process.pid % 1000)).slice(-8)}`,
    },
    location: {
      district: 'huyi',
      community: '龙窝村',
      address: `${seq}号院`,
      coordinates: { latitude: 34.1086, longitude: 108.6051 },
    },
    needs: [
      {
        category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
        itemName: '方便面',
        quantity: { amount: 40, unit: 'box' },
        note: '',
      },
    ],
    urgency: Urgency.URGENCY_HIGH,
    vulnerableGroups: [],
    peopleAffected: 2,
    channel: Channel.CHANNEL_HOTLINE,
    description: 'out of food since yesterday',
    ...overrides,
  });
}

/** The gRPC status code a promise rejects with. */
export async function codeOf(p: Promise<unknown>): Promise<status | 'resolved'> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return (err as { code: status }).code;
  }
}

/**
 * Publishes the stored event of `subject` that mentions `aggregate` twice more, under new message ids so
 * the server's deduplication lets them through: what consumers see after a redelivery or a replay.
 */
export async function redeliver(
  natsUrl: string,
  stream: string,
  subject: string,
  aggregate: string,
): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const js = jsm.jetstream();
    for (let seq = 1; ; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (!m) throw new Error(`no ${subject} event for ${aggregate} in ${stream}`);
      if (canonicalSubject(m.subject) !== subject || !Buffer.from(m.data).includes(Buffer.from(aggregate)))
        continue;
      const h = eventHeaders(m.header);
      for (const n of [1, 2]) {
        // Under the plain subject: a copy under the store's own subject would be a new change of the aggregate.
        await js.publish(subject, m.data, {
          msgID: `replay-${n}-${m.header.get('Nats-Msg-Id')}`,
          headers: h,
        });
      }
      return;
    }
  } finally {
    await nc.close();
  }
}

/**
 * A stored event's headers for a copy: everything but the JetStream store's own (the aggregate's state, its
 * expectations, and the atomic batch a change with several events was written in: a copy is one message).
 */
function eventHeaders(stored: MsgHdrs): MsgHdrs {
  const h = headers();
  for (const k of stored.keys())
    if (!k.startsWith('Nuanyang-') && !k.startsWith('Nats-Expected') && !k.startsWith('Nats-Batch-'))
      h.set(k, stored.get(k));
  return h;
}

/** Waits until these durable consumers have nothing pending or unacknowledged. */
export async function drained(
  natsUrl: string,
  consumers: [stream: string, durable: string][],
): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    await eventually(
      async () => {
        for (const [stream, durable] of consumers) {
          const c = await jsm.consumers.info(stream, durable);
          if (c.num_pending + c.num_ack_pending > 0) return undefined;
        }
        return true;
      },
      30_000,
      'consumers to drain',
    );
  } finally {
    await nc.close();
  }
}

/** The streams of the services' events (the dead-letter stream left out). */
const EVENT_STREAMS = ['INTAKE', 'VERIFICATION', 'INVENTORY', 'MATCHING', 'VOLUNTEER', 'REPORTING'].map(
  (s) => `NUANYANG_${s}`,
);

/**
 * Publishes every event stored so far in every service's stream once more, under new message ids: every
 * consumer of the platform sees each event a second time, as after a redelivery or a replay.
 */
export async function redeliverAll(natsUrl: string): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  let copied = 0;
  try {
    const jsm = await jetstreamManager(nc);
    const js = jsm.jetstream();
    for (const stream of EVENT_STREAMS) {
      const info = await jsm.streams.info(stream).catch(() => null);
      if (!info) continue;
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
        if (!m) continue;
        const subject = canonicalSubject(m.subject);
        if (subject.endsWith('.changed') && subject !== m.subject) continue; // a change without an event
        await js.publish(subject, m.data, {
          msgID: `again-${m.header.get('Nats-Msg-Id')}`,
          headers: eventHeaders(m.header),
        });
        copied += 1;
      }
    }
  } finally {
    await nc.close();
  }
  return copied;
}

/** Waits until every durable consumer of every service's stream has nothing pending or unacknowledged. */
export async function drainedAll(natsUrl: string, timeoutMs = 120_000): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    await eventually(
      async () => {
        for (const stream of EVENT_STREAMS) {
          const consumers = await jsm.consumers
            .list(stream)
            .next()
            .catch(() => []);
          if (consumers.some((c) => c.num_pending + c.num_ack_pending > 0)) return undefined;
        }
        return true;
      },
      timeoutMs,
      'every consumer to drain',
    );
  } finally {
    await nc.close();
  }
}

/**
 * Takes a received help request through its call-back to VERIFIED, as a verifier would: waits for the
 * verification task, claims it and records the outcome with the needs as submitted.
 */
export async function verifyRequest(
  verification: ReturnType<typeof verificationClient>,
  helpRequestId: string,
): Promise<void> {
  const taskId = `vt-${helpRequestId}`;
  await eventually(() =>
    verification.getTask({ id: taskId }, { token: verifierToken() }).then((r) => r.task),
  );
  await verification.claimTask({ taskId }, { token: verifierToken() });
  await verification.recordOutcome(
    {
      taskId,
      idempotencyKey: `verify-${helpRequestId}`,
      outcome: { $case: 'verified', value: { correctedNeeds: [], note: '' } },
    },
    { token: verifierToken() },
  );
}
