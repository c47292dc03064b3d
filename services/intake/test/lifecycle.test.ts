import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  Channel,
  HelpRequest,
  HelpRequestStatus as S,
  VulnerableGroup,
} from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { canMove, redact, statusName } from '../src/domain/lifecycle';

const ALL = Object.values(S).filter((s): s is S => typeof s === 'number');

/** Every transition the lifecycle allows; anything else must be refused. */
const ALLOWED: [S, S][] = [
  [S.HELP_REQUEST_STATUS_RECEIVED, S.HELP_REQUEST_STATUS_VERIFIED],
  [S.HELP_REQUEST_STATUS_RECEIVED, S.HELP_REQUEST_STATUS_REJECTED],
  [S.HELP_REQUEST_STATUS_RECEIVED, S.HELP_REQUEST_STATUS_DUPLICATE],
  [S.HELP_REQUEST_STATUS_RECEIVED, S.HELP_REQUEST_STATUS_UNREACHABLE],
  [S.HELP_REQUEST_STATUS_RECEIVED, S.HELP_REQUEST_STATUS_CANCELLED],
  [S.HELP_REQUEST_STATUS_UNREACHABLE, S.HELP_REQUEST_STATUS_VERIFIED],
  [S.HELP_REQUEST_STATUS_UNREACHABLE, S.HELP_REQUEST_STATUS_REJECTED],
  [S.HELP_REQUEST_STATUS_UNREACHABLE, S.HELP_REQUEST_STATUS_DUPLICATE],
  [S.HELP_REQUEST_STATUS_UNREACHABLE, S.HELP_REQUEST_STATUS_CANCELLED],
  [S.HELP_REQUEST_STATUS_VERIFIED, S.HELP_REQUEST_STATUS_MATCHED],
  [S.HELP_REQUEST_STATUS_VERIFIED, S.HELP_REQUEST_STATUS_PARTIALLY_MATCHED],
  [S.HELP_REQUEST_STATUS_VERIFIED, S.HELP_REQUEST_STATUS_CANCELLED],
  [S.HELP_REQUEST_STATUS_PARTIALLY_MATCHED, S.HELP_REQUEST_STATUS_MATCHED],
  [S.HELP_REQUEST_STATUS_PARTIALLY_MATCHED, S.HELP_REQUEST_STATUS_FULFILLED],
  [S.HELP_REQUEST_STATUS_PARTIALLY_MATCHED, S.HELP_REQUEST_STATUS_CANCELLED],
  [S.HELP_REQUEST_STATUS_MATCHED, S.HELP_REQUEST_STATUS_FULFILLED],
  [S.HELP_REQUEST_STATUS_MATCHED, S.HELP_REQUEST_STATUS_CANCELLED],
];
const allowed = new Set(ALLOWED.map(([from, to]) => `${from}>${to}`));
const REFUSED = ALL.flatMap((from) => ALL.map((to): [S, S] => [from, to])).filter(
  ([from, to]) => !allowed.has(`${from}>${to}`),
);
const name = (s: S) => S[s];

describe('canMove', () => {
  it.each(ALLOWED.map(([from, to]) => [name(from), name(to), from, to] as const))(
    'allows %s → %s',
    (_f, _t, from, to) => {
      expect(canMove(from, to)).toBe(true);
    },
  );

  it.each(REFUSED.map(([from, to]) => [name(from), name(to), from, to] as const))(
    'refuses %s → %s',
    (_f, _t, from, to) => {
      expect(canMove(from, to)).toBe(false);
    },
  );

  it.each([
    S.HELP_REQUEST_STATUS_REJECTED,
    S.HELP_REQUEST_STATUS_DUPLICATE,
    S.HELP_REQUEST_STATUS_FULFILLED,
    S.HELP_REQUEST_STATUS_CANCELLED,
  ])('leaves no way out of final status %p', (from) => {
    expect(ALL.filter((to) => canMove(from, to))).toEqual([]);
  });

  it.each([
    [S.HELP_REQUEST_STATUS_RECEIVED, S.HELP_REQUEST_STATUS_MATCHED],
    [S.HELP_REQUEST_STATUS_RECEIVED, S.HELP_REQUEST_STATUS_FULFILLED],
    [S.HELP_REQUEST_STATUS_VERIFIED, S.HELP_REQUEST_STATUS_FULFILLED],
    [S.HELP_REQUEST_STATUS_VERIFIED, S.HELP_REQUEST_STATUS_RECEIVED],
    [S.HELP_REQUEST_STATUS_MATCHED, S.HELP_REQUEST_STATUS_PARTIALLY_MATCHED],
    [S.HELP_REQUEST_STATUS_UNREACHABLE, S.HELP_REQUEST_STATUS_MATCHED],
  ])('skipping or going back is refused: %p → %p', (from, to) => {
    expect(canMove(from, to)).toBe(false);
  });

  it('never moves a status to itself', () => {
    for (const s of ALL) expect(canMove(s, s)).toBe(false);
  });

  it('refuses unknown statuses on either side', () => {
    expect(canMove(42 as S, S.HELP_REQUEST_STATUS_VERIFIED)).toBe(false);
    expect(canMove(S.HELP_REQUEST_STATUS_RECEIVED, 42 as S)).toBe(false);
  });
});

