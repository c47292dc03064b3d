import { Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { VulnerableGroup } from '@nuanyang/proto/nuanyang/intake/v1/intake';

export interface PriorityInput {
  urgency: Urgency;
  vulnerableGroups: VulnerableGroup[];
  peopleAffected: number;
  /** Hours since the request was received. */
  waitingHours: number;
}

const URGENCY_POINTS: Record<Urgency, number> = {
  [Urgency.URGENCY_UNSPECIFIED]: 0,
  [Urgency.URGENCY_LOW]: 10,
  [Urgency.URGENCY_MEDIUM]: 25,
  [Urgency.URGENCY_HIGH]: 45,
  [Urgency.URGENCY_CRITICAL]: 70,
};

/** Groups that cannot wait or fend for themselves weigh more. */
const VULNERABLE_POINTS: Partial<Record<VulnerableGroup, number>> = {
  [VulnerableGroup.VULNERABLE_GROUP_ELDERLY_LIVING_ALONE]: 8,
  [VulnerableGroup.VULNERABLE_GROUP_INFANTS]: 8,
  [VulnerableGroup.VULNERABLE_GROUP_PREGNANT]: 7,
  [VulnerableGroup.VULNERABLE_GROUP_CHRONICALLY_ILL]: 7,
  [VulnerableGroup.VULNERABLE_GROUP_DISABLED]: 6,
  [VulnerableGroup.VULNERABLE_GROUP_CHILDREN]: 5,
  [VulnerableGroup.VULNERABLE_GROUP_STRANDED]: 4,
  [VulnerableGroup.VULNERABLE_GROUP_LOW_INCOME]: 3,
};

/**
 * Priority in [0, 100]: urgency weighs most (a fresh critical case outranks any low or medium one that has
 * waited less than a day, and a high one with the same people and groups), then vulnerable groups (capped),
 * people affected (logarithmic: a building is not 100x a flat), and waiting time, which slowly lifts old
 * requests so none starves.
 */
export function priorityScore(p: PriorityInput): number {
  const urgency = URGENCY_POINTS[p.urgency] ?? 0;
  const vulnerable = Math.min(
    15,
    [...new Set(p.vulnerableGroups)].reduce((sum, g) => sum + (VULNERABLE_POINTS[g] ?? 0), 0),
  );
  const people = Math.min(10, 3 * Math.log2(Math.max(1, p.peopleAffected)));
  const waiting = Math.min(20, Math.max(0, p.waitingHours) * (20 / 48));
  return Math.round(Math.min(100, urgency + vulnerable + people + waiting) * 10) / 10;
}
