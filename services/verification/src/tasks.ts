import { createHash } from 'node:crypto';
import type { Principal } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import { NotFoundError, pageOf, readPage } from '@nuanyang/grpc-kit';
import type { HelpRequest } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import {
  CallAttemptFailed,
  HelpRequestMarkedDuplicate,
  HelpRequestRejected,
  HelpRequestUnreachable,
  HelpRequestVerified,
  VerificationTaskClaimed,
  VerificationTaskOpened,
  VerificationTaskReleased,
} from '@nuanyang/proto/nuanyang/verification/v1/events';
import {
  type ListTasksRequest,
  RecordOutcomeRequest,
  type VerificationTask,
} from '@nuanyang/proto/nuanyang/verification/v1/verification';
import type { Actor, EventDraft, EventStore } from '@nuanyang/store';
import {
  asOf,
  claim,
  type OutcomeKind,
  openTask,
  recordOutcome,
  release,
  type TaskState,
  type Verifier,
  validateOutcome,
} from './domain/tasks';
import type { TaskViews } from './read-model';

/** The queries the application needs of the read model (TaskViews). */
export type TaskQueries = Pick<TaskViews, 'list'>;

export interface TaskPolicy {
  claimTtlMs: number;
  maxCallAttempts: number;
}

const verifierOf = (p: Principal): Verifier => ({
  id: p.subject,
  organisationId: p.organisationId,
  isOperator: p.roles.includes('operator'),
});

const actorOf = (v: Verifier): Actor => ({ organisationId: v.organisationId, userId: v.id });

/** The event that tells the rest of the loop what the call found. */
function outcomeEvent(kind: OutcomeKind, s: TaskState, by: Verifier, maxAttempts: number): EventDraft {
  const t = s.task;
  const base = { helpRequestId: t.helpRequestId, taskId: t.id };
  const v = SUBJECTS.verification;
  switch (kind) {
    case 'verified':
      return {
        subject: v.verified,
        encode: (meta) =>
          HelpRequestVerified.encode({
            meta,
            ...base,
            ...s.request,
            correctedNeeds: t.correctedNeeds.length > 0 ? t.correctedNeeds : s.request.needs,
            verifiedBy: by.id,
          }).finish(),
      };
    case 'rejected':
      return {
        subject: v.rejected,
        encode: (meta) => HelpRequestRejected.encode({ meta, ...base, reason: t.outcomeReason }).finish(),
      };
    case 'duplicate':
      return {
        subject: v.markedDuplicate,
        encode: (meta) =>
          HelpRequestMarkedDuplicate.encode({
            meta,
            ...base,
            duplicateOfHelpRequestId: t.duplicateOfHelpRequestId,
          }).finish(),
      };
    case 'unreachable':
      return {
        subject: v.unreachable,
        encode: (meta) =>
          HelpRequestUnreachable.encode({
            meta,
            ...base,
            attempts: t.attempts.length,
          }).finish(),
      };
    case 'no_answer':
      return {
        subject: v.callAttemptFailed,
        encode: (meta) =>
          CallAttemptFailed.encode({
            meta,
            ...base,
            attempt: t.attempts[t.attempts.length - 1],
            attempts: t.attempts.filter((a) => !a.reached).length,
            maxAttempts,
          }).finish(),
      };
  }
}

/** Call-back tasks: opened per received request, claimed by one verifier at a time, closed by an outcome. */
export class VerificationTasks {
  constructor(
    private readonly store: EventStore<TaskState>,
    private readonly views: TaskQueries,
    private readonly policy: TaskPolicy,
  ) {}

