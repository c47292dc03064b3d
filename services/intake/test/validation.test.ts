import {
  type Contact,
  ItemCategory,
  type Location,
  Need,
  Urgency,
} from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  Channel,
  CreateHelpRequestRequest,
  VulnerableGroup,
} from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { validateCreate } from '../src/domain/validation';

type CreateInput = Partial<CreateHelpRequestRequest>;

const need = (overrides: Partial<Need> = {}) =>
  Need.fromPartial({
    category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
    itemName: '方便面',
    quantity: { amount: 20, unit: 'box' },
    ...overrides,
  });

const base = {
  idempotencyKey: 'req-2021-12-28-0001',
  requester: { name: '王阿姨', phone: '13912345678' },
  location: {
    district: 'yanta',
    community: '小寨社区',
    address: '长安中路 3号楼 2单元 501',
    coordinates: { latitude: 34.2135, longitude: 108.9487 },
  },
  needs: [need()],
  urgency: Urgency.URGENCY_HIGH,
  vulnerableGroups: [VulnerableGroup.VULNERABLE_GROUP_ELDERLY_LIVING_ALONE],
  peopleAffected: 2,
  channel: Channel.CHANNEL_HOTLINE,
  description: '独居老人，家中只剩一天的食物',
};

const request = (overrides: CreateInput = {}) =>
  CreateHelpRequestRequest.fromPartial({ ...base, ...overrides });
const requester = (overrides: Partial<Contact>): CreateInput => ({
  requester: { ...base.requester, ...overrides },
});
const location = (overrides: Partial<Location>): CreateInput => ({
  location: { ...base.location, ...overrides },
});
const fields = (req: CreateHelpRequestRequest) => validateCreate(req).map((v) => v.field);

