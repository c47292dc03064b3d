import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { issueToken, type Role } from '@nuanyang/auth';
import { createClient, type PromiseClient } from '@nuanyang/grpc-kit';
import { Channel, IntakeServiceClient } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { InventoryServiceClient } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { MatchingServiceClient, ProposalStatus } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import {
  type RecordOutcomeRequest,
  TaskStatus,
  VerificationServiceClient,
  type VerificationTask,
} from '@nuanyang/proto/nuanyang/verification/v1/verification';
import {
  type DeliveryTask,
  DeliveryTaskStatus,
  OrganisationType,
  Skill,
  VehicleType,
  VolunteerServiceClient,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import pLimit from 'p-limit';
import {
  leaveInProgress,
  needOf,
  type PlannedRequest,
  type Scenario,
  type ScenarioTruth,
  takesStep,
} from './plan';

export interface Endpoints {
  intake: string;
  verification: string;
  inventory: string;
  matching: string;
  volunteer: string;
}

export interface RunOptions {
  /** Secret the services verify tokens with: the run acts as operators, partners, donors and volunteers. */
  jwtSecret: string;
  /** Calls in flight at once; default 8. */
  concurrency?: number;
  /**
   * How long a stage may wait for the platform (e.g. for matching to propose) without any progress; each
   * step done restarts the clock, so a slow but moving platform is waited for. Default 120 s.
   */
  stageTimeoutMs?: number;
  /** Verification's MAX_CALL_ATTEMPTS: unanswered calls before a request is unreachable; default 3. */
  callAttempts?: number;
  /** Called as each stage starts (done 0) and progresses (for a progress bar). */
  onProgress?: (stage: Stage, done: number, total: number) => void;
  /**
   * Fraction (0 to 1) of the requests whose later steps the run does not take, chosen by request key
   * (`leaveInProgress` in plan.ts): demo data with requests waiting for verification, proposals waiting for
   * the supplier and delivery tasks offered to volunteers. Default 0: every request runs to its planned end.
   */
  leaveInProgress?: number;
}

/** The stages of a run, in order; `onProgress` names them. */
export const STAGES = [
  'organisations',
  'volunteers',
  'offers',
  'requests',
  'verification',
  'matches accepted',
  'deliveries',
] as const;
export type Stage = (typeof STAGES)[number];

export interface RunResult {
  /** Help request id by planned request key. */
  requestIds: Map<string, string>;
  /** Organisation id by name. */
  organisationIds: Map<string, string>;
  /** Volunteer ids of those who accepted at least one task. */
  activeVolunteers: Set<string>;
  /** Volunteer id by planned volunteer key. */
  volunteerIds: Map<string, string>;
  /** The figures the platform shows once the run's events are processed (requests left in progress count). */
  truth: ScenarioTruth;
  /** Tokens the run used, for follow-up calls. */
  tokens: { operator: string };
}

/** The user id (JWT subject) a planned volunteer is registered under, and acts as. */
export function volunteerUserId(scenario: Scenario, volunteerKey: string): string {
  return `scenario-${scenario.seed}-${volunteerKey}`;
}

/**
 * Runs the scenario through the real services' gRPC APIs, stage by stage, as the people in it would.
 * Running it again is safe and changes nothing that is done: every write carries an idempotency key, and
 * steps already taken (a task completed, a proposal accepted, a delivery ended) are skipped; a run that was
 * interrupted continues where it stopped.
 */
export async function runScenario(
  scenario: Scenario,
  endpoints: Endpoints,
  options: RunOptions,
): Promise<RunResult> {
  const fraction = options.leaveInProgress ?? 0;
  const run = new Run(fraction > 0 ? leaveInProgress(scenario, fraction) : scenario, endpoints, options);
  try {
    return await run.all();
  } finally {
    run.close();
  }
}

class Run {
  private readonly intake: PromiseClient<IntakeServiceClient>;
  private readonly verification: PromiseClient<VerificationServiceClient>;
  private readonly inventory: PromiseClient<InventoryServiceClient>;
  private readonly matching: PromiseClient<MatchingServiceClient>;
  private readonly volunteer: PromiseClient<VolunteerServiceClient>;
  private readonly prefix: string;
  private readonly operator: string;
  private readonly organisationIds = new Map<string, string>();
  private readonly requestIds = new Map<string, string>();
  private readonly requestKeys = new Map<string, PlannedRequest>();
  /** Volunteer id → user id (the JWT subject they act as). */
  private readonly volunteerUsers = new Map<string, string>();
  private readonly volunteerIds = new Map<string, string>();
  /** The last count reported per stage, and when a count last moved (waitFor's clock). */
  private readonly lastDone = new Map<Stage, number>();
  private progressedAt = Date.now();
  private lastError: unknown;
  private readonly pool: ReturnType<typeof pLimit>;

  constructor(
    private readonly scenario: Scenario,
    endpoints: Endpoints,
    private readonly options: RunOptions,
  ) {
    const deadlineMs = 30_000;
    this.intake = createClient(IntakeServiceClient, endpoints.intake, { deadlineMs });
    this.verification = createClient(VerificationServiceClient, endpoints.verification, { deadlineMs });
    this.inventory = createClient(InventoryServiceClient, endpoints.inventory, { deadlineMs });
    this.matching = createClient(MatchingServiceClient, endpoints.matching, { deadlineMs });
    this.volunteer = createClient(VolunteerServiceClient, endpoints.volunteer, { deadlineMs });
    this.pool = pLimit(options.concurrency ?? 8);
    this.prefix = `scenario-${scenario.seed}`;
    this.operator = this.token('operator-scenario', 'coordination-centre', 'operator');
  }

  close(): void {
    for (const c of [this.intake, this.verification, this.inventory, this.matching, this.volunteer])
      c.close();
  }

  async all(): Promise<RunResult> {
    await this.organisations();
    await this.volunteers();
    await this.offers();
    await this.submit();
    await this.verify();
    await this.accept();
    const activeVolunteers = await this.deliver();
    return {
      requestIds: this.requestIds,
      organisationIds: this.organisationIds,
      activeVolunteers,
      volunteerIds: this.volunteerIds,
      truth: this.scenario.truth,
      tokens: { operator: this.operator },
    };
  }

  private token(subject: string, organisationId: string, ...roles: Role[]): string {
    return issueToken({ subject, organisationId, roles }, this.options.jwtSecret);
  }

  private org(name: string): string {
    const id = this.organisationIds.get(name);
    if (!id) throw new Error(`organisation ${name} was not registered`);
    return id;
  }

  private progress(stage: Stage, done: number, total: number): void {
    if (done !== this.lastDone.get(stage)) {
      this.lastDone.set(stage, done);
      this.progressedAt = Date.now();
    }
    this.options.onProgress?.(stage, done, total);
  }

  private async organisations(): Promise<void> {
    const { partners, donors, volunteerTeam } = this.scenario;
    const all: [string, OrganisationType][] = [
      ...partners.map((n): [string, OrganisationType] => [
        n,
        OrganisationType.ORGANISATION_TYPE_SERVICE_AGENCY,
      ]),
      ...donors.map((n): [string, OrganisationType] => [
        n,
        OrganisationType.ORGANISATION_TYPE_INDUSTRY_ASSOCIATION,
      ]),
      [volunteerTeam, OrganisationType.ORGANISATION_TYPE_VOLUNTEER_TEAM],
    ];
    this.progress('organisations', 0, all.length);
    for (const [i, [name, type]] of all.entries()) {
      const { organisation } = await this.volunteer.registerOrganisation(
        {
          idempotencyKey: `${this.prefix}-org-${i}`,
          name,
          type,
          contacts: [{ name: '联络人', phone: `1380000${String(1000 + i).slice(-4)}` }],
          districts: [...new Set(this.scenario.requests.map((r) => r.district))],
          description: '',
        },
        { token: this.operator },
      );
      this.organisationIds.set(name, organisation!.id);
      this.progress('organisations', i + 1, all.length);
    }
    await this.volunteer.createFunctionalGroup(
      {
        idempotencyKey: `${this.prefix}-group-supplies`,
        name: '物资保障组',
        purpose: 'Donated supplies: sourcing and delivery',
        leadOrganisationIds: [this.org(donors[0]!), this.org(volunteerTeam)],
        memberOrganisationIds: donors.slice(1).map((d) => this.org(d)),
      },
      { token: this.operator },
    );
  }

  private async volunteers(): Promise<void> {
    const team = this.org(this.scenario.volunteerTeam);
    const now = Date.now();
    const total = this.scenario.volunteers.length;
    let done = 0;
    let registered: Promise<Map<string, string>> | undefined;
    this.progress('volunteers', 0, total);
    await this.each(this.scenario.volunteers, async (v, i) => {
      const userId = volunteerUserId(this.scenario, v.key);
      const id = await this.volunteer
        .registerVolunteer(
          {
            idempotencyKey: `${this.prefix}-volunteer-${v.key}`,
            userId,
            contact: { name: v.name, phone: `1370000${String(1000 + i).slice(-4)}` },
            affiliationOrganisationId: team,
            skills: [Skill.SKILL_DRIVER, Skill.SKILL_LOADER],
            vehicle: { type: VehicleType.VEHICLE_TYPE_VAN, capacityKg: 1500, hasTravelPass: true },
            districts: v.districts,
            // A month, so that demo data loaded today still has volunteers to offer tasks to next week.
            availability: [{ start: new Date(now - 3600_000), end: new Date(now + 30 * 86400_000) }],
          },
          { token: this.operator },
        )
        .then(
          ({ volunteer }) => volunteer!.id,
          async (err: unknown) => {
            // Registered by an earlier run (whose availability window was another): look the id up.
            if (!isStatus(err, GrpcStatus.ALREADY_EXISTS)) throw err;
            registered ??= this.registeredVolunteers(team);
            const existing = (await registered).get(userId);
            if (!existing) throw err;
            return existing;
          },
        );
      this.volunteerUsers.set(id, userId);
      this.volunteerIds.set(v.key, id);
      this.progress('volunteers', ++done, total);
    });
  }

  /** User id → volunteer id of the team's registered volunteers. */
  private async registeredVolunteers(team: string): Promise<Map<string, string>> {
    const volunteers = await this.listAll(async (pageToken) => {
      const res = await this.volunteer.listVolunteers(
        {
          page: { pageSize: 200, pageToken },
          skill: Skill.SKILL_UNSPECIFIED,
          district: '',
          affiliationOrganisationId: team,
          availableOnly: false,
          availableAt: undefined,
        },
        { token: this.operator },
      );
      return [res.volunteers, res.page?.nextPageToken];
    });
    return new Map(volunteers.map((v) => [v.userId, v.id]));
  }

  private async offers(): Promise<void> {
    const total = this.scenario.offers.length;
    this.progress('offers', 0, total);
    for (const [i, o] of this.scenario.offers.entries()) {
      const donor = this.org(this.scenario.donors[o.donor]!);
      await this.inventory
        .registerOffer(
          {
            idempotencyKey: `${this.prefix}-offer-${i}`,
            donorOrganisationId: donor,
            lines: [
              {
                category: o.category,
                itemName: o.itemName,
                quantity: { amount: o.amount, unit: o.unit },
                unitValue: { currencyCode: 'CNY', minorUnits: o.unitValue },
                expiresAt: new Date(Date.now() + 180 * 86400_000),
                note: '',
              },
            ],
            pickupLocation: { district: o.district, community: '东大街', address: `${i + 1}号仓库` },
            warehouseId: '',
            pickupContact: { name: '仓库值班', phone: '13900001111' },
            note: '',
          },
          { token: this.token(`${donor}-staff`, donor, 'supplier') },
        )
        .catch((err: unknown) => {
          // The key is this run's own: an earlier run registered the offer (with another expiry date).
          if (!isStatus(err, GrpcStatus.ALREADY_EXISTS)) throw err;
        });
      this.progress('offers', i + 1, total);
    }
  }

  private async submit(): Promise<void> {
    const { requests, partners } = this.scenario;
    let done = 0;
    this.progress('requests', 0, requests.length);
    await this.each(requests, async (r, i) => {
      const partner = this.org(partners[r.partner]!);
      const { helpRequest } = await this.intake.createHelpRequest(
        {
          idempotencyKey: `${this.prefix}-${r.key}`,
          requester: { name: `求助人${i + 1}`, phone: `139${String(10_000_000 + i * 7_919).slice(-8)}` },
          location: {
            district: r.district,
            community: r.community,
            address: `${(i % 40) + 1}号楼${(i % 6) + 1}单元`,
            coordinates: r.coordinates,
          },
          needs: r.needs.map(needOf),
          urgency: r.urgency,
          vulnerableGroups: [],
          peopleAffected: r.peopleAffected,
          channel: Channel.CHANNEL_PARTNER_SYSTEM,
          description: `${r.needs.map((n) => n.itemName).join('、')}告急`,
        },
        { token: this.token(`${partner}-staff`, partner, 'partner') },
      );
      this.requestIds.set(r.key, helpRequest!.id);
      this.requestKeys.set(helpRequest!.id, r);
      this.progress('requests', ++done, requests.length);
    });
  }

  /**
   * Verifiers claim each request's call-back task and record what the call found. Tasks already completed
   * (by an earlier run) are left alone; unanswered calls already recorded are not made again.
   */
  private async verify(): Promise<void> {
    const toVerify = this.scenario.requests.filter((r) => takesStep(r, 'verification'));
    this.progress('verification', 0, toVerify.length);
    const tasks = await this.waitFor('verification tasks opened', async () => {
      const found = new Map<string, VerificationTask>();
      const all = await this.listAll(async (pageToken) => {
        const res = await this.verification.listTasks(
          {
            page: { pageSize: 200, pageToken },
            statuses: [
              TaskStatus.TASK_STATUS_OPEN,
              TaskStatus.TASK_STATUS_CLAIMED,
              TaskStatus.TASK_STATUS_COMPLETED,
            ],
            overdueOnly: false,
          },
          { token: this.operator },
        );
        return [res.tasks, res.page?.nextPageToken];
      });
      for (const t of all) if (this.requestKeys.has(t.helpRequestId)) found.set(t.helpRequestId, t);
      return found.size === this.requestIds.size ? found : undefined;
    });
    const attempts = this.options.callAttempts ?? 3;
    let done = 0;
    await this.each(toVerify, async (r) => {
      const task = tasks.get(this.requestIds.get(r.key)!)!;
      if (task.status !== TaskStatus.TASK_STATUS_COMPLETED) await this.call(r, task, attempts);
      this.progress('verification', ++done, toVerify.length);
    });
  }

  private async call(r: PlannedRequest, task: VerificationTask, attempts: number): Promise<void> {
    const i = this.scenario.requests.indexOf(r);
    const verifier = this.token(`verifier-${i % 5}`, 'coordination-centre', 'verifier');
    const record = async (n: number, outcome: RecordOutcomeRequest['outcome']) => {
      // Claiming a task one holds extends the claim, and the outcome has a key: both safe to retry.
      await this.retrying(() => this.verification.claimTask({ taskId: task.id }, { token: verifier }));
      return this.retrying(() =>
        this.verification.recordOutcome(
          { taskId: task.id, idempotencyKey: `${this.prefix}-${r.key}-call-${n}`, outcome },
          { token: verifier },
        ),
      );
    };
    switch (r.verification) {
      case 'verified':
        await record(1, { $case: 'verified', value: { correctedNeeds: [], note: '电话核实属实' } });
        break;
      case 'rejected':
        await record(1, { $case: 'rejected', value: { reason: '非困难家庭，已有物资' } });
        break;
      case 'duplicate':
        await record(1, {
          $case: 'duplicate',
          value: { duplicateOfHelpRequestId: this.requestIds.get(r.duplicateOf!)!, note: '同一家庭重复求助' },
        });
        break;
      case 'unreachable':
        for (let n = task.attempts.length + 1; n <= attempts; n++) {
          const { task: after } = await record(n, { $case: 'noAnswer', value: { note: '无人接听' } });
          if (after?.status === TaskStatus.TASK_STATUS_COMPLETED) break;
        }
        break;
    }
  }

  /**
   * Each donor accepts the proposals made to it for requests whose path goes on, until as many are accepted
   * as the plan expects (counting those an earlier run accepted, which may be fulfilled by now).
   */
  private async accept(): Promise<void> {
    const expected = this.scenario.truth.deliveryTasks;
    this.progress('matches accepted', 0, expected);
    // Kept across rounds, so the count only grows: a round that finds nothing new is no progress.
    const accepted = new Set<string>();
    await this.waitFor(`${expected} proposals accepted`, async () => {
      for (const name of this.scenario.donors) {
        const donor = this.org(name);
        const token = this.token(`${donor}-staff`, donor, 'supplier');
        const proposals = await this.listAll(async (pageToken) => {
          const res = await this.matching.listProposals(
            {
              page: { pageSize: 200, pageToken },
              statuses: [
                ProposalStatus.PROPOSAL_STATUS_PROPOSED,
                ProposalStatus.PROPOSAL_STATUS_ACCEPTED,
                ProposalStatus.PROPOSAL_STATUS_FULFILLED,
              ],
              supplierOrganisationId: donor,
              helpRequestId: '',
            },
            { token },
          );
          return [res.proposals, res.page?.nextPageToken];
        });
        const ours = proposals.filter((p) => {
          const plan = this.requestKeys.get(p.helpRequestId);
          return plan !== undefined && takesStep(plan, 'acceptance');
        });
        for (const p of ours) if (p.status !== ProposalStatus.PROPOSAL_STATUS_PROPOSED) accepted.add(p.id);
        this.progress('matches accepted', Math.min(accepted.size, expected), expected);
        await this.each(
          ours.filter((p) => p.status === ProposalStatus.PROPOSAL_STATUS_PROPOSED),
          async (p) => {
            // A failure leaves the proposal to the next round, which reads its state again.
            if (
              !(await this.orNextRound(this.matching.acceptProposal({ id: p.id, note: '已备货' }, { token })))
            )
              return;
            accepted.add(p.id);
            this.progress('matches accepted', Math.min(accepted.size, expected), expected);
          },
        );
      }
      return accepted.size >= expected ? true : undefined;
    });
  }

  /**
   * Volunteers answer the offers the volunteer service makes: some decline first, the rest take the task,
   * pick the goods up and deliver them (or fail, as planned). Tasks an earlier run took are carried on from
   * where they are; ended ones are left alone. Resolves with who took tasks.
   */
  private async deliver(): Promise<Set<string>> {
    const { deliveriesCompleted, deliveriesFailed } = this.scenario.truth;
    const expected = deliveriesCompleted + deliveriesFailed;
    const ended = new Set<string>();
    const active = new Set<string>();
    this.progress('deliveries', 0, expected);
    await this.waitFor(`${expected} deliveries ended`, async () => {
      const tasks = await this.listAll(async (pageToken) => {
        const res = await this.volunteer.listDeliveryTasks(
          {
            page: { pageSize: 200, pageToken },
            statuses: [
              DeliveryTaskStatus.DELIVERY_TASK_STATUS_OFFERED,
              DeliveryTaskStatus.DELIVERY_TASK_STATUS_ACCEPTED,
              DeliveryTaskStatus.DELIVERY_TASK_STATUS_PICKED_UP,
              DeliveryTaskStatus.DELIVERY_TASK_STATUS_DELIVERED,
              DeliveryTaskStatus.DELIVERY_TASK_STATUS_FAILED,
            ],
            volunteerId: '',
            district: '',
            helpRequestId: '',
          },
          { token: this.operator },
        );
        return [res.tasks, res.page?.nextPageToken];
      });
      await this.each(tasks, async (task) => {
        const plan = this.requestKeys.get(task.helpRequestId);
        if (!plan || !takesStep(plan, 'delivery') || ended.has(task.id)) return;
        const final =
          task.status === DeliveryTaskStatus.DELIVERY_TASK_STATUS_DELIVERED ||
          task.status === DeliveryTaskStatus.DELIVERY_TASK_STATUS_FAILED;
        // A failure leaves the task to the next round, which reads its state again. So does NOT_FOUND: the
        // list is a read model a moment behind, and a task offered to someone else since then is not shown
        // to the volunteer it was offered to before.
        if (!final && !(await this.orNextRound(this.carryOut(task, plan).catch(notFoundAsNextRound)))) return;
        if (task.assignedVolunteerId) active.add(task.assignedVolunteerId);
        ended.add(task.id);
        this.progress('deliveries', Math.min(ended.size, expected), expected);
      });
      return ended.size >= expected ? true : undefined;
    });
    return active;
  }

  /** Takes one delivery task on from its status to its planned end; false when it was declined instead. */
  private async carryOut(task: DeliveryTask, plan: PlannedRequest): Promise<boolean> {
    const offered = task.status === DeliveryTaskStatus.DELIVERY_TASK_STATUS_OFFERED;
    const volunteerId = offered ? task.offeredToVolunteerId : task.assignedVolunteerId;
    const userId = this.volunteerUsers.get(volunteerId);
    if (!userId) return false;
    const token = this.token(userId, this.org(this.scenario.volunteerTeam), 'volunteer');
    if (offered) {
      if (plan.delivery === 'declined-then-delivered' && task.declinedVolunteerIds.length === 0) {
        await this.volunteer.declineTask({ taskId: task.id, reason: '车辆临时故障' }, { token });
        return false;
      }
      await this.volunteer.acceptTask({ taskId: task.id }, { token });
    }
    task.assignedVolunteerId = volunteerId;
    const update = (step: string, u: Parameters<typeof this.volunteer.updateTaskStatus>[0]['update']) =>
      this.volunteer.updateTaskStatus(
        { taskId: task.id, idempotencyKey: `${this.prefix}-${task.id}-${step}`, update: u },
        { token },
      );
    if (task.status !== DeliveryTaskStatus.DELIVERY_TASK_STATUS_PICKED_UP)
      await update('pickup', { $case: 'pickedUp', value: { note: '已取货' } });
    if (plan.delivery === 'failed') {
      await update('end', { $case: 'failed', value: { reason: '小区封控，无法进入' } });
    } else {
      await update('end', { $case: 'delivered', value: { proofNote: '已交给社区网格员，拍照留存' } });
    }
    return true;
  }

  /** Every item of a paged list. */
  private async listAll<T>(page: (pageToken: string) => Promise<[T[], string | undefined]>): Promise<T[]> {
    const all: T[] = [];
    let pageToken = '';
    do {
      const [items, next] = await page(pageToken);
      all.push(...items);
      pageToken = next ?? '';
    } while (pageToken);
    return all;
  }

  /** Runs `fn` over the items with at most `concurrency` calls in flight; rejects on the first failure. */
  private each<T>(items: readonly T[], fn: (item: T, index: number) => Promise<void>): Promise<void[]> {
    return Promise.all(items.map((item, i) => this.pool(() => fn(item, i))));
  }

  /**
   * A call that a busy platform may fail for the moment (a deadline, a replica restarting): tried up to four
   * times. Only for calls that are safe to repeat (idempotency keys, or repeating returns the same result).
   */
  private async retrying<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (attempt >= 4 || !TRANSIENT.has((err as ServiceError).code)) throw err;
        this.lastError = err;
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
  }

  /**
   * In a polling stage: the step's result, or false when it failed for the moment or because the state moved
   * on under it (an offer lapsed, a proposal expired); the next round reads the state again and decides anew.
   */
  private async orNextRound<T>(step: Promise<T>): Promise<T | false> {
    try {
      return await step;
    } catch (err) {
      const code = (err as ServiceError).code;
      if (!TRANSIENT.has(code) && code !== GrpcStatus.FAILED_PRECONDITION) throw err;
      this.lastError = err;
      return false;
    }
  }

  /**
   * Polls until `probe` returns a value; throws naming what did not happen while nothing progressed (and
   * the last error a round set aside). A probe failing for the moment is tried again in the next round.
   */
  private async waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const timeoutMs = this.options.stageTimeoutMs ?? 120_000;
    const started = Date.now();
    for (;;) {
      const value = await this.orNextRound(probe());
      if (value !== undefined && value !== false) return value;
      if (Date.now() > Math.max(started, this.progressedAt) + timeoutMs)
        throw new Error(
          `scenario: waited ${Math.round(timeoutMs / 1000)} s without progress for ${what}` +
            (this.lastError ? ` (last error: ${(this.lastError as Error).message})` : ''),
        );
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** Statuses a busy or restarting platform answers for the moment. */
const TRANSIENT = new Set<GrpcStatus>([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.INTERNAL,
  GrpcStatus.ABORTED,
  GrpcStatus.RESOURCE_EXHAUSTED,
]);

function isStatus(err: unknown, code: GrpcStatus): boolean {
  return typeof err === 'object' && err !== null && (err as ServiceError).code === code;
}

/** A step refused with NOT_FOUND: leave it to the next round (see deliveries). */
function notFoundAsNextRound(err: unknown): false {
  if ((err as ServiceError).code === GrpcStatus.NOT_FOUND) return false;
  throw err;
}
