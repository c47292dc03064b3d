import type { Principal } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { HelpRequest } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { HelpRequestVerified } from '@nuanyang/proto/nuanyang/verification/v1/events';
import {
  Outcome,
  RecordOutcomeRequest,
  TaskStatus,
} from '@nuanyang/proto/nuanyang/verification/v1/verification';
import { MemoryStore } from '@nuanyang/store';
import type { TaskState } from '../src/domain/tasks';
import { VerificationTasks } from '../src/tasks';

// The application class over the in-memory store: what the service does with a task, without servers.

const verifier = (subject: string, org = 'org-v'): Principal => ({
  subject,
  organisationId: org,
  roles: ['verifier'],
});

const request = HelpRequest.fromPartial({
  id: 'hr-1',
  location: { district: 'yanta', community: '小寨社区', address: '雁塔路 1 号', coordinates: undefined },
  needs: [
    {
      needId: 'hr-1-n1',
      category: ItemCategory.ITEM_CATEGORY_MEDICINE,
      itemName: 'insulin',
      quantity: { amount: 2, unit: 'pen' },
    },
  ],
  urgency: Urgency.URGENCY_HIGH,
  submittingOrganisationId: 'org-p',
  peopleAffected: 1,
  receivedAt: new Date(),
});

const verifiedOutcome = (key: string, note = 'confirmed') =>
  RecordOutcomeRequest.fromPartial({
    taskId: 'vt-hr-1',
    idempotencyKey: key,
    outcome: { $case: 'verified', value: { correctedNeeds: [], note } },
  });

function setup() {
  const store = new MemoryStore<TaskState>('verification_task');
  const listing = { list: () => Promise.reject(new Error('not used by these cases')) };
  const tasks = new VerificationTasks(store, listing, { claimTtlMs: 15 * 60_000, maxCallAttempts: 3 });
  return { store, tasks };
}

describe('VerificationTasks on the in-memory store', () => {
  it('opens one task per received request, however often the event comes', async () => {
    const { store, tasks } = setup();
    expect(await tasks.open(request)).toBe(true);
    expect(await tasks.open(request)).toBe(false);
    expect(store.history('vt-hr-1')).toHaveLength(1);
    expect(store.events.map((e) => e.subject)).toEqual([SUBJECTS.verification.taskOpened]);
    // No personal data leaves intake through verification.
    expect(JSON.stringify(store.history('vt-hr-1'))).not.toContain('雁塔路');
  });

  it('lets one of two racing verifiers claim, then records the outcome once per key', async () => {
    const { store, tasks } = setup();
    await tasks.open(request);
    const claims = await Promise.allSettled([
      tasks.claim('vt-hr-1', verifier('alice')),
      tasks.claim('vt-hr-1', verifier('bob', 'org-w')),
    ]);
    const won = claims.filter((c) => c.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(claims.filter((c) => c.status === 'rejected')[0]).toMatchObject({
      reason: { name: 'FailedPreconditionError' },
    });
    const holder = (won[0] as PromiseFulfilledResult<{ claimedBy: string }>).value.claimedBy;

    const first = await tasks.recordOutcome(verifiedOutcome('outcome-0001'), verifier(holder));
    expect(first).toMatchObject({
      replayed: false,
      task: { status: TaskStatus.TASK_STATUS_COMPLETED, outcome: Outcome.OUTCOME_VERIFIED },
    });
    const retry = await tasks.recordOutcome(verifiedOutcome('outcome-0001'), verifier(holder));
    expect(retry).toMatchObject({ replayed: true, task: { version: first.task.version } });
    await expect(
      tasks.recordOutcome(verifiedOutcome('outcome-0001', 'another body'), verifier(holder)),
    ).rejects.toMatchObject({ name: 'IdempotencyKeyReusedError' });

    const verifiedEvents = store.events.filter((e) => e.subject === SUBJECTS.verification.verified);
    expect(verifiedEvents).toHaveLength(1);
    const event = HelpRequestVerified.decode(verifiedEvents[0]?.data ?? new Uint8Array());
    expect(event).toMatchObject({ helpRequestId: 'hr-1', taskId: 'vt-hr-1', verifiedBy: holder });
    expect(event.meta).toMatchObject({ aggregateId: 'vt-hr-1', aggregateVersion: 3, actorUserId: holder });
  });

  it('answers NOT_FOUND for an unknown task', async () => {
    const { tasks } = setup();
    await expect(tasks.claim('vt-missing', verifier('alice'))).rejects.toMatchObject({ code: 5 });
    await expect(
      tasks.recordOutcome(verifiedOutcome('outcome-0002'), verifier('alice')),
    ).rejects.toMatchObject({
      code: 5,
    });
  });
});
