import {
  checkText,
  isKnownDistrict,
  isKnownEnumValue,
  needViolations,
  normalisePhone,
  type Violation,
} from '@nuanyang/common';
import { Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  Channel,
  type CreateHelpRequestRequest,
  VulnerableGroup,
} from '@nuanyang/proto/nuanyang/intake/v1/intake';

/** Bounds on what one help request may carry besides its needs. */
export const LIMITS = {
  peopleAffected: 10_000,
  name: 50,
  community: 100,
  address: 200,
  description: 2_000,
} as const;

/** Every field-level problem of a CreateHelpRequest, in field order; empty when it is valid. */
export function validateCreate(req: CreateHelpRequestRequest): Violation[] {
  const v: Violation[] = [];
  const add = (field: string, description: string) => v.push({ field, description });

  if (!/^[A-Za-z0-9_.:-]{8,128}$/.test(req.idempotencyKey)) {
    add('idempotency_key', 'must be 8 to 128 characters of letters, digits, _ . : -');
  }
  if (!req.requester) add('requester', 'is required');
  else {
    checkText(v, 'requester.name', req.requester.name, LIMITS.name, true);
    if (normalisePhone(req.requester.phone) === null) {
      add('requester.phone', 'must be a mainland mobile (e.g. 13912345678) or a landline with area code');
    }
  }
  if (!req.location) add('location', 'is required');
  else {
    if (!isKnownDistrict(req.location.district))
      add('location.district', `unknown district "${req.location.district}"`);
    checkText(v, 'location.community', req.location.community, LIMITS.community, true);
    checkText(v, 'location.address', req.location.address, LIMITS.address, true);
    const c = req.location.coordinates;
    if (c && !(Math.abs(c.latitude) <= 90 && Math.abs(c.longitude) <= 180)) {
      add('location.coordinates', 'latitude must be within ±90 and longitude within ±180');
    }
  }
  v.push(...needViolations(req.needs));
  if (!isKnownEnumValue(Urgency, req.urgency)) add('urgency', 'must be LOW, MEDIUM, HIGH or CRITICAL');
  req.vulnerableGroups.forEach((g, i) => {
    if (!isKnownEnumValue(VulnerableGroup, g))
      add(`vulnerable_groups[${i}]`, 'must be a known vulnerable group');
  });
  if (
    !Number.isInteger(req.peopleAffected) ||
    req.peopleAffected < 1 ||
    req.peopleAffected > LIMITS.peopleAffected
  ) {
    add('people_affected', `must be between 1 and ${LIMITS.peopleAffected}`);
  }
  if (!isKnownEnumValue(Channel, req.channel)) add('channel', 'must be a known channel');
  checkText(v, 'description', req.description, LIMITS.description, false);
  return v;
}
