import { createHash } from 'node:crypto';
import {
  checkText,
  isKnownDistrict,
  isKnownEnumValue,
  normalisePhone,
  type Violation,
} from '@nuanyang/common';
import type { Contact } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  type AvailabilityWindow,
  type CreateFunctionalGroupRequest,
  type Organisation,
  OrganisationType,
  type RegisterOrganisationRequest,
  type RegisterVolunteerRequest,
  Skill,
  VehicleType,
  type Volunteer,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';

export const LIMITS = {
  name: 200,
  description: 2000,
  contacts: 10,
  districts: 30,
  windows: 50,
  key: 128,
} as const;

const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** Names compare without case, width or spacing differences: "Red Cross" and " red  cross" are one name. */
export const normaliseName = (name: string) =>
  name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * Ids derive from what must be unique (the normalised name, the user id), so uniqueness is the store's
 * unique-key insert of version 1: two concurrent registrations of one name cannot both win.
 */
export const organisationIdOf = (name: string) => `org-${digest(normaliseName(name))}`;
export const groupIdOf = (name: string) => `fg-${digest(normaliseName(name))}`;
export const volunteerIdOf = (userId: string) => `vol-${digest(userId)}`;

function checkKey(v: Violation[], key: string): void {
  if (key.length < 1 || key.length > LIMITS.key)
    v.push({ field: 'idempotency_key', description: `must be 1 to ${LIMITS.key} characters` });
}

function checkDistricts(v: Violation[], districts: string[], required: boolean): void {
  if (required && districts.length === 0)
    v.push({ field: 'districts', description: 'at least one district is required' });
  if (districts.length > LIMITS.districts)
    v.push({ field: 'districts', description: `at most ${LIMITS.districts}` });
  districts.forEach((d, i) => {
    if (!isKnownDistrict(d)) v.push({ field: `districts[${i}]`, description: `unknown district "${d}"` });
  });
}

function checkContact(v: Violation[], field: string, c: Contact | undefined): void {
  checkText(v, `${field}.name`, c?.name ?? '', 100, true);
  if ((c?.phone ?? '').trim() === '') v.push({ field: `${field}.phone`, description: 'is required' });
  else if (!normalisePhone(c?.phone ?? ''))
    v.push({ field: `${field}.phone`, description: 'must be a mainland mobile or landline number' });
}

export function organisationViolations(req: RegisterOrganisationRequest): Violation[] {
  const v: Violation[] = [];
  checkKey(v, req.idempotencyKey);
  checkText(v, 'name', req.name, LIMITS.name, true);
  if (!isKnownEnumValue(OrganisationType, req.type)) v.push({ field: 'type', description: 'is required' });
  if (req.contacts.length > LIMITS.contacts)
    v.push({ field: 'contacts', description: `at most ${LIMITS.contacts}` });
  for (const [i, c] of req.contacts.entries()) checkContact(v, `contacts[${i}]`, c);
  checkDistricts(v, req.districts, false);
  checkText(v, 'description', req.description, LIMITS.description, false);
  return v;
}

export function groupViolations(req: CreateFunctionalGroupRequest): Violation[] {
  const v: Violation[] = [];
  checkKey(v, req.idempotencyKey);
  checkText(v, 'name', req.name, LIMITS.name, true);
  checkText(v, 'purpose', req.purpose, LIMITS.description, false);
  const leads = new Set(req.leadOrganisationIds);
  if (leads.size < 1 || leads.size > 2 || leads.size !== req.leadOrganisationIds.length)
    v.push({ field: 'lead_organisation_ids', description: 'one or two distinct organisations are required' });
  return v;
}

export function windowViolations(windows: AvailabilityWindow[], field: string): Violation[] {
  const v: Violation[] = [];
  if (windows.length > LIMITS.windows) v.push({ field, description: `at most ${LIMITS.windows} windows` });
  windows.forEach((w, i) => {
    if (!w.start) v.push({ field: `${field}[${i}].start`, description: 'is required' });
    if (!w.end) v.push({ field: `${field}[${i}].end`, description: 'is required' });
    if (w.start && w.end && new Date(w.end).getTime() <= new Date(w.start).getTime())
      v.push({ field: `${field}[${i}].end`, description: 'must be after start' });
  });
  return v;
}

export function volunteerViolations(req: RegisterVolunteerRequest): Violation[] {
  const v: Violation[] = [];
  checkKey(v, req.idempotencyKey);
  checkContact(v, 'contact', req.contact);
  if (req.skills.length === 0) v.push({ field: 'skills', description: 'at least one skill is required' });
  req.skills.forEach((s, i) => {
    if (!isKnownEnumValue(Skill, s)) v.push({ field: `skills[${i}]`, description: 'must be a known skill' });
  });
  if (req.skills.includes(Skill.SKILL_DRIVER)) {
    if (!req.vehicle) v.push({ field: 'vehicle', description: 'is required for a DRIVER' });
    else {
      if (!isKnownEnumValue(VehicleType, req.vehicle.type))
        v.push({ field: 'vehicle.type', description: 'is required for a DRIVER' });
      if (!Number.isInteger(req.vehicle.capacityKg) || req.vehicle.capacityKg <= 0)
        v.push({ field: 'vehicle.capacity_kg', description: 'must be a whole number of kg greater than 0' });
    }
  }
  checkDistricts(v, req.districts, true);
  v.push(...windowViolations(req.availability, 'availability'));
  return v;
}

/** A volunteer's phone only for operators and the volunteer themself. */
export function viewVolunteer(v: Volunteer, maySeePhone: boolean): Volunteer {
  if (maySeePhone) return { ...v, personalDataRedacted: false };
  return { ...v, contact: v.contact && { ...v.contact, phone: '' }, personalDataRedacted: true };
}

/** Contact phones of an organisation only for operators. */
export function viewOrganisation(o: Organisation, maySeePhones: boolean): Organisation {
  return maySeePhones ? o : { ...o, contacts: o.contacts.map((c) => ({ ...c, phone: '' })) };
}