describe('validateCreate', () => {
  it('accepts a valid request', () => {
    expect(validateCreate(request())).toEqual([]);
  });

  it.each<[string, CreateInput]>([
    ['without coordinates', location({ coordinates: undefined })],
    ['with a landline', requester({ phone: '029-88886666' })],
    ['with +86 and spaces in the phone', requester({ phone: '+86 139 1234 5678' })],
    ['with no vulnerable groups', { vulnerableGroups: [] }],
    ['with an empty description', { description: '' }],
    ['with a description at the limit', { description: '字'.repeat(2_000) }],
    ['with a name at the limit', requester({ name: '名'.repeat(50) })],
    ['with a community at the limit', location({ community: 'c'.repeat(100) })],
    ['with an address at the limit', location({ address: 'a'.repeat(200) })],
    ['with coordinates on the bounds', location({ coordinates: { latitude: -90, longitude: 180 } })],
    ['with 1 person affected', { peopleAffected: 1 }],
    ['with 10000 people affected', { peopleAffected: 10_000 }],
    ['with the largest quantity', { needs: [need({ quantity: { amount: 100_000, unit: 'bottle' } })] }],
    ['with 20 needs', { needs: Array.from({ length: 20 }, () => need()) }],
    ['with a 128-character key', { idempotencyKey: 'k'.repeat(128) }],
    ['with an 8-character key of every allowed kind', { idempotencyKey: 'aZ0_.:-9' }],
    ['with a service category', { needs: [need({ category: ItemCategory.ITEM_CATEGORY_MEDICAL_ESCORT })] }],
  ])('accepts a request %s', (_case, overrides) => {
    expect(validateCreate(request(overrides))).toEqual([]);
  });

  it.each<[string, CreateInput, string]>([
    ['a missing idempotency key', { idempotencyKey: '' }, 'idempotency_key'],
    ['a 7-character idempotency key', { idempotencyKey: 'abcdefg' }, 'idempotency_key'],
    ['a 129-character idempotency key', { idempotencyKey: 'k'.repeat(129) }, 'idempotency_key'],
    ['an idempotency key with a space', { idempotencyKey: 'key with space' }, 'idempotency_key'],
    ['an idempotency key with a slash', { idempotencyKey: 'org/key-0001' }, 'idempotency_key'],
    ['a missing requester', { requester: undefined }, 'requester'],
    ['a blank name', requester({ name: '   ' }), 'requester.name'],
    ['an empty name', requester({ name: '' }), 'requester.name'],
    ['a too long name', requester({ name: '名'.repeat(51) }), 'requester.name'],
    ['a missing phone', requester({ phone: '' }), 'requester.phone'],
    ['a bad phone', requester({ phone: '12345' }), 'requester.phone'],
    ['a mobile with 10 digits', requester({ phone: '1391234567' }), 'requester.phone'],
    ['a missing location', { location: undefined }, 'location'],
    ['an unknown district', location({ district: 'pudong' }), 'location.district'],
    ['an empty district', location({ district: '' }), 'location.district'],
    ['a district in the wrong case', location({ district: 'Yanta' }), 'location.district'],
    ['a blank community', location({ community: ' ' }), 'location.community'],
    ['a too long community', location({ community: 'c'.repeat(101) }), 'location.community'],
    ['a blank address', location({ address: '' }), 'location.address'],
    ['a too long address', location({ address: 'a'.repeat(201) }), 'location.address'],
    [
      'latitude above 90',
      location({ coordinates: { latitude: 90.01, longitude: 108 } }),
      'location.coordinates',
    ],
    [
      'latitude below -90',
      location({ coordinates: { latitude: -91, longitude: 108 } }),
      'location.coordinates',
    ],
    [
      'longitude above 180',
      location({ coordinates: { latitude: 34, longitude: 180.5 } }),
      'location.coordinates',
    ],
    [
      'longitude below -180',
      location({ coordinates: { latitude: 34, longitude: -181 } }),
      'location.coordinates',
    ],
    [
      'a NaN latitude',
      location({ coordinates: { latitude: Number.NaN, longitude: 108 } }),
      'location.coordinates',
    ],
    ['no needs', { needs: [] }, 'needs'],
    ['more than 20 needs', { needs: Array.from({ length: 21 }, () => need()) }, 'needs'],
    [
      'a quantity of 0',
      { needs: [need({ quantity: { amount: 0, unit: 'box' } })] },
      'needs[0].quantity.amount',
    ],
    [
      'a negative quantity',
      { needs: [need({ quantity: { amount: -5, unit: 'box' } })] },
      'needs[0].quantity.amount',
    ],
    [
      'a fractional quantity',
      { needs: [need({ quantity: { amount: 2.5, unit: 'kg' } })] },
      'needs[0].quantity.amount',
    ],
    [
      'a quantity over 100000',
      { needs: [need({ quantity: { amount: 100_001, unit: 'bottle' } })] },
      'needs[0].quantity.amount',
    ],
    [
      'a bad quantity in the second need',
      { needs: [need(), need({ quantity: { amount: 0, unit: 'box' } })] },
      'needs[1].quantity.amount',
    ],
    ['a missing quantity', { needs: [need({ quantity: undefined })] }, 'needs[0].quantity'],
    ['a missing unit', { needs: [need({ quantity: { amount: 3, unit: '' } })] }, 'needs[0].quantity.unit'],
    ['a blank unit', { needs: [need({ quantity: { amount: 3, unit: '  ' } })] }, 'needs[0].quantity.unit'],
    [
      'category 0',
      { needs: [need({ category: ItemCategory.ITEM_CATEGORY_UNSPECIFIED })] },
      'needs[0].category',
    ],
    ['category 12345', { needs: [need({ category: 12345 as ItemCategory })] }, 'needs[0].category'],
    ['a blank item name', { needs: [need({ itemName: ' ' })] }, 'needs[0].item_name'],
    ['an unspecified urgency', { urgency: Urgency.URGENCY_UNSPECIFIED }, 'urgency'],
    ['an unknown urgency', { urgency: 7 as Urgency }, 'urgency'],
    [
      'an unspecified second vulnerable group',
      {
        vulnerableGroups: [
          VulnerableGroup.VULNERABLE_GROUP_INFANTS,
          VulnerableGroup.VULNERABLE_GROUP_UNSPECIFIED,
        ],
      },
      'vulnerable_groups[1]',
    ],
    [
      'an unknown second vulnerable group',
      { vulnerableGroups: [VulnerableGroup.VULNERABLE_GROUP_INFANTS, 42 as VulnerableGroup] },
      'vulnerable_groups[1]',
    ],
    ['0 people affected', { peopleAffected: 0 }, 'people_affected'],
    ['negative people affected', { peopleAffected: -1 }, 'people_affected'],
    ['fractional people affected', { peopleAffected: 1.5 }, 'people_affected'],
    ['too many people affected', { peopleAffected: 10_001 }, 'people_affected'],
    ['an unspecified channel', { channel: Channel.CHANNEL_UNSPECIFIED }, 'channel'],
    ['an unknown channel', { channel: 99 as Channel }, 'channel'],
    ['a too long description', { description: 'd'.repeat(2_001) }, 'description'],
  ])('reports %s', (_case, overrides, field) => {
    expect(fields(request(overrides))).toEqual([field]);
  });

  it('describes each problem', () => {
    const v = validateCreate(request(location({ district: 'atlantis' })));
    expect(v).toEqual([{ field: 'location.district', description: expect.stringContaining('atlantis') }]);
    for (const x of validateCreate(request({ peopleAffected: 0, channel: 0 as Channel }))) {
      expect(x.description).not.toBe('');
    }
  });

  it('reports several problems together, in field order', () => {
    const req = request({
      idempotencyKey: 'short',
      requester: { name: '', phone: '110' },
      location: {
        district: 'nowhere',
        community: '',
        address: ' ',
        coordinates: { latitude: 100, longitude: 0 },
      },
      needs: [need({ category: ItemCategory.ITEM_CATEGORY_UNSPECIFIED, quantity: { amount: 0, unit: '' } })],
      urgency: Urgency.URGENCY_UNSPECIFIED,
      vulnerableGroups: [
        VulnerableGroup.VULNERABLE_GROUP_CHILDREN,
        0 as VulnerableGroup,
        77 as VulnerableGroup,
      ],
      peopleAffected: 0,
      channel: Channel.CHANNEL_UNSPECIFIED,
      description: 'x'.repeat(2_001),
    });
    expect(fields(req)).toEqual([
      'idempotency_key',
      'requester.name',
      'requester.phone',
      'location.district',
      'location.community',
      'location.address',
      'location.coordinates',
      'needs[0].category',
      'needs[0].quantity.amount',
      'needs[0].quantity.unit',
      'urgency',
      'vulnerable_groups[1]',
      'vulnerable_groups[2]',
      'people_affected',
      'channel',
      'description',
    ]);
  });

  it('reports a missing requester and location without their sub-fields', () => {
    expect(fields(request({ requester: undefined, location: undefined, needs: [] }))).toEqual([
      'requester',
      'location',
      'needs',
    ]);
  });
});