describe('statusName', () => {
  it.each([
    [S.HELP_REQUEST_STATUS_PARTIALLY_MATCHED, 'PARTIALLY_MATCHED'],
    [S.HELP_REQUEST_STATUS_RECEIVED, 'RECEIVED'],
    [42 as S, '42'],
  ])('names %p %p', (s, expected) => {
    expect(statusName(s)).toBe(expected);
  });
});

describe('redact', () => {
  const request = () =>
    HelpRequest.fromPartial({
      id: 'hr-1',
      version: 3,
      submittingOrganisationId: 'org-1',
      requester: { name: '王秀英', phone: '13912345678' },
      location: {
        district: 'yanta',
        community: '小寨社区',
        address: '长安中路 3号楼 2单元 501',
        coordinates: { latitude: 34.2135, longitude: 108.9487 },
      },
      needs: [
        {
          needId: 'n-1',
          category: ItemCategory.ITEM_CATEGORY_MEDICINE,
          itemName: '胰岛素笔',
          quantity: { amount: 2, unit: 'pen' },
        },
      ],
      urgency: Urgency.URGENCY_CRITICAL,
      vulnerableGroups: [VulnerableGroup.VULNERABLE_GROUP_CHRONICALLY_ILL],
      peopleAffected: 1,
      channel: Channel.CHANNEL_HOTLINE,
      description: '糖尿病，胰岛素明天用完',
      status: S.HELP_REQUEST_STATUS_VERIFIED,
      priorityScore: 87.5,
      possibleDuplicateOf: ['hr-0'],
      receivedAt: new Date('2021-12-28T09:51:00Z'),
      updatedAt: new Date('2021-12-28T10:10:00Z'),
    });

  it('empties phone, address and coordinates and marks the request redacted', () => {
    const r = redact(request());
    expect(r.requester?.phone).toBe('');
    expect(r.location?.address).toBe('');
    expect(r.location?.coordinates).toBeUndefined();
    expect(r.personalDataRedacted).toBe(true);
  });

  it('keeps district, community, needs and everything that is not personal data', () => {
    const original = request();
    const r = redact(original);
    expect(r.location?.district).toBe('yanta');
    expect(r.location?.community).toBe('小寨社区');
    expect(r.needs).toEqual(original.needs);
    const { requester: _r, location: _l, personalDataRedacted: _p, ...rest } = r;
    const { requester: _or, location: _ol, personalDataRedacted: _op, ...originalRest } = original;
    expect(rest).toEqual(originalRest);
  });

  it.each([
    ['王秀英', '王*'],
    ['李', '李*'],
    ['Alice', 'A*'],
    ['𠀋一', '𠀋*'],
    ['', ''],
  ])('reduces the name %p to %p', (fullName, expected) => {
    const r = redact(
      HelpRequest.fromPartial({ ...request(), requester: { name: fullName, phone: '13912345678' } }),
    );
    expect(r.requester).toEqual({ name: expected, phone: '' });
  });

  it('does not mutate its input', () => {
    const original = request();
    const before = structuredClone(original);
    const r = redact(original);
    expect(original).toEqual(before);
    expect(r).not.toBe(original);
    expect(r.requester).not.toBe(original.requester);
    expect(r.location).not.toBe(original.location);
  });

  it('leaves a request without requester or location without them', () => {
    const r = redact(HelpRequest.fromPartial({ ...request(), requester: undefined, location: undefined }));
    expect(r.requester).toBeUndefined();
    expect(r.location).toBeUndefined();
    expect(r.personalDataRedacted).toBe(true);
  });

  it('is idempotent', () => {
    const once = redact(request());
    expect(redact(once)).toEqual(once);
  });
});
