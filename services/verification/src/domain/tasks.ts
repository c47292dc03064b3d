import { checkText, needViolations } from '@nuanyang/common';
import { FailedPreconditionError, InvalidArgumentError, PermissionDeniedError } from '@nuanyang/grpc-kit';
import { type Location, type Need, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import type { VulnerableGroup } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import {
  Outcome,
  type RecordOutcomeRequest,
  TaskStatus,
  type VerificationTask,
} from '@nuanyang/proto/nuanyang/verification/v1/verification';

/** What verification keeps of the help request: enough to pass on when verified, no personal data. */
export interface RequestSnapshot {
  location: Location | undefined;
  needs: Need[];
  urgency: Urgency;
  submittingOrganisationId: string;
  peopleAffected: number;
  vulnerableGroups: VulnerableGroup[];
  priorityScore: number;
  receivedAt: Date | undefined;
}

export interface TaskState {
  task: VerificationTask;
  request: RequestSnapshot;
}

export interface Verifier {
  id: string;
  organisationId: string;
  isOperator: boolean;
}

/** Time allowed from receipt to a completed call-back, by urgency. */
const SLA_MINUTES: Record<Urgency, number> = {
  [Urgency.URGENCY_UNSPECIFIED]: 24 * 60,
  [Urgency.URGENCY_LOW]: 24 * 60,
  [Urgency.URGENCY_MEDIUM]: 6 * 60,
  [Urgency.URGENCY_HIGH]: 2 * 60,
  [Urgency.URGENCY_CRITICAL]: 30,
};

export function dueAt(urgency: Urgency, receivedAt: Date): Date {
  return new Date(receivedAt.getTime() + (SLA_MINUTES[urgency] ?? SLA_MINUTES[Urgency.URGENCY_LOW]) * 60_000);
}

export const taskIdFor = (helpRequestId: string) => `vt-${helpRequestId}`;

export function openTask(helpRequestId: string, request: RequestSnapshot, now: Date): TaskState {
  return {
    request,
    task: {
      id: taskIdFor(helpRequestId),
      version: 1,
      helpRequestId,
      urgency: request.urgency,
      status: TaskStatus.TASK_STATUS_OPEN,
      dueAt: dueAt(request.urgency, request.receivedAt ?? now),
      overdue: false,
      claimedBy: '',
      claimedByOrganisationId: '',
      claimExpiresAt: undefined,
      attempts: [],
      outcome: Outcome.OUTCOME_UNSPECIFIED,
      outcomeReason: '',
      duplicateOfHelpRequestId: '',
      correctedNeeds: [],
      createdAt: now,
      completedAt: undefined,
    },
  };
}

const claimLive = (t: VerificationTask, now: Date) =>
  t.status === TaskStatus.TASK_STATUS_CLAIMED &&
  t.claimExpiresAt !== undefined &&
  new Date(t.claimExpiresAt) > now;

/**
 * The task as of `now`: an expired claim reads as open again, and `overdue` is computed: due and not done,
 * or done after it was due (an SLA breach stays one).
 */
export function asOf(t: VerificationTask, now: Date): VerificationTask {
  const expired = t.status === TaskStatus.TASK_STATUS_CLAIMED && !claimLive(t, now);
  const open = expired
    ? {
        status: TaskStatus.TASK_STATUS_OPEN,
        claimedBy: '',
        claimedByOrganisationId: '',
        claimExpiresAt: undefined,
      }
    : {};
  const doneAt = t.status === TaskStatus.TASK_STATUS_COMPLETED ? t.completedAt : now;
  const overdue = t.dueAt !== undefined && doneAt !== undefined && new Date(t.dueAt) < new Date(doneAt);
  return { ...t, ...open, overdue };
}

/** Only one verifier holds a task; the holder may renew, anyone may take it once the claim lapsed. */
export function claim(t: VerificationTask, by: Verifier, now: Date, ttlMs: number): VerificationTask {
  const current = asOf(t, now);
  if (current.status === TaskStatus.TASK_STATUS_COMPLETED)
    throw new FailedPreconditionError('task is already completed');
  if (current.status === TaskStatus.TASK_STATUS_CLAIMED && current.claimedBy !== by.id) {
    throw new FailedPreconditionError(
      `task is claimed by another verifier until ${new Date(current.claimExpiresAt ?? now).toISOString()}`,
    );
  }
  return {
    ...current,
    status: TaskStatus.TASK_STATUS_CLAIMED,
    claimedBy: by.id,
    claimedByOrganisationId: by.organisationId,
    claimExpiresAt: new Date(now.getTime() + ttlMs),
  };
}

export function release(t: VerificationTask, by: Verifier, now: Date): VerificationTask {
  const current = asOf(t, now);
  if (current.status !== TaskStatus.TASK_STATUS_CLAIMED)
    throw new FailedPreconditionError('task is not claimed');
  if (current.claimedBy !== by.id && !by.isOperator) {
    throw new PermissionDeniedError('only the verifier holding the task or an operator may release it');
  }
  return {
    ...current,
    status: TaskStatus.TASK_STATUS_OPEN,
    claimedBy: '',
    claimedByOrganisationId: '',
    claimExpiresAt: undefined,
  };
}

export type OutcomeKind = 'verified' | 'rejected' | 'duplicate' | 'no_answer' | 'unreachable';

/** Checks the outcome request's fields; every violation names its field. */
export function validateOutcome(req: RecordOutcomeRequest, helpRequestId: string): void {
  const o = req.outcome;
  const v: { field: string; description: string }[] = [];
  if (!/^[A-Za-z0-9_.:-]{8,128}$/.test(req.idempotencyKey)) {
    v.push({
      field: 'idempotency_key',
      description: 'must be 8 to 128 characters of letters, digits, _ . : -',
    });
  }
  if (!o)
    v.push({
      field: 'outcome',
      description: 'one of verified, rejected, duplicate or no_answer is required',
    });
  else if (o.$case === 'verified') {
    if (o.value.correctedNeeds.length > 0)
      v.push(...needViolations(o.value.correctedNeeds, 'verified.corrected_needs'));
    checkText(v, 'verified.note', o.value.note, 1000, false);
  } else if (o.$case === 'rejected') {
    checkText(v, 'rejected.reason', o.value.reason, 500, true);
  } else if (o.$case === 'duplicate') {
    const other = o.value.duplicateOfHelpRequestId;
    if (other.trim() === '')
      v.push({ field: 'duplicate.duplicate_of_help_request_id', description: 'is required' });
    else if (other === helpRequestId) {
      v.push({
        field: 'duplicate.duplicate_of_help_request_id',
        description: 'cannot be the request itself',
      });
    }
  } else checkText(v, 'no_answer.note', o.value.note, 1000, false);
  if (v.length > 0) throw new InvalidArgumentError(v);
}

/**
 * Applies the result of a call by the verifier holding the task. A verified, rejected or duplicate outcome
 * completes it; no answer records an attempt and reopens the task, until `maxAttempts` make it unreachable.
 */
export function recordOutcome(
  t: VerificationTask,
  req: RecordOutcomeRequest,
  by: Verifier,
  now: Date,
  maxAttempts: number,
): { task: VerificationTask; kind: OutcomeKind } {
  const current = asOf(t, now);
  if (current.status === TaskStatus.TASK_STATUS_COMPLETED)
    throw new FailedPreconditionError('task is already completed');
  if (current.status !== TaskStatus.TASK_STATUS_CLAIMED || current.claimedBy !== by.id) {
    throw new FailedPreconditionError('claim the task before recording the outcome of a call');
  }
  const o = req.outcome;
  if (!o) throw InvalidArgumentError.field('outcome', 'is required');
  const done = (outcome: Outcome, extra: Partial<VerificationTask>): VerificationTask => ({
    ...current,
    ...extra,
    status: TaskStatus.TASK_STATUS_COMPLETED,
    outcome,
    completedAt: now,
    claimExpiresAt: undefined,
  });
  const reached = { at: now, verifierId: by.id, reached: true };
  switch (o.$case) {
    case 'verified':
      return {
        kind: 'verified',
        task: done(Outcome.OUTCOME_VERIFIED, {
          correctedNeeds: o.value.correctedNeeds,
          attempts: [...current.attempts, { ...reached, note: o.value.note }],
        }),
      };
    case 'rejected':
      return {
        kind: 'rejected',
        task: done(Outcome.OUTCOME_REJECTED, {
          outcomeReason: o.value.reason,
          attempts: [...current.attempts, { ...reached, note: o.value.reason }],
        }),
      };
    case 'duplicate':
      return {
        kind: 'duplicate',
        task: done(Outcome.OUTCOME_DUPLICATE, {
          duplicateOfHelpRequestId: o.value.duplicateOfHelpRequestId,
          attempts: [...current.attempts, { ...reached, note: o.value.note }],
        }),
      };
    case 'noAnswer': {
      const attempts = [
        ...current.attempts,
        { at: now, verifierId: by.id, note: o.value.note, reached: false },
      ];
      const failed = attempts.filter((a) => !a.reached).length;
      if (failed >= maxAttempts) {
        return {
          kind: 'unreachable',
          task: done(Outcome.OUTCOME_UNREACHABLE, {
            attempts,
            outcomeReason: `no answer after ${failed} attempts`,
          }),
        };
      }
      return {
        kind: 'no_answer',
        task: {
          ...current,
          attempts,
          status: TaskStatus.TASK_STATUS_OPEN,
          claimedBy: '',
          claimedByOrganisationId: '',
          claimExpiresAt: undefined,
        },
      };
    }
  }
}
