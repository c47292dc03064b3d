import { findDistrict } from '@nuanyang/common';
import { FailedPreconditionError } from '@nuanyang/grpc-kit';
import { distanceKm, type Place } from '@nuanyang/planner';
import { type Location, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import type { MatchProposal } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import {
  type DeliveryItem,
  type DeliveryTask,
  DeliveryTaskStatus as S,
  Skill,
  type Volunteer,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';

/** Time a volunteer worked on a task, recorded once when the task ends after acceptance. */
export interface HoursRecord {
  volunteerId: string;
  startedAt: Date;
  endedAt: Date;
  hours: number;
  skill: Skill;
  district: string;
}

/**
 * A delivery task as the service stores it: the full task (personal data included) plus what queries and
 * visibility need. `holderId` is the volunteer the task is offered to or held by while it is active.
 */
export interface TaskState {
  task: DeliveryTask;
  /** Organisation that submitted the help request (partners see tasks for their requests). */
  submittingOrganisationId: string;
  holderId: string;
  /** Set once, when the task ends after acceptance (DELIVERED or FAILED). */
  hours: HoursRecord | null;
}

export const FINAL = new Set([
  S.DELIVERY_TASK_STATUS_DELIVERED,
  S.DELIVERY_TASK_STATUS_FAILED,
  S.DELIVERY_TASK_STATUS_CANCELLED,
]);
export const HELD = new Set([S.DELIVERY_TASK_STATUS_ACCEPTED, S.DELIVERY_TASK_STATUS_PICKED_UP]);

/** One task per accepted proposal: the id derives from the proposal's, so a redelivery creates nothing. */
export const taskIdOf = (proposalId: string) => `dt-${proposalId}`;

/**
 * Estimated kilograms per unit, by the unit's name (lower-case). A deliberately rough rule: the platform
 * counts goods in whole units (Quantity), and a volunteer needs to know whether it fits a scooter or a van.
 * Unknown units count 1 kg each.
 */
const KG_PER_UNIT: Record<string, number> = {
  kg: 1,
  公斤: 1,
  g: 0.001,
  t: 1000,
  box: 10,
  箱: 10,
  case: 10,
  carton: 10,
  bag: 10,
  袋: 10,
  sack: 25,
  bottle: 1.5,
  瓶: 1.5,
  barrel: 20,
  桶: 20,
  pack: 1,
  包: 1,
  piece: 0.5,
  件: 0.5,
  pair: 0.5,
};

/** Above this a delivery needs a vehicle (a DRIVER whose vehicle carries it); a loader carries up to it. */
export const CARRY_LIMIT_KG = 10;

export function estimateWeightKg(items: DeliveryItem[]): number {
  const kg = items.reduce(
    (sum, i) =>
      sum + (i.quantity?.amount ?? 0) * (KG_PER_UNIT[(i.quantity?.unit ?? '').trim().toLowerCase()] ?? 1),
    0,
  );
  return Math.ceil(kg);
}

export const requiredSkillFor = (weightKg: number): Skill =>
  weightKg > CARRY_LIMIT_KG ? Skill.SKILL_DRIVER : Skill.SKILL_LOADER;

/** What intake tells about the requester, for the drop-off. */
export interface Recipient {
  name: string;
  phone: string;
  location: Location | undefined;
  submittingOrganisationId: string;
}

/** A new task for an accepted proposal: PENDING, waiting for its first offer. */
export function newTask(
  p: MatchProposal,
  recipient: Recipient,
  pickupContact: { name: string; phone: string } | undefined,
  now: Date,
): TaskState {
  const items: DeliveryItem[] = p.lines.map((l) => ({
    lotId: l.lotId,
    category: p.category,
    itemName: l.itemName || p.needItemName,
    quantity: { amount: l.quantity, unit: l.unit },
  }));
  const weightKg = estimateWeightKg(items);
  const task: DeliveryTask = {
    id: taskIdOf(p.id),
    version: 1,
    matchProposalId: p.id,
    helpRequestId: p.helpRequestId,
    supplierOrganisationId: p.supplierOrganisationId,
    items,
    pickupLocation: p.lines[0]?.pickupLocation,
    pickupContact,
    dropoffLocation: recipient.location ?? p.dropoffLocation,
    recipient: { name: recipient.name, phone: recipient.phone },
    urgency: p.urgency,
    status: S.DELIVERY_TASK_STATUS_PENDING,
    offeredToVolunteerId: '',
    offerExpiresAt: undefined,
    assignedVolunteerId: '',
    declinedVolunteerIds: [],
    offerCount: 0,
    requiredSkill: requiredSkillFor(weightKg),
    weightKg,
    dueAt: undefined,
    proofNote: '',
    failureReason: '',
    createdAt: now,
    acceptedAt: undefined,
    pickedUpAt: undefined,
    deliveredAt: undefined,
    updatedAt: now,
    personalDataRedacted: false,
  };
  return { task, submittingOrganisationId: recipient.submittingOrganisationId, holderId: '', hours: null };
}

const statusName = (s: S) => S[s]?.replace('DELIVERY_TASK_STATUS_', '') ?? String(s);

function moved(s: TaskState, patch: Partial<DeliveryTask>, now: Date, holderId = s.holderId): TaskState {
  return {
    ...s,
    holderId,
    task: { ...s.task, ...patch, version: s.task.version + 1, updatedAt: now },
  };
}

/** PENDING → OFFERED to one volunteer until `expiresAt`. */
export function offer(s: TaskState, volunteerId: string, expiresAt: Date, now: Date): TaskState {
  if (s.task.status !== S.DELIVERY_TASK_STATUS_PENDING)
    throw new FailedPreconditionError(`task ${s.task.id} is ${statusName(s.task.status)}, not PENDING`);
  return moved(
    s,
    {
      status: S.DELIVERY_TASK_STATUS_OFFERED,
      offeredToVolunteerId: volunteerId,
      offerExpiresAt: expiresAt,
      offerCount: s.task.offerCount + 1,
    },
    now,
    volunteerId,
  );
}

function requireOfferTo(s: TaskState, volunteerId: string): void {
  if (s.task.status !== S.DELIVERY_TASK_STATUS_OFFERED || s.task.offeredToVolunteerId !== volunteerId)
    throw new FailedPreconditionError(`task ${s.task.id} is not offered to you`);
}

/**
 * The volunteer the task is offered to takes it, before the offer expires; returns null when they already
 * hold it (accepting again changes nothing).
 */
export function accept(s: TaskState, volunteerId: string, dueAt: Date, now: Date): TaskState | null {
  if (HELD.has(s.task.status) && s.task.assignedVolunteerId === volunteerId) return null;
  requireOfferTo(s, volunteerId);
  if (s.task.offerExpiresAt && new Date(s.task.offerExpiresAt).getTime() <= now.getTime())
    throw new FailedPreconditionError(`the offer of task ${s.task.id} has expired`);
  return moved(
    s,
    {
      status: S.DELIVERY_TASK_STATUS_ACCEPTED,
      assignedVolunteerId: volunteerId,
      offeredToVolunteerId: '',
      offerExpiresAt: undefined,
      acceptedAt: now,
      dueAt,
    },
    now,
  );
}

/** The task goes back to PENDING without this volunteer, who is not offered it again. */
function backToPending(s: TaskState, volunteerId: string, now: Date): TaskState {
  const declined = s.task.declinedVolunteerIds.includes(volunteerId)
    ? s.task.declinedVolunteerIds
    : [...s.task.declinedVolunteerIds, volunteerId];
  return moved(
    s,
    {
      status: S.DELIVERY_TASK_STATUS_PENDING,
      offeredToVolunteerId: '',
      offerExpiresAt: undefined,
      assignedVolunteerId: '',
      acceptedAt: undefined,
      pickedUpAt: undefined,
      dueAt: undefined,
      declinedVolunteerIds: declined,
    },
    now,
    '',
  );
}

export function decline(s: TaskState, volunteerId: string, now: Date): TaskState {
  requireOfferTo(s, volunteerId);
  return backToPending(s, volunteerId, now);
}

/**
 * Time ran out: an offer not accepted by `offer_expires_at`, or a held task not delivered by `due_at`.
 * Returns the task back in PENDING, who had it, and in which status; null when nothing is overdue.
 */
export function timeOut(
  s: TaskState,
  now: Date,
): { next: TaskState; volunteerId: string; timedOutIn: S } | null {
  const t = s.task;
  const past = (d: Date | undefined) => d !== undefined && new Date(d).getTime() <= now.getTime();
  if (t.status === S.DELIVERY_TASK_STATUS_OFFERED && past(t.offerExpiresAt))
    return {
      next: backToPending(s, t.offeredToVolunteerId, now),
      volunteerId: t.offeredToVolunteerId,
      timedOutIn: t.status,
    };
  if (HELD.has(t.status) && past(t.dueAt))
    return {
      next: backToPending(s, t.assignedVolunteerId, now),
      volunteerId: t.assignedVolunteerId,
      timedOutIn: t.status,
    };
  return null;
}

export type Progress =
  | { $case: 'pickedUp'; value: { note: string } }
  | { $case: 'delivered'; value: { proofNote: string } }
  | { $case: 'failed'; value: { reason: string } };

/**
 * Progress on a held task: ACCEPTED → PICKED_UP → DELIVERED, or FAILED from either. A delivery or failure
 * records the holder's hours from acceptance to now, once.
 */
export function progress(s: TaskState, update: Progress, now: Date): TaskState {
  const t = s.task;
  const illegal = (to: string) =>
    new FailedPreconditionError(`task ${t.id} is ${statusName(t.status)}: it cannot become ${to}`);
  const end = (patch: Partial<DeliveryTask>): TaskState => {
    const startedAt = new Date(t.acceptedAt ?? now);
    const hours: HoursRecord = {
      volunteerId: t.assignedVolunteerId,
      startedAt,
      endedAt: now,
      hours: Math.max(0, now.getTime() - startedAt.getTime()) / 3600_000,
      skill: t.requiredSkill,
      district: t.dropoffLocation?.district ?? '',
    };
    return { ...moved(s, patch, now, ''), hours };
  };
  switch (update.$case) {
    case 'pickedUp':
      if (t.status !== S.DELIVERY_TASK_STATUS_ACCEPTED) throw illegal('PICKED_UP');
      return moved(s, { status: S.DELIVERY_TASK_STATUS_PICKED_UP, pickedUpAt: now }, now);
    case 'delivered':
      if (t.status !== S.DELIVERY_TASK_STATUS_PICKED_UP) throw illegal('DELIVERED');
      return end({
        status: S.DELIVERY_TASK_STATUS_DELIVERED,
        deliveredAt: now,
        proofNote: update.value.proofNote,
      });
    case 'failed':
      if (!HELD.has(t.status)) throw illegal('FAILED');
      return end({ status: S.DELIVERY_TASK_STATUS_FAILED, failureReason: update.value.reason });
  }
}

/** The request was cancelled: an active task ends; returns null when it has ended already. */
export function cancel(s: TaskState, now: Date): TaskState | null {
  if (FINAL.has(s.task.status)) return null;
  return moved(
    s,
    { status: S.DELIVERY_TASK_STATUS_CANCELLED, offeredToVolunteerId: '', offerExpiresAt: undefined },
    now,
    '',
  );
}

/** A volunteer as the selection sees them: the record plus the tasks offered to or held by them now. */
export interface Candidate {
  volunteer: Volunteer;
  activeTasks: number;
}

/** A volunteer serves a drop-off in a district they list, or in one whose centre is this close to it. */
export const NEARBY_KM = 15;

export function isAvailable(v: Volunteer, at: Date): boolean {
  const t = at.getTime();
  return v.availability.some(
    (w) =>
      w.start !== undefined &&
      w.end !== undefined &&
      new Date(w.start).getTime() <= t &&
      t < new Date(w.end).getTime(),
  );
}

/** Kilometres from the nearest centre of the volunteer's districts to the drop-off (0 in a listed district). */
export function distanceToDropoff(v: Volunteer, dropoff: Location | undefined): number {
  const to: Place = {
    district: dropoff?.district ?? '',
    community: '',
    coordinates: dropoff?.coordinates ?? findDistrict(dropoff?.district ?? '')?.centre,
  };
  if (v.districts.includes(to.district)) return 0;
  let best = Number.POSITIVE_INFINITY;
  for (const code of v.districts) {
    const centre = findDistrict(code)?.centre;
    if (centre) best = Math.min(best, distanceKm({ district: code, community: '', coordinates: centre }, to));
  }
  return best;
}

/** Has what the task needs: a driver with a vehicle that carries the load; for a carried load, a loader or driver. */
export function canCarry(v: Volunteer, task: DeliveryTask): boolean {
  if (task.requiredSkill === Skill.SKILL_DRIVER)
    return v.skills.includes(Skill.SKILL_DRIVER) && (v.vehicle?.capacityKg ?? 0) >= task.weightKg;
  return v.skills.includes(Skill.SKILL_LOADER) || v.skills.includes(Skill.SKILL_DRIVER);
}

/**
 * The volunteer to offer a task to, or null when nobody suitable is available: has the skill (and a vehicle
 * that carries the load), serves the drop-off district or one nearby, has a window covering `now`, has not
 * declined or let the task lapse; then the fewest active tasks (fair load), then the shortest distance, then
 * the id (so every replica picks the same one).
 */
export function pickVolunteer(task: DeliveryTask, candidates: Candidate[], now: Date): Volunteer | null {
  const suitable = candidates
    .filter(({ volunteer: v }) => !task.declinedVolunteerIds.includes(v.id))
    .filter(({ volunteer: v }) => canCarry(v, task) && isAvailable(v, now))
    .map((c) => ({ ...c, km: distanceToDropoff(c.volunteer, task.dropoffLocation) }))
    .filter((c) => c.km <= NEARBY_KM)
    .sort(
      (a, b) => a.activeTasks - b.activeTasks || a.km - b.km || a.volunteer.id.localeCompare(b.volunteer.id),
    );
  return suitable[0]?.volunteer ?? null;
}

/**
 * What a caller may see of a task: the requester's name, phone, address and coordinates only for operators
 * and the volunteer holding it while ACCEPTED or PICKED_UP.
 */
export function maySeeRecipient(
  t: DeliveryTask,
  viewer: { operator: boolean; volunteerId: string },
): boolean {
  if (viewer.operator) return true;
  return viewer.volunteerId !== '' && HELD.has(t.status) && t.assignedVolunteerId === viewer.volunteerId;
}

/** The task without personal data (what events carry and what others see). */
export function redactTask(t: DeliveryTask): DeliveryTask {
  return {
    ...t,
    recipient: undefined,
    dropoffLocation: t.dropoffLocation && { ...t.dropoffLocation, address: '', coordinates: undefined },
    personalDataRedacted: true,
  };
}

export const viewTask = (
  t: DeliveryTask,
  viewer: { operator: boolean; volunteerId: string },
): DeliveryTask => (maySeeRecipient(t, viewer) ? t : redactTask(t));

const URGENCY_ORDER: Record<number, number> = {
  [Urgency.URGENCY_CRITICAL]: 0,
  [Urgency.URGENCY_HIGH]: 1,
  [Urgency.URGENCY_MEDIUM]: 2,
  [Urgency.URGENCY_LOW]: 3,
};

/** 0 for the most urgent: the order tasks are offered and listed in. */
export const urgencyRank = (u: Urgency): number => URGENCY_ORDER[u] ?? 4;

/** Most urgent first, then oldest first. */
export function byUrgencyThenAge(a: DeliveryTask, b: DeliveryTask): number {
  return (
    urgencyRank(a.urgency) - urgencyRank(b.urgency) ||
    new Date(a.createdAt ?? 0).getTime() - new Date(b.createdAt ?? 0).getTime() ||
    a.id.localeCompare(b.id)
  );
}
