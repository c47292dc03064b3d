import { issueToken, type Role } from '@nuanyang/auth';
import { createClient, type PromiseClient } from '@nuanyang/grpc-kit';
import { Channel, IntakeServiceClient } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { InventoryServiceClient } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { MatchingServiceClient, ProposalStatus } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import {
  type RecordOutcomeRequest,
  TaskStatus,
  VerificationServiceClient,
} from '@nuanyang/proto/nuanyang/verification/v1/verification';
import {
  DeliveryTaskStatus,
  OrganisationType,
  Skill,
  VehicleType,
  VolunteerServiceClient,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import pLimit from 'p-limit';
import type { PlannedRequest, Scenario } from './plan';

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
  /** How long one stage may wait for the platform (e.g. for matching to propose); default 120 s. */
  stageTimeoutMs?: number;
  /** Verification's MAX_CALL_ATTEMPTS: unanswered calls before a request is unreachable; default 3. */
  callAttempts?: number;
  /** Called as each stage progresses (for a progress bar). */
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface RunResult {
  /** Help request id by planned request key. */
  requestIds: Map<string, string>;
  /** Organisation id by name. */
  organisationIds: Map<string, string>;
  /** Volunteer ids of those who accepted at least one task. */
  activeVolunteers: Set<string>;
  /** Tokens the run used, for follow-up calls. */
  tokens: { operator: string };
}

/** Runs the scenario through the real services' gRPC APIs, stage by stage, as the people in it would. */
export async function runScenario(
  scenario: Scenario,
  endpoints: Endpoints,
  options: RunOptions,
): Promise<RunResult> {
  const run = new Run(scenario, endpoints, options);
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

  private progress(stage: string, done: number, total: number): void {
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
    let done = 0;
    await this.each(this.scenario.volunteers, async (v, i) => {
      const userId = `${this.prefix}-${v.key}`;
      const { volunteer } = await this.volunteer.registerVolunteer(
        {
          idempotencyKey: `${this.prefix}-volunteer-${v.key}`,
          userId,
          contact: { name: v.name, phone: `1370000${String(1000 + i).slice(-4)}` },
          affiliationOrganisationId: team,
          skills: [Skill.SKILL_DRIVER, Skill.SKILL_LOADER],
          vehicle: { type: VehicleType.VEHICLE_TYPE_VAN, capacityKg: 1500, hasTravelPass: true },
          districts: v.districts,
          availability: [{ start: new Date(now - 3600_000), end: new Date(now + 3 * 86400_000) }],
        },
        { token: this.operator },
      );
      this.volunteerUsers.set(volunteer!.id, userId);
      this.progress('volunteers', ++done, this.scenario.volunteers.length);
    });
  }

  private async offers(): Promise<void> {
    for (const [i, o] of this.scenario.offers.entries()) {
      const donor = this.org(this.scenario.donors[o.donor]!);
      await this.inventory.registerOffer(
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
      );
      this.progress('offers', i + 1, this.scenario.offers.length);
    }
  }

  private async submit(): Promise<void> {
    const { requests, partners } = this.scenario;
    let done = 0;
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
          needs: r.needs.map((n) => ({
            needId: '',
            category: n.category,
            itemName: n.itemName,
            quantity: { amount: n.amount, unit: n.unit },
            note: '',
          })),
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

  /** Verifiers claim each request's call-back task and record what the call found. */
  private async verify(): Promise<void> {
    const tasks = await this.waitFor('verification tasks opened', async () => {
      const found = new Map<string, string>();
      let pageToken = '';
      do {
        const res = await this.verification.listTasks(
          { page: { pageSize: 500, pageToken }, statuses: [], overdueOnly: false },
          { token: this.operator },
        );
        for (const t of res.tasks)
          if (this.requestKeys.has(t.helpRequestId)) found.set(t.helpRequestId, t.id);
        pageToken = res.page?.nextPageToken ?? '';
      } while (pageToken);
      return found.size === this.requestIds.size ? found : undefined;
    });
    const attempts = this.options.callAttempts ?? 3;
    let done = 0;
    await this.each(this.scenario.requests, async (r, i) => {
      const taskId = tasks.get(this.requestIds.get(r.key)!)!;
      const verifier = this.token(`verifier-${i % 5}`, 'coordination-centre', 'verifier');
      const record = async (n: number, outcome: RecordOutcomeRequest['outcome']) => {
        await this.verification.claimTask({ taskId }, { token: verifier });
        return this.verification.recordOutcome(
          { taskId, idempotencyKey: `${this.prefix}-${r.key}-call-${n}`, outcome },
          { token: verifier },
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
            value: {
              duplicateOfHelpRequestId: this.requestIds.get(r.duplicateOf!)!,
              note: '同一家庭重复求助',
            },
          });
          break;
        case 'unreachable':
          for (let n = 1; n <= attempts; n++) {
            const { task } = await record(n, { $case: 'noAnswer', value: { note: '无人接听' } });
            if (task?.status === TaskStatus.TASK_STATUS_COMPLETED) break;
          }
          break;
      }
      this.progress('verification', ++done, this.scenario.requests.length);
    });
  }

  /** Each donor accepts every proposal made to it, until as many as the plan expects are accepted. */
  private async accept(): Promise<void> {
    const expected = this.scenario.truth.deliveryTasks;
    const accepted = new Set<string>();
    await this.waitFor(`${expected} proposals accepted`, async () => {
      for (const name of this.scenario.donors) {
        const donor = this.org(name);
        const token = this.token(`${donor}-staff`, donor, 'supplier');
        const { proposals } = await this.matching.listProposals(
          {
            page: { pageSize: 500, pageToken: '' },
            statuses: [ProposalStatus.PROPOSAL_STATUS_PROPOSED],
            supplierOrganisationId: donor,
            helpRequestId: '',
          },
          { token },
        );
        await this.each(proposals, async (p) => {
          await this.matching.acceptProposal({ id: p.id, note: '已备货' }, { token });
          accepted.add(p.id);
          this.progress('matches accepted', accepted.size, expected);
        });
      }
      return accepted.size >= expected ? true : undefined;
    });
  }

  /**
   * Volunteers answer the offers the volunteer service makes: some decline first, the rest take the task,
   * pick the goods up and deliver them (or fail, as planned). Resolves with who took tasks.
   */
  private async deliver(): Promise<Set<string>> {
    const expected = this.scenario.truth.deliveryTasks;
    const ended = new Set<string>();
    const active = new Set<string>();
    await this.waitFor(`${expected} deliveries ended`, async () => {
      const { tasks } = await this.volunteer.listDeliveryTasks(
        {
          page: { pageSize: 500, pageToken: '' },
          statuses: [DeliveryTaskStatus.DELIVERY_TASK_STATUS_OFFERED],
          volunteerId: '',
          district: '',
          helpRequestId: '',
        },
        { token: this.operator },
      );
      await this.each(tasks, async (task) => {
        const plan = this.requestKeys.get(task.helpRequestId);
        const userId = this.volunteerUsers.get(task.offeredToVolunteerId);
        if (!plan || !userId || ended.has(task.id)) return;
        const token = this.token(userId, this.org(this.scenario.volunteerTeam), 'volunteer');
        if (plan.delivery === 'declined-then-delivered' && task.declinedVolunteerIds.length === 0) {
          await this.volunteer.declineTask({ taskId: task.id, reason: '车辆临时故障' }, { token });
          return;
        }
        await this.volunteer.acceptTask({ taskId: task.id }, { token });
        active.add(task.offeredToVolunteerId);
        const update = (step: string, u: Parameters<typeof this.volunteer.updateTaskStatus>[0]['update']) =>
          this.volunteer.updateTaskStatus(
            { taskId: task.id, idempotencyKey: `${this.prefix}-${task.id}-${step}`, update: u },
            { token },
          );
        await update('pickup', { $case: 'pickedUp', value: { note: '已取货' } });
        if (plan.delivery === 'failed') {
          await update('end', { $case: 'failed', value: { reason: '小区封控，无法进入' } });
        } else {
          await update('end', { $case: 'delivered', value: { proofNote: '已交给社区网格员，拍照留存' } });
        }
        ended.add(task.id);
        this.progress('deliveries', ended.size, expected);
      });
      return ended.size >= expected ? true : undefined;
    });
    return active;
  }

  /** Runs `fn` over the items with at most `concurrency` calls in flight; rejects on the first failure. */
  private each<T>(items: readonly T[], fn: (item: T, index: number) => Promise<void>): Promise<void[]> {
    return Promise.all(items.map((item, i) => this.pool(() => fn(item, i))));
  }

  /** Polls until `probe` returns a value; throws naming what did not happen in time. */
  private async waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + (this.options.stageTimeoutMs ?? 120_000);
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`scenario: waited too long for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
