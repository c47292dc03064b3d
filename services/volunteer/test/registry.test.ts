import {
  OrganisationType,
  RegisterVolunteerRequest,
  Skill,
  VehicleType,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import {
  groupViolations,
  normaliseName,
  organisationIdOf,
  organisationViolations,
  viewVolunteer,
  volunteerIdOf,
  volunteerViolations,
  windowViolations,
} from '../src/domain/registry';

const fields = (v: { field: string }[]) => v.map((x) => x.field);

describe('names and ids', () => {
  it('treats case, width and spacing differences as one name', () => {
    expect(normaliseName('  Red   Cross ')).toBe('red cross');
    expect(organisationIdOf('Ｒｅｄ Cross')).toBe(organisationIdOf('red  cross'));
    expect(organisationIdOf('暖阳基金会')).not.toBe(organisationIdOf('暖阳协会'));
    expect(volunteerIdOf('u1')).toBe(volunteerIdOf('u1'));
    expect(volunteerIdOf('u1')).not.toBe(volunteerIdOf('u2'));
  });
});

describe('organisation and group validation', () => {
  const org = {
    idempotencyKey: 'k',
    name: '西安市慈善会',
    type: OrganisationType.ORGANISATION_TYPE_FOUNDATION,
    contacts: [],
    districts: ['yanta'],
    description: '',
  };
  it.each<[string, object, string[]]>([
    ['valid', {}, []],
    ['no name', { name: ' ' }, ['name']],
    ['no type', { type: 0 }, ['type']],
    ['unknown district', { districts: ['pudong'] }, ['districts[0]']],
    ['contact without phone', { contacts: [{ name: 'x', phone: '' }] }, ['contacts[0].phone']],
    ['bad key', { idempotencyKey: '' }, ['idempotency_key']],
  ])('%s', (_what, over, expected) => {
    expect(fields(organisationViolations({ ...org, ...over }))).toEqual(expected);
  });

  it.each<[string[], string[]]>([
    [['a'], []],
    [['a', 'b'], []],
    [[], ['lead_organisation_ids']],
    [['a', 'b', 'c'], ['lead_organisation_ids']],
    [['a', 'a'], ['lead_organisation_ids']],
  ])('leads %j', (leads, expected) => {
    const req = {
      idempotencyKey: 'k',
      name: 'logistics',
      purpose: '',
      leadOrganisationIds: leads,
      memberOrganisationIds: [],
    };
    expect(fields(groupViolations(req))).toEqual(expected);
  });
});

describe('volunteer validation', () => {
  const base = RegisterVolunteerRequest.fromPartial({
    idempotencyKey: 'k',
    contact: { name: '张师傅', phone: '13800138000' },
    skills: [Skill.SKILL_DRIVER],
    vehicle: { type: VehicleType.VEHICLE_TYPE_VAN, capacityKg: 800 },
    districts: ['huyi'],
    availability: [{ start: new Date('2026-01-01T08:00:00Z'), end: new Date('2026-01-01T20:00:00Z') }],
  });
  it.each<[string, Partial<RegisterVolunteerRequest>, string[]]>([
    ['valid', {}, []],
    ['driver without vehicle', { vehicle: undefined }, ['vehicle']],
    [
      'vehicle without capacity',
      { vehicle: { type: VehicleType.VEHICLE_TYPE_CAR, capacityKg: 0, hasTravelPass: false } },
      ['vehicle.capacity_kg'],
    ],
    ['loader needs no vehicle', { skills: [Skill.SKILL_LOADER], vehicle: undefined }, []],
    ['no skills', { skills: [] }, ['skills']],
    ['unknown skill', { skills: [42 as Skill] }, ['skills[0]']],
    ['no districts', { districts: [] }, ['districts']],
    ['unknown district', { districts: ['huyi', 'nowhere'] }, ['districts[1]']],
    ['bad phone', { contact: { name: 'x', phone: '123' } }, ['contact.phone']],
    ['no name', { contact: { name: '', phone: '13800138000' } }, ['contact.name']],
    [
      'window ending before it starts',
      { availability: [{ start: new Date('2026-01-02T00:00:00Z'), end: new Date('2026-01-01T00:00:00Z') }] },
      ['availability[0].end'],
    ],
  ])('%s', (_what, over, expected) => {
    expect(fields(volunteerViolations({ ...base, ...over }))).toEqual(expected);
  });

  it('requires both ends of a window', () => {
    expect(fields(windowViolations([{ start: undefined, end: undefined }], 'windows'))).toEqual([
      'windows[0].start',
      'windows[0].end',
    ]);
  });

  it('shows the phone only when allowed', () => {
    const v = {
      id: 'vol-1',
      version: 1,
      userId: 'u',
      contact: { name: 'a', phone: '13800138000' },
      affiliationOrganisationId: '',
      skills: [],
      vehicle: undefined,
      districts: [],
      availability: [],
      activeTasks: 0,
      hoursTotal: 0,
      registeredAt: undefined,
      personalDataRedacted: false,
    };
    expect(viewVolunteer(v, true).contact?.phone).toBe('13800138000');
    expect(viewVolunteer(v, false)).toMatchObject({
      contact: { name: 'a', phone: '' },
      personalDataRedacted: true,
    });
  });
});