  /** Opens the task of a received request; a redelivered event finds it open already and changes nothing. */
  async open(request: HelpRequest): Promise<boolean> {
    const now = new Date();
    const state = openTask(
      request.id,
      {
        // No personal data leaves intake through verification: district and community, coarse coordinates.
        location: request.location && {
          district: request.location.district,
          community: request.location.community,
          address: '',
          coordinates: request.location.coordinates && {
            latitude: Math.round(request.location.coordinates.latitude * 100) / 100,
            longitude: Math.round(request.location.coordinates.longitude * 100) / 100,
          },
        },
        needs: request.needs,
        urgency: request.urgency,
        submittingOrganisationId: request.submittingOrganisationId,
        peopleAffected: request.peopleAffected,
        vulnerableGroups: request.vulnerableGroups,
        priorityScore: request.priorityScore,
        receivedAt: request.receivedAt,
      },
      now,
    );
    const opened: EventDraft = {
      subject: SUBJECTS.verification.taskOpened,
      encode: (meta) =>
        VerificationTaskOpened.encode({
          meta,
          taskId: state.task.id,
          helpRequestId: request.id,
          urgency: state.task.urgency,
          dueAt: state.task.dueAt,
        }).finish(),
    };
    const { applied } = await this.store.create(state.task.id, { state, events: [opened] });
    return applied;
  }

  async get(id: string): Promise<VerificationTask> {
    const change = await this.store.load(id);
    if (!change) throw new NotFoundError(`verification task ${id} not found`);
    return asOf(change.state.task, new Date());
  }

  /** Overdue first: open and claimed tasks by due time, oldest due first. */
  async list(req: ListTasksRequest): Promise<{ tasks: VerificationTask[]; nextPageToken: string }> {
    const at = readPage(req.page);
    const now = new Date();
    const rows = await this.views.list(req, now, at.offset + at.limit + 1);
    const { items, nextPageToken } = pageOf(rows.slice(at.offset), at);
    return { tasks: items.map((t) => asOf(t, now)), nextPageToken };
  }

  async claim(id: string, principal: Principal): Promise<VerificationTask> {
    const by = verifierOf(principal);
    const { change } = await this.store.update(
      id,
      (current) => {
        const now = new Date();
        const task = {
          ...claim(current.state.task, by, now, this.policy.claimTtlMs),
          version: current.version + 1,
        };
        const claimed: EventDraft = {
          subject: SUBJECTS.verification.taskClaimed,
          encode: (meta) =>
            VerificationTaskClaimed.encode({
              meta,
              taskId: id,
              helpRequestId: task.helpRequestId,
              claimedBy: by.id,
              claimedByOrganisationId: by.organisationId,
              claimExpiresAt: task.claimExpiresAt,
            }).finish(),
        };
        return { state: { ...current.state, task }, events: [claimed] };
      },
      { actor: actorOf(by) },
    );
    return asOf(change.state.task, new Date());
  }

  async release(id: string, principal: Principal): Promise<VerificationTask> {
    const by = verifierOf(principal);
    const { change } = await this.store.update(
      id,
      (current) => {
        const task = { ...release(current.state.task, by, new Date()), version: current.version + 1 };
        const released: EventDraft = {
          subject: SUBJECTS.verification.taskReleased,
          encode: (meta) =>
            VerificationTaskReleased.encode({
              meta,
              taskId: id,
              helpRequestId: task.helpRequestId,
              releasedBy: by.id,
            }).finish(),
        };
        return { state: { ...current.state, task }, events: [released] };
      },
      { actor: actorOf(by) },
    );
    return asOf(change.state.task, new Date());
  }

  /**
   * Records a call's outcome once per idempotency key: a retry returns the first result, the same key with
   * another outcome is ALREADY_EXISTS.
   */
  async recordOutcome(
    req: RecordOutcomeRequest,
    principal: Principal,
  ): Promise<{ task: VerificationTask; replayed: boolean }> {
    const by = verifierOf(principal);
    const hash = createHash('sha256').update(RecordOutcomeRequest.encode(req).finish()).digest('hex');
    const { change, applied } = await this.store.update(
      req.taskId,
      (current) => {
        validateOutcome(req, current.state.task.helpRequestId);
        const { task, kind } = recordOutcome(
          current.state.task,
          req,
          by,
          new Date(),
          this.policy.maxCallAttempts,
        );
        const next = { ...current.state, task: { ...task, version: current.version + 1 } };
        return { state: next, events: [outcomeEvent(kind, next, by, this.policy.maxCallAttempts)] };
      },
      {
        causedBy: `outcome:${principal.subject}:${req.idempotencyKey}`,
        requestHash: hash,
        actor: actorOf(by),
      },
    );
    return { task: asOf(change.state.task, new Date()), replayed: !applied };
  }
}
