import { ItemCategory as C, Need } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  DUPLICATE_WINDOW_HOURS,
  type DuplicateCandidate,
  findLikelyDuplicates,
  normaliseAddress,
} from '../src/domain/duplicates';

const HOUR = 3600_000;
const now = new Date('2021-12-28T17:51:00+08:00');
const ago = (hours: number) => new Date(now.getTime() - hours * HOUR);
const needs = (...categories: C[]) =>
  categories.map((category) =>
    Need.fromPartial({ category, itemName: 'x', quantity: { amount: 1, unit: 'box' } }),
  );

const incoming: DuplicateCandidate = {
  id: 'hr-new',
  phone: '13912345678',
  district: 'yanta',
  address: '长安中路 3号楼 2单元 501',
  needs: needs(C.ITEM_CATEGORY_INSTANT_FOOD, C.ITEM_CATEGORY_MEDICINE),
  receivedAt: now,
};

/** An earlier request with another phone at the same address, asking for the same things an hour ago. */
const earlier = (overrides: Partial<DuplicateCandidate> = {}): DuplicateCandidate => ({
  id: 'hr-old',
  phone: '13800138000',
  district: incoming.district,
  address: incoming.address,
  needs: needs(C.ITEM_CATEGORY_INSTANT_FOOD),
  receivedAt: ago(1),
  ...overrides,
});

describe('normaliseAddress', () => {
  it.each([
    ['3号楼 2单元', '3号楼2单元'],
    ['３号楼２单元', '3号楼2单元'],
    ['３号楼　２单元', '3号楼2单元'],
    ['Building 3, Unit 2', 'building3unit2'],
    ['长安中路12号，3号楼-2单元（501室）', '长安中路12号3号楼2单元501室'],
    ['小寨东路#5 (A座)。', '小寨东路5a座'],
    ['  3号楼\t2单元\n', '3号楼2单元'],
    ['ＡＢＣ', 'abc'],
    ['', ''],
  ])('normalises %j to %j', (input, expected) => {
    expect(normaliseAddress(input)).toBe(expected);
  });

  it('keeps digits that differ apart', () => {
    expect(normaliseAddress('3号楼2单元')).not.toBe(normaliseAddress('3号楼3单元'));
    expect(normaliseAddress('3-12')).not.toBe(normaliseAddress('31-2a'));
  });
});

describe('findLikelyDuplicates', () => {
  it.each<[string, Partial<DuplicateCandidate>]>([
    [
      'the same phone, even at another address in another district for other needs',
      {
        phone: incoming.phone,
        district: 'beilin',
        address: '南大街 1号',
        needs: needs(C.ITEM_CATEGORY_SHELTER),
      },
    ],
    ['the same district and address with an overlapping category', {}],
    ['the same address written with different spacing', { address: '长安中路3号楼2单元501' }],
    ['the same address written in full-width digits', { address: '长安中路 ３号楼 ２单元 ５０１' }],
    ['the same address in other punctuation', { address: '长安中路，3号楼-2单元，501' }],
    [
      'the same address asking for several things, one of them overlapping',
      { needs: needs(C.ITEM_CATEGORY_HYGIENE, C.ITEM_CATEGORY_MEDICINE) },
    ],
    [
      'the same phone just inside the window',
      { phone: incoming.phone, receivedAt: ago(DUPLICATE_WINDOW_HOURS) },
    ],
    ['the same address received at the same instant', { receivedAt: now }],
  ])('flags %s', (_case, overrides) => {
    expect(findLikelyDuplicates(incoming, [earlier(overrides)])).toEqual(['hr-old']);
  });

  it.each<[string, Partial<DuplicateCandidate>]>([
    ['the same address without an overlapping category', { needs: needs(C.ITEM_CATEGORY_SHELTER) }],
    ['the same address with no needs', { needs: [] }],
    ['the same address in another district', { district: 'beilin' }],
    ['another address in the same district', { address: '长安中路 5号楼 2单元 501' }],
    [
      'the same phone just outside the window',
      { phone: incoming.phone, receivedAt: new Date(ago(DUPLICATE_WINDOW_HOURS).getTime() - 1) },
    ],
    ['the same address outside the window', { receivedAt: ago(DUPLICATE_WINDOW_HOURS + 1) }],
    [
      'the same phone received later than the incoming',
      { phone: incoming.phone, receivedAt: new Date(now.getTime() + 1) },
    ],
    ['the same address received later than the incoming', { receivedAt: new Date(now.getTime() + HOUR) }],
    ['the incoming itself', { id: incoming.id, phone: incoming.phone }],
  ])('does not flag %s', (_case, overrides) => {
    expect(findLikelyDuplicates(incoming, [earlier(overrides)])).toEqual([]);
  });

  it('does not match two requests on blank addresses', () => {
    const blank = { ...incoming, address: ' ' };
    expect(findLikelyDuplicates(blank, [earlier({ address: '' })])).toEqual([]);
    expect(findLikelyDuplicates({ ...incoming, address: '' }, [earlier({ address: '' })])).toEqual([]);
  });

  it('does not match two requests on blank phones', () => {
    const noPhone = { ...incoming, phone: '', address: 'elsewhere' };
    expect(findLikelyDuplicates(noPhone, [earlier({ phone: '' })])).toEqual([]);
  });

  it('returns every match and only the matches, in the order given', () => {
    const list = [
      earlier({ id: 'a', phone: incoming.phone, receivedAt: ago(70) }),
      earlier({ id: 'b', district: 'lianhu' }),
      earlier({ id: 'c', address: '长安中路3号楼2单元501' }),
      earlier({ id: 'd', receivedAt: ago(80) }),
      { ...incoming },
      earlier({ id: 'e', needs: needs(C.ITEM_CATEGORY_MEDICINE) }),
      earlier({ id: 'f', receivedAt: new Date(now.getTime() + 5 * HOUR) }),
    ];
    expect(findLikelyDuplicates(incoming, list)).toEqual(['a', 'c', 'e']);
  });

  it('returns nothing when there is nothing earlier', () => {
    expect(findLikelyDuplicates(incoming, [])).toEqual([]);
  });

  it('does not change its arguments', () => {
    const list = [earlier(), earlier({ id: 'x', district: 'huyi' })];
    const copy = structuredClone(list);
    const incomingCopy = structuredClone(incoming);
    findLikelyDuplicates(incoming, list);
    expect(list).toEqual(copy);
    expect(incoming).toEqual(incomingCopy);
  });
});
