import { status } from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { canonicalSubject } from '@nuanyang/bus';
import { createClient } from '@nuanyang/grpc-kit';
import { ItemCategory, type Location } from '@nuanyang/proto/nuanyang/common/v1/common';
import { HelpRequestStatus } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { InventoryServiceClient } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import {
  MatchingServiceClient,
  type MatchProposal,
  ProposalStatus,
} from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { DeliveryTaskTimedOut, VolunteerHoursRecorded } from '@nuanyang/proto/nuanyang/volunteer/v1/events';
import {
  type DeliveryTask,
  DeliveryTaskStatus,
  OrganisationType,
  RegisterVolunteerRequest,
  Skill,
  VehicleType,
  type Volunteer,
  VolunteerServiceClient,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import { freePort, type ServiceProcess, spawnService, startNatsServer } from '@nuanyang/testkit';
import {
  codeOf,
  drained,
  eventually,
  helpRequest,
  intakeClient,
  offerRequest,
  operatorToken,
  partnerToken,
  redeliver,
  supplierToken,
  token,
  verificationClient,
  verifyRequest,
} from './helpers';

const OFFER_TTL_MS = 5_000;
const volunteerToken = (user: string) => token(user, 'org-independent', 'volunteer');

/**
 * Events of one (canonical) subject in a stream whose payload mentions `about` (a task or proposal id),
 * stored under the plain subject or the JetStream store's aggregate subject.
 */
async function eventsOf(
  natsUrl: string,
  stream: string,
  subject: string,
  about: string,
): Promise<Uint8Array[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info(stream);
    const found: Uint8Array[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m && canonicalSubject(m.subject) === subject && Buffer.from(m.data).includes(Buffer.from(about)))
        found.push(m.data);
    }
    return found;
  } finally {
    await nc.close();
  }
}

