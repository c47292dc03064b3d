/**
 * What the platform benchmark runs against and calls with: the suite's servers and the real services started
 * exactly as the tests start them (@nuanyang/testkit), typed clients, tokens, and valid, varied help requests
 * drawn from the scenario planner (@nuanyang/scenario), each with its own idempotency key, phone and address.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { issueToken, type Role } from '@nuanyang/auth';
import { PRODUCERS } from '@nuanyang/bus';
import { createClient, type PromiseClient } from '@nuanyang/grpc-kit';
import { Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  Channel,
  CreateHelpRequestRequest,
  IntakeServiceClient,
} from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { InventoryServiceClient } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { MatchingServiceClient } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { VerificationServiceClient } from '@nuanyang/proto/nuanyang/verification/v1/verification';
import { needOf, type PlannedRequest, planScenario, type Scenario } from '@nuanyang/scenario';
import {
  type ServiceProcess,
  type SuiteServers,
  spawnService,
  startSuiteServers,
  TEST_JWT_SECRET,
} from '@nuanyang/testkit';

/** The services of the loop, all six, so every consumer of every event is there (reporting included). */
export const SERVICES = PRODUCERS;

/** Deadline of every benchmark call: long enough that a slow platform answers slowly rather than failing. */
const DEADLINE_MS = 30_000;

export const token = (subject: string, organisationId: string, ...roles: Role[]) =>
  issueToken({ subject, organisationId, roles }, TEST_JWT_SECRET);

export const TOKENS = {
  operator: token('bench-operator', 'bench-centre', 'operator'),
  supplier: token('bench-donor-staff', 'bench-donor', 'supplier'),
  verifier: (n: number) => token(`bench-verifier-${n % 8}`, 'bench-centre', 'verifier'),
  partner: (n: number) => token(`bench-partner-${n}-staff`, `bench-partner-${n}`, 'partner'),
};

/** A gRPC status name (`DEADLINE_EXCEEDED`), or the error's name for anything else. */
export function statusName(error: unknown): string {
  const code = (error as Partial<ServiceError>)?.code;
  if (typeof code === 'number') return GrpcStatus[code] ?? `code ${code}`;
  return error instanceof Error ? error.name : 'unknown';
}

const TRANSIENT = new Set<number>([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.INTERNAL,
  GrpcStatus.ABORTED,
  GrpcStatus.RESOURCE_EXHAUSTED,
]);

/**
 * For preparation only (stock, filling the store), never for a measured call: a call that is safe to repeat
 * (idempotency key, or the same result again), tried up to four times on a transient failure.
 */
export async function retrying<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= 4 || !TRANSIENT.has((error as ServiceError).code)) throw error;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}

export interface Platform {
  servers: SuiteServers;
  services: ServiceProcess[];
  nc: NatsConnection;
  jsm: JetStreamManager;
  intake: PromiseClient<IntakeServiceClient>;
  verification: PromiseClient<VerificationServiceClient>;
  inventory: PromiseClient<InventoryServiceClient>;
  matching: PromiseClient<MatchingServiceClient>;
  /** Throws, with the end of its output, if a service process has died. */
  checkAlive(): void;
  stop(): Promise<void>;
}

