import {
  checkText,
  isKnownEnumValue,
  needViolations,
  normalisePhone,
  type Violation,
} from '@nuanyang/common';
import { ItemCategory, Need, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';

const need = (overrides: Partial<Need> = {}): Need =>
  Need.fromPartial({
    category: ItemCategory.ITEM_CATEGORY_STAPLE_FOOD,
    itemName: 'rice',
    quantity: { amount: 10, unit: 'kg' },
    ...overrides,
  });

const fields = (v: Violation[]) => v.map((x) => x.field);

describe('normalisePhone', () => {
  it.each([
    ['a plain mobile', '13912345678', '13912345678'],
    ['a mobile from 19x', '19912345678', '19912345678'],
    ['a mobile with +86', '+8613912345678', '13912345678'],
    ['a mobile with 0086', '008613912345678', '13912345678'],
    ['a mobile with +86 and spaces', '+86 139 1234 5678', '13912345678'],
    ['a mobile with dashes', '139-1234-5678', '13912345678'],
    ['a mobile with surrounding spaces', '  13912345678 ', '13912345678'],
    ['a mobile with tabs and mixed separators', '+86\t139 1234-5678', '13912345678'],
    ['a landline with a 3-digit area code and 8 digits', '029-88886666', '02988886666'],
    ['a landline with a 3-digit area code and spaces', '010 6552 9988', '01065529988'],
    ['a landline with a 4-digit area code and 7 digits', '0917-1234567', '09171234567'],
    ['a landline with a 4-digit area code and 8 digits', '0917 12345678', '091712345678'],
    ['a landline written internationally', '+86 29 8888 6666', '02988886666'],
    ['a landline written internationally with 0086', '0086-917-1234567', '09171234567'],
  ])('accepts %s', (_case, input, expected) => {
    expect(normalisePhone(input)).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['letters', 'call me maybe'],
    ['a mobile starting 12', '12912345678'],
    ['a mobile starting 10', '10912345678'],
    ['a mobile one digit short', '1391234567'],
    ['a mobile one digit long', '139123456789'],
    ['a mobile with a letter', '1391234567a'],
    ['a foreign country code', '+4413912345678'],
    ['+86 in the middle', '139+8612345678'],
    ['a landline without area code', '88886666'],
    ['a landline without area code, written internationally', '+86 88886666'],
    ['a landline with too few digits', '029-888666'],
    ['a landline with too many digits', '029-8888666612'],
    ['a number with dots', '139.1234.5678'],
  ])('refuses %s', (_case, input) => {
    expect(normalisePhone(input)).toBeNull();
  });
});

describe('isKnownEnumValue', () => {
  it.each([
    [Urgency.URGENCY_LOW, true],
    [Urgency.URGENCY_CRITICAL, true],
    [Urgency.URGENCY_UNSPECIFIED, false],
    [5, false],
    [-1, false],
  ])('Urgency %p → %p', (value, expected) => {
    expect(isKnownEnumValue(Urgency, value)).toBe(expected);
  });
});

describe('checkText', () => {
  it.each([
    ['required and blank', '  ', 5, true, 'is required'],
    ['required and empty', '', 5, true, 'is required'],
    ['too long', 'abcdef', 5, false, 'must be at most 5 characters'],
    ['too long and required', 'abcdef', 5, true, 'must be at most 5 characters'],
  ])('reports %s', (_case, value, max, required, description) => {
    const out: Violation[] = [];
    checkText(out, 'f', value, max, required);
    expect(out).toEqual([{ field: 'f', description }]);
  });

  it.each([
    ['optional and empty', '', 5, false],
    ['exactly at the limit', 'abcde', 5, true],
    ['counted in characters, not UTF-16 units', '😀😀😀😀😀', 5, true],
    ['Chinese at the limit', '雁塔区小寨', 5, true],
  ])('accepts %s', (_case, value, max, required) => {
    const out: Violation[] = [];
    checkText(out, 'f', value, max, required);
    expect(out).toEqual([]);
  });
});

describe('needViolations', () => {
  it('accepts a valid list', () => {
    expect(needViolations([need(), need({ category: ItemCategory.ITEM_CATEGORY_TESTING_SUPPORT })])).toEqual(
      [],
    );
  });

  it('accepts exactly 20 needs', () => {
    expect(needViolations(Array.from({ length: 20 }, () => need()))).toEqual([]);
  });

  it.each<[string, Need[], string[]]>([
    ['an empty list', [], ['needs']],
    ['too many needs', Array.from({ length: 21 }, () => need()), ['needs']],
    [
      'unspecified category',
      [need({ category: ItemCategory.ITEM_CATEGORY_UNSPECIFIED })],
      ['needs[0].category'],
    ],
    ['unknown category', [need({ category: 12345 as ItemCategory })], ['needs[0].category']],
    ['blank item name', [need({ itemName: ' ' })], ['needs[0].item_name']],
    ['too long item name', [need({ itemName: 'x'.repeat(101) })], ['needs[0].item_name']],
    ['too long note', [need({ note: 'x'.repeat(501) })], ['needs[0].note']],
    ['missing quantity', [need({ quantity: undefined })], ['needs[0].quantity']],
    ['zero amount', [need({ quantity: { amount: 0, unit: 'kg' } })], ['needs[0].quantity.amount']],
    ['negative amount', [need({ quantity: { amount: -3, unit: 'kg' } })], ['needs[0].quantity.amount']],
    ['fractional amount', [need({ quantity: { amount: 1.5, unit: 'kg' } })], ['needs[0].quantity.amount']],
    ['NaN amount', [need({ quantity: { amount: Number.NaN, unit: 'kg' } })], ['needs[0].quantity.amount']],
    [
      'amount over the limit',
      [need({ quantity: { amount: 100_001, unit: 'kg' } })],
      ['needs[0].quantity.amount'],
    ],
    ['blank unit', [need({ quantity: { amount: 1, unit: '' } })], ['needs[0].quantity.unit']],
    ['too long unit', [need({ quantity: { amount: 1, unit: 'x'.repeat(21) } })], ['needs[0].quantity.unit']],
    ['a problem in the second need', [need(), need({ itemName: '' })], ['needs[1].item_name']],
  ])('reports %s', (_case, needs, expected) => {
    expect(fields(needViolations(needs))).toEqual(expected);
  });

  it('accepts every field at its limit', () => {
    expect(
      needViolations([
        need({
          itemName: 'i'.repeat(100),
          note: 'n'.repeat(500),
          quantity: { amount: 100_000, unit: 'u'.repeat(20) },
        }),
      ]),
    ).toEqual([]);
  });

  it('reports every problem of every need, in order', () => {
    const v = needViolations([
      need({ category: ItemCategory.ITEM_CATEGORY_UNSPECIFIED, itemName: '' }),
      need(),
      need({ quantity: { amount: 0, unit: '' } }),
    ]);
    expect(fields(v)).toEqual([
      'needs[0].category',
      'needs[0].item_name',
      'needs[2].quantity.amount',
      'needs[2].quantity.unit',
    ]);
  });

  it('prefixes every field path with a custom field name', () => {
    const v = needViolations(
      [need(), need({ category: 0 as ItemCategory, quantity: { amount: 2.5, unit: ' ' } })],
      'verified.corrected_needs',
    );
    expect(fields(v)).toEqual([
      'verified.corrected_needs[1].category',
      'verified.corrected_needs[1].quantity.amount',
      'verified.corrected_needs[1].quantity.unit',
    ]);
    expect(fields(needViolations([], 'verified.corrected_needs'))).toEqual(['verified.corrected_needs']);
  });
});
