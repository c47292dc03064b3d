import type { Principal } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import type { PromiseClient } from '@nuanyang/grpc-kit';
import { createLogger } from '@nuanyang/logger';
import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  HelpRequest,
  HelpRequestStatus,
  type IntakeServiceClient,
} from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { MatchProposal, ProposalStatus } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import {
  DeliveryTaskOffered,
  DeliveryTaskTimedOut,
  VolunteerHoursRecorded,
} from '@nuanyang/proto/nuanyang/volunteer/v1/events';
import {
  type FunctionalGroup,
  type Organisation,
  OrganisationType,
  RegisterOrganisationRequest,
  RegisterVolunteerRequest,
  DeliveryTaskStatus as S,
  Skill,
  VehicleType,
  type Volunteer,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import { type Change, MemoryStore } from '@nuanyang/store';
import { FINAL, type TaskState } from '../src/domain/tasks';
import type { OrganisationFilter, VolunteerFilter } from '../src/read-model';
import { Registry, type RegistryQueries } from '../src/registry';
import { type TaskQueries, Tasks } from '../src/tasks';

// The application classes over the in-memory store, with in-memory read models derived from it: what the
// service does with registrations and delivery tasks, in milliseconds and without servers.

const operator: Principal = { subject: 'op-1', organisationId: 'org-centre', roles: ['operator'] };
const volunteerUser = (user: string): Principal => ({
  subject: user,
  organisationId: 'org-independent',
  roles: ['volunteer'],
});

/** Every aggregate's latest state, found through the events the store recorded (`<aggregate>.<id>.v…`). */
async function all<S extends object>(store: MemoryStore<S>): Promise<Change<S>[]> {
  const ids = [...new Set(store.events.map((e) => e.eventId.split('.')[1] ?? ''))];
  const heads = await Promise.all(ids.map((id) => store.load(id)));
  return heads.filter((h): h is Change<S> => h !== null);
}

/** The read models as the projections would hold them once caught up. */
function registryViews(
  organisations: MemoryStore<Organisation>,
  groups: MemoryStore<FunctionalGroup>,
  volunteers: MemoryStore<Volunteer>,
): RegistryQueries {
  return {
    organisations: async (f: OrganisationFilter, n: number) =>
      (await all(organisations))
        .map((c) => c.state)
        .filter((o) => (!f.type || o.type === f.type) && (!f.district || o.districts.includes(f.district)))
        .filter((o) => !f.ids || f.ids.includes(o.id))
        .slice(0, n),
    groups: async (_org: string, n: number) => (await all(groups)).map((c) => c.state).slice(0, n),
    volunteers: async (f: VolunteerFilter, n: number) =>
      (await all(volunteers))
        .map((c) => c.state)
        .filter(
          (v) => !f.affiliationOrganisationId || v.affiliationOrganisationId === f.affiliationOrganisationId,
        )
        .slice(0, n),
  };
}

function taskViews(store: MemoryStore<TaskState>): TaskQueries {
  const live = async () => (await all(store)).map((c) => c.state).filter((s) => !FINAL.has(s.task.status));
  const tasks = async (keep: (s: TaskState) => boolean) => (await live()).filter(keep).map((s) => s.task);
  return {
    list: () => Promise.reject(new Error('not used by these cases')),
    pending: () => tasks((s) => s.task.status === S.DELIVERY_TASK_STATUS_PENDING),
    overdue: (now: Date) =>
      tasks((s) => [s.task.offerExpiresAt, s.task.dueAt].some((d) => d && d.getTime() <= now.getTime())),
    ofRequest: (id: string) => tasks((s) => s.task.helpRequestId === id),
    activeTasks: async (ids?: string[]) => {
      const counts = new Map<string, number>();
      for (const s of await live())
        if (s.holderId && (!ids || ids.includes(s.holderId)))
          counts.set(s.holderId, (counts.get(s.holderId) ?? 0) + 1);
      return counts;
    },
    caughtUp: async () => undefined,
  };
}

const helpRequest = HelpRequest.fromPartial({
  id: 'hr-1',
  requester: { name: '王秀兰', phone: '13912345678' },
  location: {
    district: 'huyi',
    community: '龙窝村',
    address: '7号院',
    coordinates: { latitude: 34.1086, longitude: 108.6051 },
  },
  submittingOrganisationId: 'org-hub',
});

const proposal = (id = 'mp-hr-1-0001') =>
  MatchProposal.fromPartial({
    id,
    helpRequestId: 'hr-1',
    category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
    needItemName: '方便面',
    supplierOrganisationId: 'org-donor',
    lines: [
      {
        lotId: 'lot-1',
        quantity: 20,
        unit: 'box',
        itemName: '方便面',
        pickupLocation: { district: 'huyi', community: '仓库', address: '仓库1号' },
      },
    ],
    status: ProposalStatus.PROPOSAL_STATUS_ACCEPTED,
    urgency: Urgency.URGENCY_HIGH,
  });

const OFFER_TTL_MS = 60_000;

function setup(request = helpRequest) {
  const organisations = new MemoryStore<Organisation>('organisation');
  const groups = new MemoryStore<FunctionalGroup>('functional_group');
  const volunteers = new MemoryStore<Volunteer>('volunteer');
  const taskStore = new MemoryStore<TaskState>('delivery_task');
  const intake = {
    getHelpRequest: async () => ({ helpRequest: request }),
  } as unknown as PromiseClient<IntakeServiceClient>;
  const log = createLogger('volunteer-test', 'silent');
  /** One replica of the service: its own application objects over the shared stores. */
  const replica = () => {
    const registry = new Registry(
      { organisations, groups, volunteers },
      registryViews(organisations, groups, volunteers),
    );
    const tasks = new Tasks(
      taskStore,
      taskViews(taskStore),
      registry,
      intake,
      { offerTtlMs: OFFER_TTL_MS, deliveryDueMs: 3600_000 },
      log,
    );
    registry.workload = (ids) => tasks.workload(ids);
    registry.onVolunteerChanged = (v) => tasks.offerPending([v]);
    return { registry, tasks };
  };
  return { organisations, volunteers, taskStore, replica };
}

const now = Date.now();
const driverRequest = (key: string, over: Partial<RegisterVolunteerRequest> = {}) =>
  RegisterVolunteerRequest.fromPartial({
    idempotencyKey: key,
    contact: { name: '司机', phone: '13700001111' },
    skills: [Skill.SKILL_DRIVER],
    vehicle: { type: VehicleType.VEHICLE_TYPE_VAN, capacityKg: 800, hasTravelPass: true },
    districts: ['huyi'],
    availability: [{ start: new Date(now - 3600_000), end: new Date(now + 3 * 3600_000) }],
    ...over,
  });

const subjects = (store: MemoryStore<TaskState>) => store.events.map((e) => e.subject);

describe('Registry on the in-memory store', () => {
  const org = (key: string, name: string) =>
    RegisterOrganisationRequest.fromPartial({
      idempotencyKey: key,
      name,
      type: OrganisationType.ORGANISATION_TYPE_FOUNDATION,
      districts: ['yanta'],
    });

  it('lets exactly one of two concurrent registrations of one name win, and answers a retry with it', async () => {
    const { organisations, replica } = setup();
    const [a, b] = [replica().registry, replica().registry];
    const racing = await Promise.allSettled([
      a.registerOrganisation(org('key-a', '西安市 慈善会'), operator),
      b.registerOrganisation(org('key-b', ' 西安市  慈善会 '), operator),
    ]);
    const won = racing.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(racing.find((r) => r.status === 'rejected')).toMatchObject({
      reason: { name: 'AlreadyExistsError', message: expect.stringContaining('already registered') },
    });
    const winner = (won[0] as PromiseFulfilledResult<{ organisation: Organisation }>).value.organisation;
    expect(organisations.history(winner.id)).toHaveLength(1);

    const key = racing[0]?.status === 'fulfilled' ? 'key-a' : 'key-b';
    const name = key === 'key-a' ? '西安市 慈善会' : ' 西安市  慈善会 ';
    expect(await a.registerOrganisation(org(key, name), operator)).toMatchObject({
      replayed: true,
      organisation: { id: winner.id },
    });
    // The key again with another body is refused.
    await expect(
      a.registerOrganisation({ ...org(key, name), description: 'changed' }, operator),
    ).rejects.toMatchObject({ name: 'IdempotencyKeyReusedError', code: 6 });
    expect(organisations.events.map((e) => e.subject)).toEqual([SUBJECTS.volunteer.organisationRegistered]);
  });

  it('registers a user as a volunteer once, however the calls race', async () => {
    const { volunteers, replica } = setup();
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map((n) =>
        replica().registry.registerVolunteer(driverRequest(`k-${n}`), volunteerUser('u1')),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(3);
    for (const r of results.filter((x) => x.status === 'rejected'))
      expect(r).toMatchObject({
        reason: { code: 6, message: expect.stringContaining('already registered') },
      });
    expect(volunteers.events).toHaveLength(1);
  });

  it('adds the hours of a task once, however often the event comes', async () => {
    const { replica } = setup();
    const { registry } = replica();
    const { volunteer } = await registry.registerVolunteer(driverRequest('k'), volunteerUser('u1'));
    await registry.addHours(volunteer.id, 'dt-1', 1.5);
    await registry.addHours(volunteer.id, 'dt-1', 1.5);
    await registry.addHours(volunteer.id, 'dt-2', 0.25);
    expect(await registry.getVolunteer('me', volunteerUser('u1'))).toMatchObject({ hoursTotal: 1.75 });
  });
});

describe('Tasks on the in-memory store', () => {
  /** Two replicas and two drivers serving huyi. */
  async function twoDrivers() {
    const env = setup();
    const [one, two] = [env.replica(), env.replica()];
    const ids = new Map<string, string>();
    for (const user of ['a', 'b']) {
      const { volunteer } = await one.registry.registerVolunteer(driverRequest(user), volunteerUser(user));
      ids.set(volunteer.id, user);
    }
    return { ...env, one, two, userOf: (id: string) => ids.get(id) ?? '' };
  }

  const task = async (env: { taskStore: MemoryStore<TaskState> }, id = 'dt-mp-hr-1-0001') =>
    (await env.taskStore.loadOrThrow(id)).state.task;

  it('creates one task per accepted proposal and offers it once, though two replicas race', async () => {
    const env = await twoDrivers();
    const accepted = { meta: undefined, proposal: proposal() };
    await Promise.all([
      env.one.tasks.onAccepted(accepted, 'matching.case-1.v3.0'),
      env.two.tasks.onAccepted(accepted, 'matching.case-1.v3.0'),
      env.two.tasks.sweep(),
    ]);
    expect(subjects(env.taskStore)).toEqual([SUBJECTS.volunteer.taskCreated, SUBJECTS.volunteer.taskOffered]);
    const t = await task(env);
    expect(t).toMatchObject({ status: S.DELIVERY_TASK_STATUS_OFFERED, offerCount: 1, version: 2 });
    const offered = DeliveryTaskOffered.decode(env.taskStore.events[1]?.data ?? new Uint8Array());
    expect(offered.meta).toMatchObject({ aggregateId: t.id, aggregateVersion: 2 });
    expect(offered.task).toMatchObject({ personalDataRedacted: true, recipient: undefined });
  });

  it('re-offers on decline, follows the task to delivery, records hours once and replays a retry', async () => {
    const env = await twoDrivers();
    await env.one.tasks.onAccepted({ meta: undefined, proposal: proposal() }, 'e1');
    const first = await task(env);
    const firstUser = env.userOf(first.offeredToVolunteerId);
    const secondUser = firstUser === 'a' ? 'b' : 'a';
    // Offered, not accepted: the volunteer sees it without the requester's data; the other not at all.
    expect(await env.two.tasks.get(first.id, volunteerUser(firstUser))).toMatchObject({
      personalDataRedacted: true,
      recipient: undefined,
    });
    await expect(env.two.tasks.get(first.id, volunteerUser(secondUser))).rejects.toMatchObject({ code: 5 });

    const declined = await env.two.tasks.decline(first.id, 'no fuel', volunteerUser(firstUser));
    expect(declined).toMatchObject({ offerCount: 2, declinedVolunteerIds: [first.offeredToVolunteerId] });
    expect(env.userOf(declined.offeredToVolunteerId)).toBe(secondUser);

    const holder = volunteerUser(secondUser);
    const accepted = await env.one.tasks.accept(first.id, holder);
    expect(accepted).toMatchObject({
      status: S.DELIVERY_TASK_STATUS_ACCEPTED,
      personalDataRedacted: false,
      recipient: { name: '王秀兰', phone: '13912345678' },
    });
    expect((await env.two.tasks.accept(first.id, holder)).version).toBe(accepted.version);
    expect((await env.one.registry.getVolunteer('me', holder)).activeTasks).toBe(1);

    const update = (key: string, u: Parameters<Tasks['updateStatus']>[0]['update']) =>
      env.two.tasks.updateStatus({ taskId: first.id, idempotencyKey: key, update: u }, holder);
    await expect(update('k1', { $case: 'delivered', value: { proofNote: 'x' } })).rejects.toMatchObject({
      code: 9,
    });
    await update('k2', { $case: 'pickedUp', value: { note: '' } });
    const delivered = await update('k3', { $case: 'delivered', value: { proofNote: '本人签收' } });
    expect(delivered).toMatchObject({ replayed: false, task: { status: S.DELIVERY_TASK_STATUS_DELIVERED } });
    expect(await update('k3', { $case: 'delivered', value: { proofNote: '本人签收' } })).toMatchObject({
      replayed: true,
      task: { version: delivered.task.version },
    });
    await expect(update('k3', { $case: 'delivered', value: { proofNote: 'other' } })).rejects.toMatchObject({
      name: 'IdempotencyKeyReusedError',
    });

    const hours = env.taskStore.events.filter((e) => e.subject === SUBJECTS.volunteer.hoursRecorded);
    expect(hours).toHaveLength(1);
    const recorded = VolunteerHoursRecorded.decode(hours[0]?.data ?? new Uint8Array());
    expect(recorded).toMatchObject({ taskId: first.id, volunteerId: accepted.assignedVolunteerId });
    expect(recorded.meta).toMatchObject({ aggregateId: first.id, actorUserId: secondUser });
    // The delivered task left the live work: the holder's load is 0 again.
    expect((await env.one.registry.getVolunteer('me', holder)).activeTasks).toBe(0);
    // No event carries the requester's data.
    for (const e of env.taskStore.events)
      expect(Buffer.from(e.data).includes(Buffer.from('7号院'))).toBe(false);
  });

  it('times out a lapsed offer, offers the next volunteer, waits, then offers a newly registered one', async () => {
    const env = await twoDrivers();
    await env.one.tasks.onAccepted({ meta: undefined, proposal: proposal() }, 'e1');
    const first = await task(env);
    const later = (ms: number) => new Date(Date.now() + ms);
    expect(await env.one.tasks.sweep(later(0))).toBe(0);
    // Both replicas sweep when the offer lapses: one time-out, one new offer (which lapses later).
    await new Promise((r) => setTimeout(r, 5));
    const lapsed = first.offerExpiresAt as Date;
    const counts = await Promise.all([env.one.tasks.sweep(lapsed), env.two.tasks.sweep(lapsed)]);
    expect(counts.reduce((a, b) => a + b)).toBe(1);
    const second = await task(env);
    expect(second).toMatchObject({
      status: S.DELIVERY_TASK_STATUS_OFFERED,
      offerCount: 2,
      declinedVolunteerIds: [first.offeredToVolunteerId],
    });
    const timedOut = env.taskStore.events.filter((e) => e.subject === SUBJECTS.volunteer.taskTimedOut);
    expect(DeliveryTaskTimedOut.decode(timedOut[0]?.data ?? new Uint8Array())).toMatchObject({
      volunteerId: first.offeredToVolunteerId,
      timedOutIn: S.DELIVERY_TASK_STATUS_OFFERED,
    });

    // The second lets it lapse too (sweeping an hour later, when the second offer has lapsed as well).
    await env.one.tasks.sweep(later(3 * OFFER_TTL_MS));
    expect(await task(env)).toMatchObject({ status: S.DELIVERY_TASK_STATUS_PENDING, offerCount: 2 });
    const { volunteer: late } = await env.two.registry.registerVolunteer(
      driverRequest('c'),
      volunteerUser('c'),
    );
    expect(await task(env)).toMatchObject({
      status: S.DELIVERY_TASK_STATUS_OFFERED,
      offeredToVolunteerId: late.id,
    });

    // The help request is cancelled: its task is cancelled once, though the event comes twice.
    await env.one.tasks.onRequestCancelled('hr-1', 'family brought food');
    await env.two.tasks.onRequestCancelled('hr-1', 'family brought food');
    expect(await task(env)).toMatchObject({ status: S.DELIVERY_TASK_STATUS_CANCELLED });
    expect(subjects(env.taskStore).filter((s) => s === SUBJECTS.volunteer.taskCancelled)).toHaveLength(1);
    await expect(env.one.tasks.accept(first.id, volunteerUser('c'))).rejects.toMatchObject({ code: 5 });
  });

  it('creates no task for a request cancelled before its match was accepted', async () => {
    const env = setup({ ...helpRequest, status: HelpRequestStatus.HELP_REQUEST_STATUS_CANCELLED });
    const { registry, tasks } = env.replica();
    await registry.registerVolunteer(driverRequest('a'), volunteerUser('a'));
    await tasks.onAccepted({ meta: undefined, proposal: proposal() }, 'e1');
    expect(await env.taskStore.load('dt-mp-hr-1-0001')).toBeNull();
    expect(env.taskStore.events).toHaveLength(0);
  });

  it('spreads one pass of offers over the volunteers, though the read model has not counted them yet', async () => {
    const env = setup();
    // Tasks arrive before anyone can take them: they wait.
    const { tasks } = env.replica();
    for (const id of ['mp-hr-1-0001', 'mp-hr-1-0002'])
      await tasks.onAccepted({ meta: undefined, proposal: proposal(id) }, `e-${id}`);
    const quiet = env.replica().registry;
    quiet.onVolunteerChanged = async () => undefined;
    for (const user of ['a', 'b']) await quiet.registerVolunteer(driverRequest(user), volunteerUser(user));
    // A read model a moment behind: no offer counted yet. One pass offers each task to another volunteer.
    const lagging = new Tasks(
      env.taskStore,
      { ...taskViews(env.taskStore), activeTasks: async () => new Map() },
      quiet,
      { getHelpRequest: async () => ({ helpRequest }) } as unknown as PromiseClient<IntakeServiceClient>,
      { offerTtlMs: OFFER_TTL_MS, deliveryDueMs: 3600_000 },
      createLogger('volunteer-test', 'silent'),
    );
    await lagging.sweep();
    const offered = await Promise.all(['dt-mp-hr-1-0001', 'dt-mp-hr-1-0002'].map((id) => task(env, id)));
    expect(offered.map((t) => t.status)).toEqual([
      S.DELIVERY_TASK_STATUS_OFFERED,
      S.DELIVERY_TASK_STATUS_OFFERED,
    ]);
    expect(new Set(offered.map((t) => t.offeredToVolunteerId)).size).toBe(2);
  });
});