/** Volunteer end to end: the registry, and delivery tasks from an accepted match to a fulfilled request. */
describe('volunteers deliver accepted matches', () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  const services: ServiceProcess[] = [];
  let intake: ReturnType<typeof intakeClient>;
  let verification: ReturnType<typeof verificationClient>;
  let inventory: ReturnType<typeof createClient<InventoryServiceClient>>;
  let matching: ReturnType<typeof createClient<MatchingServiceClient>>;
  let volunteer: ReturnType<typeof createClient<VolunteerServiceClient>>;
  let volunteer2: ReturnType<typeof createClient<VolunteerServiceClient>>;

  // Six processes start on a machine shared with other suites: give each more than the default 30 s.
  const slowStart = { startTimeoutMs: 90_000 };
  beforeAll(async () => {
    nats = await startNatsServer();
    const env = { NATS_URL: nats.url };
    // All six start at once: the callers get their callees' addresses up front (they call them later).
    const intakeAddress = `127.0.0.1:${await freePort()}`;
    const inventoryAddress = `127.0.0.1:${await freePort()}`;
    // Two volunteer replicas on one database: their consumers share the durable and both sweep, so every
    // offer, time-out and re-offer below is raced by two processes.
    const replica = {
      ...env,
      INTAKE_ADDRESS: intakeAddress,
      OFFER_TTL_MS: String(OFFER_TTL_MS),
      SWEEP_INTERVAL_MS: '500',
      MONGO_DATABASE: `test_volunteer_${process.pid}`,
    };
    const [i, v, inv, m, vol, vol2] = await Promise.all([
      spawnService('intake', { ...env, GRPC_ADDRESS: intakeAddress }, slowStart),
      spawnService('verification', env, slowStart),
      spawnService('inventory', { ...env, GRPC_ADDRESS: inventoryAddress }, slowStart),
      spawnService('matching', { ...env, INVENTORY_ADDRESS: inventoryAddress }, slowStart),
      spawnService('volunteer', replica, slowStart),
      spawnService('volunteer', replica, slowStart),
    ]);
    services.push(i, v, inv, m, vol, vol2);
    volunteer2 = createClient(VolunteerServiceClient, vol2.address, { deadlineMs: 20_000 });
    intake = intakeClient(i.address);
    verification = verificationClient(v.address);
    inventory = createClient(InventoryServiceClient, inv.address, { deadlineMs: 10_000 });
    matching = createClient(MatchingServiceClient, m.address, { deadlineMs: 20_000 });
    volunteer = createClient(VolunteerServiceClient, vol.address, { deadlineMs: 20_000 });
  }, 200_000);

  afterAll(async () => {
    for (const c of [intake, verification, inventory, matching, volunteer, volunteer2]) c?.close();
    await Promise.all(services.map((s) => s.stop()));
    await nats?.stop();
  });

  let keys = 0;
  const key = () => `vol-e2e-${process.pid}-${++keys}`;
  const now = Date.now();
  const availableNow = [{ start: new Date(now - 3600_000), end: new Date(now + 3 * 3600_000) }];

  /** A driver with a van, available now, serving `districts`. */
  const driver = (user: string, districts: string[], over: Partial<RegisterVolunteerRequest> = {}) =>
    volunteer.registerVolunteer(
      RegisterVolunteerRequest.fromPartial({
        idempotencyKey: key(),
        contact: { name: `司机${user}`, phone: '13700001111' },
        skills: [Skill.SKILL_DRIVER, Skill.SKILL_LOADER],
        vehicle: { type: VehicleType.VEHICLE_TYPE_VAN, capacityKg: 800, hasTravelPass: true },
        districts,
        availability: availableNow,
        ...over,
      }),
      { token: volunteerToken(user) },
    );

  /**
   * Stock in the drop-off's district, a verified request for all of it, the donor's acceptance: the accepted
   * proposal, for which volunteer creates a delivery task.
   */
  async function acceptedMatch(
    donor: string,
    category: ItemCategory,
    unit: string,
    location: Location,
  ): Promise<MatchProposal> {
    await inventory.registerOffer(
      offerRequest([{ category, quantity: { amount: 20, unit } }], {
        donorOrganisationId: donor,
        pickupLocation: {
          district: location.district,
          community: '仓库',
          address: '仓库1号',
          coordinates: undefined,
        },
      }),
      { token: supplierToken(donor) },
    );
    const { helpRequest: hr } = await intake.createHelpRequest(
      helpRequest({
        location,
        needs: [{ needId: '', category, itemName: 'needed', quantity: { amount: 20, unit }, note: '' }],
      }),
      { token: partnerToken },
    );
    await verifyRequest(verification, hr!.id);
    const proposal = await eventually(
      async () =>
        (
          await matching.listProposals(
            { statuses: [], supplierOrganisationId: '', helpRequestId: hr!.id },
            { token: operatorToken },
          )
        ).proposals[0],
      30_000,
      'a proposal',
    );
    const { proposal: accepted } = await matching.acceptProposal(
      { id: proposal.id, note: '' },
      { token: supplierToken(donor) },
    );
    return accepted!;
  }

  const asOperator = (id: string) =>
    volunteer.getDeliveryTask({ id }, { token: operatorToken }).then((r) => r.task!);
  const taskWhen = (id: string, what: string, ok: (t: DeliveryTask) => boolean) =>
    eventually(
      async () => {
        const t = await asOperator(id);
        return ok(t) ? t : undefined;
      },
      20_000,
      what,
    );

  /**
   * The caller's own record once `ok` holds. Active tasks are counted in the live tasks' read model and
   * hours added by a consumer of the hours recorded, both a moment behind the task's change, so awaited.
   */
  const meWhen = (user: string, what: string, ok: (v: Volunteer) => boolean) =>
    eventually(
      async () => {
        const v = (await volunteer.getVolunteer({ id: 'me' }, { token: volunteerToken(user) })).volunteer;
        return v && ok(v) ? v : undefined;
      },
      20_000,
      what,
    );

  it('registers organisations, groups and volunteers with validation, uniqueness and roles', async () => {
    const org = {
      idempotencyKey: key(),
      name: '鄠邑志愿车队',
      type: OrganisationType.ORGANISATION_TYPE_VOLUNTEER_TEAM,
      contacts: [{ name: '赵队长', phone: '13900002222' }],
      districts: ['huyi'],
      description: '',
    };
    const { organisation: team } = await volunteer.registerOrganisation(org, { token: operatorToken });
    expect(team).toMatchObject({ name: '鄠邑志愿车队', districts: ['huyi'] });
    expect((await volunteer.registerOrganisation(org, { token: operatorToken })).replayed).toBe(true);
    expect(
      await codeOf(
        volunteer.registerOrganisation(
          { ...org, idempotencyKey: key(), name: ' 鄠邑志愿车队 ' },
          { token: operatorToken },
        ),
      ),
    ).toBe(status.ALREADY_EXISTS);
    expect(
      await codeOf(
        volunteer.registerOrganisation(
          { ...org, idempotencyKey: key(), name: 'x', type: 0 },
          { token: operatorToken },
        ),
      ),
    ).toBe(status.INVALID_ARGUMENT);
    expect(
      await codeOf(
        volunteer.registerOrganisation(
          { ...org, idempotencyKey: key(), name: 'y', districts: ['pudong'] },
          { token: operatorToken },
        ),
      ),
    ).toBe(status.INVALID_ARGUMENT);
    expect(
      await codeOf(
        volunteer.registerOrganisation({ ...org, idempotencyKey: key(), name: 'z' }, { token: partnerToken }),
      ),
    ).toBe(status.PERMISSION_DENIED);
    // Five concurrent registrations of one name: exactly one wins.
    const racing = await Promise.all(
      [1, 2, 3, 4, 5].map(() =>
        codeOf(
          volunteer.registerOrganisation(
            { ...org, idempotencyKey: key(), name: '西安市慈善会', districts: ['yanta'] },
            { token: operatorToken },
          ),
        ),
      ),
    );
    expect(racing.filter((c) => c === 'resolved')).toHaveLength(1);
    expect(racing.filter((c) => c === status.ALREADY_EXISTS)).toHaveLength(4);
    // Lists read the registry's read models, a moment behind the registration.
    const listed = await eventually(
      async () => {
        const { organisations } = await volunteer.listOrganisations(
          { type: 0, district: 'huyi', functionalGroupId: '' },
          { token: partnerToken },
        );
        return organisations.length > 0 ? organisations : undefined;
      },
      10_000,
      'the organisation listed',
    );
    expect(listed).toEqual([
      expect.objectContaining({ id: team!.id, contacts: [{ name: '赵队长', phone: '' }] }),
    ]);

    const group = {
      idempotencyKey: key(),
      name: '物资配送组',
      purpose: 'logistics',
      leadOrganisationIds: [team!.id],
      memberOrganisationIds: [],
    };
    expect(
      (await volunteer.createFunctionalGroup(group, { token: operatorToken })).functionalGroup
        ?.leadOrganisationIds,
    ).toEqual([team!.id]);
    expect(
      await codeOf(
        volunteer.createFunctionalGroup({ ...group, idempotencyKey: key() }, { token: operatorToken }),
      ),
    ).toBe(status.ALREADY_EXISTS);
    const groups = await eventually(
      async () => {
        const { functionalGroups } = await volunteer.listFunctionalGroups(
          { organisationId: team!.id },
          { token: partnerToken },
        );
        return functionalGroups.length > 0 ? functionalGroups : undefined;
      },
      10_000,
      'the group listed',
    );
    expect(groups.map((g) => g.name)).toEqual(['物资配送组']);
    const members = await volunteer.listOrganisations(
      { type: 0, district: '', functionalGroupId: groups[0]!.id },
      { token: partnerToken },
    );
    expect(members.organisations.map((o) => o.id)).toEqual([team!.id]);
    expect(
      await codeOf(
        volunteer.createFunctionalGroup(
          { ...group, idempotencyKey: key(), name: 'g2', leadOrganisationIds: [] },
          { token: operatorToken },
        ),
      ),
    ).toBe(status.INVALID_ARGUMENT);
    expect(
      await codeOf(
        volunteer.createFunctionalGroup(
          { ...group, idempotencyKey: key(), name: 'g3', leadOrganisationIds: ['org-nope'] },
          { token: operatorToken },
        ),
      ),
    ).toBe(status.NOT_FOUND);

    // Volunteers: a driver needs a vehicle; an affiliation must exist; a user registers once, however the calls race.
    expect(await codeOf(driver('reg-1', ['huyi'], { vehicle: undefined }))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(driver('reg-1', ['nowhere']))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(driver('reg-1', ['huyi'], { affiliationOrganisationId: 'org-nope' }))).toBe(
      status.NOT_FOUND,
    );
    const unavailable = { availability: [] };
    const race = await Promise.all([1, 2, 3, 4].map(() => codeOf(driver('reg-1', ['zhouzhi'], unavailable))));
    expect(race.filter((c) => c === 'resolved')).toHaveLength(1);
    expect(race.filter((c) => c === status.ALREADY_EXISTS)).toHaveLength(3);
    const viaVolunteerForOther = RegisterVolunteerRequest.fromPartial({
      idempotencyKey: key(),
      userId: 'someone-else',
      contact: { name: 'x', phone: '13700001111' },
      skills: [Skill.SKILL_LOADER],
      districts: ['zhouzhi'],
    });
    expect(
      await codeOf(volunteer.registerVolunteer(viaVolunteerForOther, { token: volunteerToken('reg-1') })),
    ).toBe(status.PERMISSION_DENIED);

    // A partner registers a member of its own organisation and sees its members, phones redacted.
    const teamPartner = token('team-lead', team!.id, 'partner');
    const member = {
      ...viaVolunteerForOther,
      idempotencyKey: key(),
      userId: 'member-1',
      affiliationOrganisationId: team!.id,
    };
    expect(await codeOf(volunteer.registerVolunteer(member, { token: partnerToken }))).toBe(
      status.PERMISSION_DENIED,
    );
    const { volunteer: m1 } = await volunteer.registerVolunteer(member, { token: teamPartner });
    expect(m1).toMatchObject({ userId: 'member-1', personalDataRedacted: true, contact: { phone: '' } });
    const volunteers = await eventually(
      async () => {
        const listed = await volunteer.listVolunteers(
          { skill: 0, district: '', affiliationOrganisationId: '', availableOnly: false },
          { token: teamPartner },
        );
        return listed.volunteers.length > 0 ? listed.volunteers : undefined;
      },
      10_000,
      'the member listed',
    );
    expect(volunteers.map((v) => v.userId)).toEqual(['member-1']);
    expect(
      await codeOf(
        volunteer.listVolunteers(
          { skill: 0, district: '', affiliationOrganisationId: '', availableOnly: false },
          { token: volunteerToken('reg-1') },
        ),
      ),
    ).toBe(status.PERMISSION_DENIED);
    const mine = (
      await volunteer.getVolunteer({ id: 'me' }, { token: token('member-1', team!.id, 'volunteer') })
    ).volunteer;
    expect(mine).toMatchObject({
      id: m1!.id,
      contact: { phone: '13700001111' },
      personalDataRedacted: false,
    });
    expect(await codeOf(volunteer.getVolunteer({ id: m1!.id }, { token: volunteerToken('reg-1') }))).toBe(
      status.PERMISSION_DENIED,
    );
    expect(
      await codeOf(
        volunteer.setAvailability(
          { volunteerId: 'me', windows: [{ start: new Date(now), end: new Date(now - 1000) }] },
          { token: volunteerToken('reg-1') },
        ),
      ),
    ).toBe(status.INVALID_ARGUMENT);
  });

  it('offers a task, re-offers on decline, and follows it to delivery: the match and the request are fulfilled', async () => {
    const [a, b] = await Promise.all([driver('huyi-a', ['huyi']), driver('huyi-b', ['huyi'])]);
    const byId = new Map([
      [a.volunteer!.id, 'huyi-a'],
      [b.volunteer!.id, 'huyi-b'],
    ]);
    const huyi = {
      district: 'huyi',
      community: '龙窝村',
      address: '7号院',
      coordinates: { latitude: 34.1086, longitude: 108.6051 },
    };
    const proposal = await acceptedMatch(
      'org-donor-huyi',
      ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
      'box',
      huyi,
    );
    const id = `dt-${proposal.id}`;

    const first = await taskWhen(
      id,
      'the first offer',
      (t) => t.status === DeliveryTaskStatus.DELIVERY_TASK_STATUS_OFFERED,
    );
    expect(first).toMatchObject({
      requiredSkill: Skill.SKILL_DRIVER,
      weightKg: 200,
      offerCount: 1,
      recipient: { name: '王秀兰' },
    });
    const firstUser = byId.get(first.offeredToVolunteerId)!;
    const secondUser = firstUser === 'huyi-a' ? 'huyi-b' : 'huyi-a';
    // Offered, not yet accepted: the volunteer sees the task without the requester's data; the other not at all.
    const offered = (await volunteer.getDeliveryTask({ id }, { token: volunteerToken(firstUser) })).task!;
    expect(offered).toMatchObject({
      personalDataRedacted: true,
      recipient: undefined,
      dropoffLocation: { district: 'huyi', address: '' },
    });
    expect(await codeOf(volunteer.getDeliveryTask({ id }, { token: volunteerToken(secondUser) }))).toBe(
      status.NOT_FOUND,
    );
    expect(await codeOf(volunteer.acceptTask({ taskId: id }, { token: volunteerToken(secondUser) }))).toBe(
      status.NOT_FOUND,
    );

    const declined = (
      await volunteer2.declineTask({ taskId: id, reason: 'no fuel' }, { token: volunteerToken(firstUser) })
    ).task!;
    expect(declined.offeredToVolunteerId).not.toBe(first.offeredToVolunteerId);
    const second = await taskWhen(id, 'the second offer', (t) => t.offerCount === 2);
    expect(second).toMatchObject({
      status: DeliveryTaskStatus.DELIVERY_TASK_STATUS_OFFERED,
      offeredToVolunteerId: [...byId.keys()].find((v) => byId.get(v) === secondUser),
      declinedVolunteerIds: [first.offeredToVolunteerId],
    });
    expect(await codeOf(volunteer.getDeliveryTask({ id }, { token: volunteerToken(firstUser) }))).toBe(
      status.NOT_FOUND,
    );
    // Lists read the tasks' read model, a moment behind the task.
    const listed = await eventually(
      async () => {
        const { tasks } = await volunteer.listDeliveryTasks(
          { statuses: [], volunteerId: 'me', district: '', helpRequestId: '' },
          { token: volunteerToken(secondUser) },
        );
        return tasks.length > 0 ? tasks : undefined;
      },
      10_000,
      'the offered task listed',
    );
    expect(listed.map((t) => t.id)).toEqual([id]);

    const holder = volunteerToken(secondUser);
    const accepted = (await volunteer.acceptTask({ taskId: id }, { token: holder })).task!;
    expect(accepted).toMatchObject({
      status: DeliveryTaskStatus.DELIVERY_TASK_STATUS_ACCEPTED,
      personalDataRedacted: false,
      recipient: { name: '王秀兰' },
      dropoffLocation: { address: '7号院' },
    });
    expect(accepted.recipient?.phone).toMatch(/^139\d{8}$/);
    expect((await volunteer.acceptTask({ taskId: id }, { token: holder })).task?.version).toBe(
      accepted.version,
    );
    // Each offer was made once, though two replicas raced to make it.
    expect(
      await eventsOf(nats.url, 'NUANYANG_VOLUNTEER', 'nuanyang.volunteer.task.offered', id),
    ).toHaveLength(2);
    // Supplier and partner see the task, without the requester's data; the declined volunteer does not see it.
    for (const t of [supplierToken('org-donor-huyi'), partnerToken]) {
      expect((await volunteer.getDeliveryTask({ id }, { token: t })).task?.personalDataRedacted).toBe(true);
    }
    expect(await codeOf(volunteer.getDeliveryTask({ id }, { token: supplierToken('org-other-donor') }))).toBe(
      status.NOT_FOUND,
    );
    await meWhen(secondUser, 'one active task', (v) => v.activeTasks === 1);

    // Illegal moves.
    const update = (u: Parameters<typeof volunteer.updateTaskStatus>[0]['update'], k = key(), t = holder) =>
      volunteer.updateTaskStatus({ taskId: id, idempotencyKey: k, update: u }, { token: t });
    expect(await codeOf(update({ $case: 'delivered', value: { proofNote: 'left at door' } }))).toBe(
      status.FAILED_PRECONDITION,
    );
    expect(await codeOf(volunteer.declineTask({ taskId: id, reason: '' }, { token: holder }))).toBe(
      status.FAILED_PRECONDITION,
    );
    expect(
      await codeOf(update({ $case: 'pickedUp', value: { note: '' } }, key(), volunteerToken(firstUser))),
    ).toBe(status.NOT_FOUND);

    expect((await update({ $case: 'pickedUp', value: { note: 'loaded' } })).task?.status).toBe(
      DeliveryTaskStatus.DELIVERY_TASK_STATUS_PICKED_UP,
    );
    expect(await codeOf(update({ $case: 'delivered', value: { proofNote: ' ' } }))).toBe(
      status.INVALID_ARGUMENT,
    );
    const deliveryKey = key();
    const delivered = await update(
      { $case: 'delivered', value: { proofNote: '王秀兰本人签收' } },
      deliveryKey,
    );
    expect(delivered).toMatchObject({
      replayed: false,
      task: {
        status: DeliveryTaskStatus.DELIVERY_TASK_STATUS_DELIVERED,
        proofNote: '王秀兰本人签收',
        personalDataRedacted: true,
      },
    });
    // A retry from a phone with a bad connection: the first result, nothing recorded twice.
    expect(
      (await update({ $case: 'delivered', value: { proofNote: '王秀兰本人签收' } }, deliveryKey)).replayed,
    ).toBe(true);
    expect(await codeOf(update({ $case: 'failed', value: { reason: 'x' } }, key(), operatorToken))).toBe(
      status.FAILED_PRECONDITION,
    );
    expect(await codeOf(volunteer.acceptTask({ taskId: id }, { token: holder }))).toBe(
      status.FAILED_PRECONDITION,
    );
    expect((await asOperator(id)).recipient?.name).toBe('王秀兰');

    const me = await meWhen(
      secondUser,
      'no active task, hours recorded',
      (v) => v.activeTasks === 0 && v.hoursTotal > 0,
    );

    // Matching marks the proposal fulfilled; intake follows to FULFILLED.
    const fulfilled = await eventually(
      async () => {
        const p = (await matching.getProposal({ id: proposal.id }, { token: operatorToken })).proposal;
        return p?.status === ProposalStatus.PROPOSAL_STATUS_FULFILLED ? p : undefined;
      },
      20_000,
      'the proposal to be fulfilled',
    );
    expect(fulfilled.fulfilledAt).toBeDefined();
    await eventually(
      async () => {
        const r = (await intake.getHelpRequest({ id: proposal.helpRequestId }, { token: operatorToken }))
          .helpRequest;
        return r?.status === HelpRequestStatus.HELP_REQUEST_STATUS_FULFILLED ? r : undefined;
      },
      20_000,
      'the help request to be fulfilled',
    );

    // The accepted and delivered events delivered again: no second task, no second fulfilment, hours once.
    await redeliver(nats.url, 'NUANYANG_MATCHING', 'nuanyang.matching.proposal.accepted', proposal.id);
    await redeliver(nats.url, 'NUANYANG_VOLUNTEER', 'nuanyang.volunteer.task.delivered', id);
    await drained(nats.url, [
      ['NUANYANG_MATCHING', 'volunteer-accepted'],
      ['NUANYANG_VOLUNTEER', 'matching-delivered'],
      // A projector's durable carries its database's name (see Projection).
      ['NUANYANG_VOLUNTEER', `volunteer-delivery-task-projector-test_volunteer_${process.pid}`],
    ]);
    const all = await volunteer.listDeliveryTasks(
      { statuses: [], volunteerId: '', district: '', helpRequestId: proposal.helpRequestId },
      { token: operatorToken },
    );
    expect(all.tasks).toHaveLength(0); // delivered is final: not in the default (open) list
    const withFinal = await volunteer.listDeliveryTasks(
      {
        statuses: [
          DeliveryTaskStatus.DELIVERY_TASK_STATUS_DELIVERED,
          DeliveryTaskStatus.DELIVERY_TASK_STATUS_PENDING,
        ],
        volunteerId: '',
        district: '',
        helpRequestId: proposal.helpRequestId,
      },
      { token: operatorToken },
    );
    expect(withFinal.tasks.map((t) => t.id)).toEqual([id]);
    expect(
      await eventsOf(nats.url, 'NUANYANG_MATCHING', 'nuanyang.matching.proposal.fulfilled', proposal.id),
    ).toHaveLength(1);
    const hours = await eventsOf(nats.url, 'NUANYANG_VOLUNTEER', 'nuanyang.volunteer.hours.recorded', id);
    expect(hours).toHaveLength(1);
    await redeliver(nats.url, 'NUANYANG_VOLUNTEER', 'nuanyang.volunteer.hours.recorded', id);
    await drained(nats.url, [['NUANYANG_VOLUNTEER', 'volunteer-hours']]);
    expect(
      (await volunteer.getVolunteer({ id: 'me' }, { token: volunteerToken(secondUser) })).volunteer
        ?.hoursTotal,
    ).toBe(me.hoursTotal);
    expect(VolunteerHoursRecorded.decode(hours[0]!)).toMatchObject({
      volunteerId: me.id,
      taskId: id,
      skill: Skill.SKILL_DRIVER,
      district: 'huyi',
    });
    // Task events carry no personal data.
    const events = await eventsOf(nats.url, 'NUANYANG_VOLUNTEER', 'nuanyang.volunteer.task.accepted', id);
    expect(Buffer.from(events[0]!).includes(Buffer.from('7号院'))).toBe(false);
  });

  it('offers a task to the next volunteer when an offer times out', async () => {
    await Promise.all([driver('lintong-a', ['lintong']), driver('lintong-b', ['lintong'])]);
    const lintong = {
      district: 'lintong',
      community: '骊山',
      address: '9号',
      coordinates: { latitude: 34.3672, longitude: 109.2141 },
    };
    const proposal = await acceptedMatch(
      'org-donor-lintong',
      ItemCategory.ITEM_CATEGORY_DRINKING_WATER,
      'bottle',
      lintong,
    );
    const id = `dt-${proposal.id}`;
    const first = await taskWhen(
      id,
      'the first offer',
      (t) => t.status === DeliveryTaskStatus.DELIVERY_TASK_STATUS_OFFERED,
    );
    expect(first).toMatchObject({ weightKg: 30, requiredSkill: Skill.SKILL_DRIVER });
    // Nobody answers: after the offer's ttl the sweeper offers it to the other volunteer.
    const second = await taskWhen(id, 'the offer to time out', (t) => t.offerCount === 2);
    expect(second).toMatchObject({
      status: DeliveryTaskStatus.DELIVERY_TASK_STATUS_OFFERED,
      declinedVolunteerIds: [first.offeredToVolunteerId],
    });
    expect(second.offeredToVolunteerId).not.toBe(first.offeredToVolunteerId);
    const timedOut = (
      await eventsOf(nats.url, 'NUANYANG_VOLUNTEER', 'nuanyang.volunteer.task.timed_out', id)
    ).map((d) => DeliveryTaskTimedOut.decode(d));
    expect(timedOut).toEqual([
      expect.objectContaining({
        volunteerId: first.offeredToVolunteerId,
        timedOutIn: DeliveryTaskStatus.DELIVERY_TASK_STATUS_OFFERED,
        task: expect.objectContaining({ personalDataRedacted: true, recipient: undefined }),
      }),
    ]);
    // Both let it lapse: it waits PENDING until someone suitable is available; a new volunteer gets it.
    await taskWhen(
      id,
      'the task to wait',
      (t) => t.status === DeliveryTaskStatus.DELIVERY_TASK_STATUS_PENDING,
    );
    const { volunteer: late } = await driver('lintong-c', ['lintong']);
    await taskWhen(id, 'the offer to the new volunteer', (t) => t.offeredToVolunteerId === late!.id);
    const count = async (subject: string) =>
      (await eventsOf(nats.url, 'NUANYANG_VOLUNTEER', subject, id)).length;
    expect(await count('nuanyang.volunteer.task.offered')).toBe(3);
    expect(await count('nuanyang.volunteer.task.timed_out')).toBe(2);
    // The request is cancelled: its open task is cancelled too, and the volunteer's load goes back to 0.
    await intake.cancelHelpRequest(
      { id: proposal.helpRequestId, reason: 'family brought water' },
      { token: partnerToken },
    );
    await taskWhen(
      id,
      'the task to be cancelled',
      (t) => t.status === DeliveryTaskStatus.DELIVERY_TASK_STATUS_CANCELLED,
    );
    await meWhen('lintong-c', 'no active task', (v) => v.activeTasks === 0);
    expect(await codeOf(volunteer.acceptTask({ taskId: id }, { token: volunteerToken('lintong-c') }))).toBe(
      status.NOT_FOUND,
    );
  });
});