/** FerretDB and NATS as the suite starts them, then the six services on them, then clients. */
export async function startPlatform(): Promise<Platform> {
  const servers = await startSuiteServers();
  const services: ServiceProcess[] = [];
  const stopAll = async () => {
    await Promise.allSettled(services.map((s) => s.stop()));
    await servers.stop();
  };
  try {
    const [intake, verification, inventory, reporting] = await Promise.all([
      spawnService('intake'),
      spawnService('verification'),
      spawnService('inventory'),
      spawnService('reporting'),
    ]);
    services.push(intake, verification, inventory, reporting);
    const [matching, volunteer] = await Promise.all([
      spawnService('matching', { INVENTORY_ADDRESS: inventory.address }),
      spawnService('volunteer', { INTAKE_ADDRESS: intake.address }),
    ]);
    services.push(matching, volunteer);
    const nc = await connect({ servers: servers.natsUrl });
    const jsm = await jetstreamManager(nc);
    const clients = {
      intake: createClient(IntakeServiceClient, intake.address, { deadlineMs: DEADLINE_MS }),
      verification: createClient(VerificationServiceClient, verification.address, {
        deadlineMs: DEADLINE_MS,
      }),
      inventory: createClient(InventoryServiceClient, inventory.address, { deadlineMs: DEADLINE_MS }),
      matching: createClient(MatchingServiceClient, matching.address, { deadlineMs: DEADLINE_MS }),
    };
    return {
      servers,
      services,
      nc,
      jsm,
      ...clients,
      checkAlive() {
        for (const s of services) {
          let alive = true;
          try {
            process.kill(s.pid, 0);
          } catch {
            alive = false;
          }
          if (!alive)
            throw new Error(`${s.name} (pid ${s.pid}) died; its output ends:\n${s.logs().slice(-4000)}`);
        }
      },
      async stop() {
        for (const c of Object.values(clients)) c.close();
        await nc.close();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Help requests shaped like the scenario's (its districts, communities, coordinates, needs, urgencies and
 * household sizes), one after another, each with its own key, phone and address; one in twenty reuses the
 * phone of a request a few before it, so intake's duplicate check finds something now and then.
 *
 * CRITICAL is kept for latency probes: verification lists tasks by due time and a CRITICAL task is due
 * first, so a probe's task is on the first page of ListTasks whatever else waits. Other requests that the
 * scenario plans as CRITICAL are sent as HIGH.
 */
export class RequestFactory {
  readonly scenario: Scenario;
  private readonly probes: PlannedRequest[];
  private seq = 0;

  constructor(private readonly runId: string) {
    this.scenario = planScenario({ requests: 1000, seed: 20220105 });
    const stocked = new Set(this.scenario.offers.map((o) => o.category));
    // A probe's every need has stock, so matching proposes for it.
    this.probes = this.scenario.requests.filter((r) => r.needs.every((n) => stocked.has(n.category)));
  }

  /** A valid request and the partner token to send it with. */
  next(kind: 'varied' | 'probe' = 'varied'): { request: CreateHelpRequestRequest; token: string } {
    return this.build(++this.seq, kind);
  }

  /** The wire bytes of a request like the others (what the echo ceiling sends), not counted as one. */
  encodedSample(): Uint8Array {
    return CreateHelpRequestRequest.encode(this.build(1, 'varied').request).finish();
  }

  private build(seq: number, kind: 'varied' | 'probe'): { request: CreateHelpRequestRequest; token: string } {
    const pool = kind === 'probe' ? this.probes : this.scenario.requests;
    const r = pool[seq % pool.length] as PlannedRequest;
    const phoneOf = (n: number) => `139${String(10_000_000 + ((n * 7919) % 89_999_999)).slice(-8)}`;
    const urgency =
      kind === 'probe'
        ? Urgency.URGENCY_CRITICAL
        : r.urgency === Urgency.URGENCY_CRITICAL
          ? Urgency.URGENCY_HIGH
          : r.urgency;
    const request = CreateHelpRequestRequest.fromPartial({
      idempotencyKey: `bench-${this.runId}-${seq}`,
      requester: { name: `求助人${seq}`, phone: phoneOf(seq % 20 === 0 && seq > 7 ? seq - 7 : seq) },
      location: {
        district: r.district,
        community: r.community,
        address: `${(seq % 40) + 1}号楼${seq}室`,
        coordinates: r.coordinates,
      },
      needs: r.needs.map(needOf),
      urgency,
      vulnerableGroups: [],
      peopleAffected: r.peopleAffected,
      channel: Channel.CHANNEL_PARTNER_SYSTEM,
      description: `${r.needs.map((n) => n.itemName).join('、')}告急`,
    });
    return { request, token: TOKENS.partner(r.partner) };
  }
}

/** Registers stock for every category the scenario's donors hold, one offer per district of its requests. */
export async function loadStock(platform: Platform, factory: RequestFactory, runId: string): Promise<number> {
  const { offers, requests } = factory.scenario;
  const districts = [...new Set(requests.map((r) => r.district))];
  for (const [i, district] of districts.entries()) {
    await retrying(() =>
      platform.inventory.registerOffer(
        {
          idempotencyKey: `bench-${runId}-offer-${i}`,
          donorOrganisationId: 'bench-donor',
          lines: offers.map((o) => ({
            category: o.category,
            itemName: o.itemName,
            quantity: { amount: 100_000, unit: o.unit },
            unitValue: { currencyCode: 'CNY', minorUnits: o.unitValue },
            expiresAt: new Date(Date.now() + 180 * 86400_000),
            note: '',
          })),
          pickupLocation: { district, community: '东大街', address: `${i + 1}号仓库` },
          warehouseId: '',
          pickupContact: { name: '仓库值班', phone: '13900001111' },
          note: '',
        },
        { token: TOKENS.supplier },
      ),
    );
  }
  return districts.length * offers.length;
}

/**
 * The verification task of a help request: verification opens one per request under this id
 * (services/verification/src/domain/tasks.ts, `taskIdFor`; the e2e tests rely on it too). Knowing it spares
 * the benchmark paging through every open task to find its own, which on a store that scans each page costs
 * more than the step it prepares.
 */
export const taskIdOf = (helpRequestId: string) => `vt-${helpRequestId}`;

/**
 * For preparation only: a call on a task that verification may not have opened yet (its consumer is behind),
 * tried again on NOT_FOUND until `deadline` (epoch ms); transient failures as in {@link retrying}.
 */
export async function onceOpened<T>(call: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await retrying(call);
    } catch (error) {
      if ((error as ServiceError).code !== GrpcStatus.NOT_FOUND || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Pending plus unacknowledged messages of every durable consumer of every stream, by `stream/consumer`. */
export async function backlog(jsm: JetStreamManager): Promise<{ total: number; by: Record<string, number> }> {
  const by: Record<string, number> = {};
  let total = 0;
  for await (const stream of jsm.streams.list()) {
    for await (const c of jsm.consumers.list(stream.config.name)) {
      const n = c.num_pending + c.num_ack_pending;
      if (n > 0) by[`${stream.config.name}/${c.name}`] = n;
      total += n;
    }
  }
  return { total, by };
}
