import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { type MatchProposal, ProposalStatus } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import {
  DeliveryTaskStatus as S,
  Skill,
  VehicleType,
  type Volunteer,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import {
  accept,
  byUrgencyThenAge,
  type Candidate,
  cancel,
  decline,
  estimateWeightKg,
  newTask,
  offer,
  pickVolunteer,
  progress,
  redactTask,
  type TaskState,
  timeOut,
  viewTask,
} from '../src/domain/tasks';

const T0 = new Date('2026-01-05T18:10:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function proposal(amount: number, unit = 'box', over: Partial<MatchProposal> = {}): MatchProposal {
  return {
    id: 'mp-hr1-0000abcd',
    version: 2,
    helpRequestId: 'hr1',
    needId: 'hr1-n1',
    category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
    needItemName: '方便面',
    requested: { amount, unit },
    supplierOrganisationId: 'org-donor',
    lines: [
      {
        lotId: 'lot-1',
        quantity: amount,
        unit,
        itemName: '方便面',
        unitValue: { currencyCode: 'CNY', minorUnits: 2500 },
        expiresAt: undefined,
        pickupLocation: { district: 'yanta', community: '小寨', address: '仓库1号', coordinates: undefined },
      },
    ],
    proposedQuantity: amount,
    remainingQuantity: 0,
    reservationId: 'mp-hr1-0000abcd',
    status: ProposalStatus.PROPOSAL_STATUS_ACCEPTED,
    origin: 1,
    urgency: Urgency.URGENCY_HIGH,
    dropoffLocation: { district: 'huyi', community: '龙窝村', address: '', coordinates: undefined },
    distanceKm: 0,
    score: 0,
    proposedBy: 'matching',
    decidedBy: 'supplier',
    statusReason: '',
    note: '',
    createdAt: T0,
    decideBy: undefined,
    decidedAt: T0,
    fulfilledAt: undefined,
    ...over,
  };
}

const recipient = {
  name: '王秀兰',
  phone: '13912345678',
  location: {
    district: 'huyi',
    community: '龙窝村',
    address: '3号院',
    coordinates: { latitude: 34.1086, longitude: 108.6051 },
  },
  submittingOrganisationId: 'org-hub',
};

const task = (amount = 40, unit = 'box') => newTask(proposal(amount, unit), recipient, undefined, T0);

function volunteer(id: string, over: Partial<Volunteer> = {}): Volunteer {
  return {
    id,
    version: 1,
    userId: `user-${id}`,
    contact: { name: id, phone: '13800000000' },
    affiliationOrganisationId: '',
    skills: [Skill.SKILL_DRIVER],
    vehicle: { type: VehicleType.VEHICLE_TYPE_VAN, capacityKg: 800, hasTravelPass: true },
    districts: ['huyi'],
    availability: [{ start: at(-60), end: at(600) }],
    activeTasks: 0,
    hoursTotal: 0,
    registeredAt: T0,
    personalDataRedacted: false,
    ...over,
  };
}
const cand = (v: Volunteer, activeTasks = 0): Candidate => ({ volunteer: v, activeTasks });

describe('a new task', () => {
  it('estimates weight from units and asks for a driver above what one person carries', () => {
    expect(task(40, 'box').task).toMatchObject({
      id: 'dt-mp-hr1-0000abcd',
      status: S.DELIVERY_TASK_STATUS_PENDING,
      weightKg: 400,
      requiredSkill: Skill.SKILL_DRIVER,
      recipient: { name: '王秀兰', phone: '13912345678' },
      pickupLocation: { district: 'yanta' },
    });
    expect(task(3, 'bottle').task).toMatchObject({ weightKg: 5, requiredSkill: Skill.SKILL_LOADER });
    expect(task(10, 'KG').task.weightKg).toBe(10);
    expect(task(10, 'kg').task.requiredSkill).toBe(Skill.SKILL_LOADER);
    expect(task(11, 'unknown-unit').task.requiredSkill).toBe(Skill.SKILL_DRIVER);
    expect(estimateWeightKg([])).toBe(0);
  });
});

describe('pickVolunteer', () => {
  const t = task().task;
  it.each<[string, Candidate[], string | null]>([
    ['the only suitable one', [cand(volunteer('a'))], 'a'],
    ['nobody', [], null],
    ['not a driver', [cand(volunteer('a', { skills: [Skill.SKILL_LOADER], vehicle: undefined }))], null],
    [
      'vehicle too small',
      [
        cand(
          volunteer('a', {
            vehicle: { type: VehicleType.VEHICLE_TYPE_CAR, capacityKg: 200, hasTravelPass: true },
          }),
        ),
      ],
      null,
    ],
    ['no window now', [cand(volunteer('a', { availability: [{ start: at(60), end: at(120) }] }))], null],
    ['no windows at all', [cand(volunteer('a', { availability: [] }))], null],
    ['window ended', [cand(volunteer('a', { availability: [{ start: at(-120), end: at(0) }] }))], null],
    ['far away', [cand(volunteer('a', { districts: ['lintong'] }))], null],
    ['a district ~27 km away does not serve', [cand(volunteer('a', { districts: ['gaoxin'] }))], null],
    ['fewest active tasks first', [cand(volunteer('a'), 2), cand(volunteer('b'), 1)], 'b'],
    [
      'then the shortest distance',
      [cand(volunteer('a', { districts: ['zhouzhi', 'yanta'] })), cand(volunteer('b'))],
      'b',
    ],
    ['then the id', [cand(volunteer('b')), cand(volunteer('a'))], 'a'],
  ])('%s', (_what, candidates, expected) => {
    expect(pickVolunteer(t, candidates, T0)?.id ?? null).toBe(expected);
  });

  it('skips volunteers who declined or let the offer lapse', () => {
    const declined = { ...t, declinedVolunteerIds: ['a'] };
    expect(pickVolunteer(declined, [cand(volunteer('a')), cand(volunteer('b'), 5)], T0)?.id).toBe('b');
  });

  it('lets a loader or a driver carry a light load', () => {
    const light = task(2, 'kg').task;
    const loader = volunteer('l', { skills: [Skill.SKILL_LOADER], vehicle: undefined });
    const counsellor = volunteer('c', { skills: [Skill.SKILL_COUNSELLOR], vehicle: undefined });
    expect(pickVolunteer(light, [cand(loader)], T0)?.id).toBe('l');
    expect(pickVolunteer(light, [cand(counsellor)], T0)).toBeNull();
    expect(pickVolunteer(light, [cand(volunteer('d'))], T0)?.id).toBe('d');
  });

  it('serves a nearby district (centres within 15 km) but not a distant one', () => {
    const central = newTask(
      proposal(5),
      { ...recipient, location: { district: 'beilin', community: '', address: 'x', coordinates: undefined } },
      undefined,
      T0,
    ).task;
    expect(pickVolunteer(central, [cand(volunteer('a', { districts: ['lianhu'] }))], T0)?.id).toBe('a');
    expect(pickVolunteer(central, [cand(volunteer('a', { districts: ['zhouzhi'] }))], T0)).toBeNull();
  });
});

describe('task transitions', () => {
  const offered = (s: TaskState = task()) => offer(s, 'a', at(15), T0);

  it('offers, accepts (again: unchanged), picks up, delivers once with hours', () => {
    const o = offered();
    expect(o.task).toMatchObject({
      status: S.DELIVERY_TASK_STATUS_OFFERED,
      offeredToVolunteerId: 'a',
      offerCount: 1,
    });
    expect(o.holderId).toBe('a');
    const a = accept(o, 'a', at(240), at(5));
    expect(a?.task).toMatchObject({
      status: S.DELIVERY_TASK_STATUS_ACCEPTED,
      assignedVolunteerId: 'a',
      dueAt: at(240),
    });
    expect(accept(a as TaskState, 'a', at(300), at(6))).toBeNull();
    const p = progress(a as TaskState, { $case: 'pickedUp', value: { note: '' } }, at(35));
    expect(p.task.status).toBe(S.DELIVERY_TASK_STATUS_PICKED_UP);
    const d = progress(p, { $case: 'delivered', value: { proofNote: 'handed to Wang' } }, at(95));
    expect(d.task).toMatchObject({ status: S.DELIVERY_TASK_STATUS_DELIVERED, proofNote: 'handed to Wang' });
    expect(d.holderId).toBe('');
    expect(d.hours).toMatchObject({
      volunteerId: 'a',
      hours: 1.5,
      skill: Skill.SKILL_DRIVER,
      district: 'huyi',
    });
  });

  it.each<[string, (s: TaskState) => unknown]>([
    ['accept by another volunteer', (s) => accept(offered(s), 'b', at(240), at(1))],
    ['accept after the offer expired', (s) => accept(offered(s), 'a', at(240), at(15))],
    ['accept a pending task', (s) => accept(s, 'a', at(240), at(1))],
    ['decline by another volunteer', (s) => decline(offered(s), 'b', at(1))],
    ['offer an offered task', (s) => offer(offered(s), 'b', at(15), at(1))],
    [
      'deliver before pickup',
      (s) =>
        progress(
          accept(offered(s), 'a', at(240), at(1)) as TaskState,
          {
            $case: 'delivered',
            value: { proofNote: 'x' },
          },
          at(2),
        ),
    ],
    [
      'pick up an offered task',
      (s) => progress(offered(s), { $case: 'pickedUp', value: { note: '' } }, at(2)),
    ],
    ['fail a pending task', (s) => progress(s, { $case: 'failed', value: { reason: 'x' } }, at(2))],
  ])('refuses to %s (FAILED_PRECONDITION)', (_what, move) => {
    expect(() => move(task())).toThrow(expect.objectContaining({ code: 9 }));
  });

  it('declining puts the task back without that volunteer', () => {
    const d = decline(offered(), 'a', at(2));
    expect(d.task).toMatchObject({
      status: S.DELIVERY_TASK_STATUS_PENDING,
      offeredToVolunteerId: '',
      declinedVolunteerIds: ['a'],
    });
    expect(d.holderId).toBe('');
  });

  it('times out lapsed offers and overdue deliveries, nothing earlier', () => {
    const o = offered();
    expect(timeOut(o, at(14))).toBeNull();
    expect(timeOut(o, at(15))).toMatchObject({
      volunteerId: 'a',
      timedOutIn: S.DELIVERY_TASK_STATUS_OFFERED,
      next: { task: { status: S.DELIVERY_TASK_STATUS_PENDING, declinedVolunteerIds: ['a'] } },
    });
    const held = accept(o, 'a', at(240), at(1)) as TaskState;
    expect(timeOut(held, at(239))).toBeNull();
    expect(timeOut(held, at(241))).toMatchObject({
      volunteerId: 'a',
      timedOutIn: S.DELIVERY_TASK_STATUS_ACCEPTED,
      next: { task: { assignedVolunteerId: '', acceptedAt: undefined } },
    });
    expect(timeOut(task(), at(1000))).toBeNull();
  });

  it('records hours for a failure after acceptance too, and cancels only unfinished tasks', () => {
    const held = accept(offered(), 'a', at(240), at(0)) as TaskState;
    const f = progress(held, { $case: 'failed', value: { reason: 'road closed' } }, at(30));
    expect(f.task).toMatchObject({ status: S.DELIVERY_TASK_STATUS_FAILED, failureReason: 'road closed' });
    expect(f.hours?.hours).toBe(0.5);
    expect(cancel(f, at(40))).toBeNull();
    expect(cancel(offered(), at(1))?.task).toMatchObject({
      status: S.DELIVERY_TASK_STATUS_CANCELLED,
      offeredToVolunteerId: '',
    });
  });
});

describe('personal data on a task', () => {
  const o = offer(task(), 'a', at(15), T0);
  const held = accept(o, 'a', at(240), at(1)) as TaskState;
  const delivered = progress(
    progress(held, { $case: 'pickedUp', value: { note: '' } }, at(2)),
    { $case: 'delivered', value: { proofNote: 'ok' } },
    at(3),
  );
  it.each<[string, TaskState, { operator: boolean; volunteerId: string }, boolean]>([
    ['operator', o, { operator: true, volunteerId: '' }, true],
    ['volunteer offered, not yet accepted', o, { operator: false, volunteerId: 'a' }, false],
    ['volunteer holding it', held, { operator: false, volunteerId: 'a' }, true],
    ['another volunteer', held, { operator: false, volunteerId: 'b' }, false],
    ['the volunteer after delivery', delivered, { operator: false, volunteerId: 'a' }, false],
    ['a supplier or partner', held, { operator: false, volunteerId: '' }, false],
  ])('%s sees it: %s', (_who, s, viewer, sees) => {
    const v = viewTask(s.task, viewer);
    expect(v.personalDataRedacted).toBe(!sees);
    expect(v.recipient?.phone ?? '').toBe(sees ? '13912345678' : '');
    expect(v.dropoffLocation?.address).toBe(sees ? '3号院' : '');
    expect(v.dropoffLocation?.coordinates !== undefined).toBe(sees);
    expect(v.dropoffLocation?.district).toBe('huyi');
  });

  it('events carry no personal data', () => {
    expect(redactTask(held.task)).toMatchObject({ recipient: undefined, personalDataRedacted: true });
  });
});

it('orders tasks most urgent, then oldest first', () => {
  const mk = (id: string, urgency: Urgency, minutes: number) => ({
    ...task().task,
    id,
    urgency,
    createdAt: at(minutes),
  });
  const sorted = [
    mk('low-old', Urgency.URGENCY_LOW, 0),
    mk('crit-new', Urgency.URGENCY_CRITICAL, 10),
    mk('high-new', Urgency.URGENCY_HIGH, 10),
    mk('high-old', Urgency.URGENCY_HIGH, 5),
  ].sort(byUrgencyThenAge);
  expect(sorted.map((t) => t.id)).toEqual(['crit-new', 'high-old', 'high-new', 'low-old']);
});
