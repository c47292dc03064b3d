import { ItemCategory, type Need } from '@nuanyang/proto/nuanyang/common/v1/common';

/** A field path and what is wrong with it, as INVALID_ARGUMENT reports it. */
export interface Violation {
  field: string;
  description: string;
}

export const NEED_LIMITS = { needs: 20, quantity: 100_000, itemName: 100, unit: 20, note: 500 } as const;

/** True for a value of the enum other than its zero `_UNSPECIFIED`. */
export function isKnownEnumValue(e: Record<string, string | number>, value: number): boolean {
  return value !== 0 && Object.values(e).includes(value);
}

/** Adds a violation when a text is required and blank, or longer than `max` characters. */
export function checkText(
  out: Violation[],
  field: string,
  value: string,
  max: number,
  required: boolean,
): void {
  if (required && value.trim() === '') out.push({ field, description: 'is required' });
  else if ([...value].length > max) out.push({ field, description: `must be at most ${max} characters` });
}

/** Problems with a list of needs (at least one, each with a known category, a name and a bounded quantity). */
export function needViolations(needs: Need[], field = 'needs'): Violation[] {
  const v: Violation[] = [];
  if (needs.length === 0) v.push({ field, description: 'at least one need is required' });
  if (needs.length > NEED_LIMITS.needs) v.push({ field, description: `at most ${NEED_LIMITS.needs} needs` });
  needs.forEach((need, i) => {
    const f = `${field}[${i}]`;
    if (!isKnownEnumValue(ItemCategory, need.category))
      v.push({ field: `${f}.category`, description: 'must be a known item category' });
    checkText(v, `${f}.item_name`, need.itemName, NEED_LIMITS.itemName, true);
    checkText(v, `${f}.note`, need.note, NEED_LIMITS.note, false);
    if (!need.quantity) v.push({ field: `${f}.quantity`, description: 'is required' });
    else {
      const { amount, unit } = need.quantity;
      if (!Number.isInteger(amount) || amount <= 0) {
        v.push({ field: `${f}.quantity.amount`, description: 'must be a whole number greater than 0' });
      } else if (amount > NEED_LIMITS.quantity) {
        v.push({ field: `${f}.quantity.amount`, description: `must be at most ${NEED_LIMITS.quantity}` });
      }
      checkText(v, `${f}.quantity.unit`, unit, NEED_LIMITS.unit, true);
    }
  });
  return v;
}

/**
 * Mainland mobile (11 digits from 1[3-9]) or landline with area code, in one canonical form; spaces and
 * dashes allowed, and +86 / 0086 (a landline written internationally drops its leading 0: +86 29 ...).
 */
export function normalisePhone(phone: string): string | null {
  const compact = phone.replace(/[\s-]/g, '');
  const international = /^(\+86|0086)/.test(compact);
  const national = compact.replace(/^(\+86|0086)/, '');
  if (/^1[3-9]\d{9}$/.test(national)) return national;
  if (/^0\d{2,3}\d{7,8}$/.test(national)) return national;
  if (international && /^[2-9]\d{1,2}\d{7,8}$/.test(national)) return `0${national}`;
  return null;
}
