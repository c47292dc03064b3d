import { FailedPreconditionError, InvalidArgumentError, PermissionDeniedError } from '@nuanyang/grpc-kit';
import { ItemCategory, Need, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { VulnerableGroup } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import {
  Outcome,
  RecordOutcomeRequest,
  TaskStatus,
  type VerificationTask,
} from '@nuanyang/proto/nuanyang/verification/v1/verification';
import {
  asOf,
  claim,
  dueAt,
  openTask,
  type RequestSnapshot,
  recordOutcome,
  release,
  taskIdFor,
  type Verifier,
  validateOutcome,
} from '../src/domain/tasks';

const MIN = 60_000;
const HOUR = 60 * MIN;
const TTL = 15 * MIN;
const received = new Date('2021-12-28T09:51:00Z');
const at = (ms: number) => new Date(received.getTime() + ms);

const alice: Verifier = { id: 'u-alice', organisationId: 'org-a', isOperator: false };
const bob: Verifier = { id: 'u-bob', organisationId: 'org-b', isOperator: false };
const operator: Verifier = { id: 'u-op', organisationId: 'org-centre', isOperator: true };

const need = (amount = 2) =>
  Need.fromPartial({
    needId: 'n-1',
    category: ItemCategory.ITEM_CATEGORY_MEDICINE,
    itemName: 'insulin pens',
    quantity: { amount, unit: 'pen' },
  });

const snapshot = (overrides: Partial<RequestSnapshot> = {}): RequestSnapshot => ({
  location: { district: 'yanta', community: '小寨社区', address: '', coordinates: undefined },
  needs: [need()],
  urgency: Urgency.URGENCY_HIGH,
  submittingOrganisationId: 'org-p',
  peopleAffected: 1,
  vulnerableGroups: [VulnerableGroup.VULNERABLE_GROUP_CHRONICALLY_ILL],
  priorityScore: 60,
  receivedAt: received,
  ...overrides,
});

/** A fresh HIGH task: due 2 h after receipt, opened 1 minute after receipt. */
const fresh = () => openTask('hr-1', snapshot(), at(MIN)).task;
/** A task held by alice, claimed at `claimedAt` for TTL. */
const heldBy = (v: Verifier, claimedAt = at(2 * MIN)) => claim(fresh(), v, claimedAt, TTL);

const outcome = (o: RecordOutcomeRequest['outcome']) =>
  RecordOutcomeRequest.fromPartial({ taskId: taskIdFor('hr-1'), idempotencyKey: 'outcome-0001', outcome: o });
const verified = (correctedNeeds: Need[] = [], note = 'confirmed on the phone') =>
  outcome({ $case: 'verified', value: { correctedNeeds, note } });
const rejected = (reason = 'not in the affected area') => outcome({ $case: 'rejected', value: { reason } });
const duplicate = (of = 'hr-0', note = 'same household') =>
  outcome({ $case: 'duplicate', value: { duplicateOfHelpRequestId: of, note } });
const noAnswer = (note = 'no answer') => outcome({ $case: 'noAnswer', value: { note } });

/** The error thrown by `fn`, failing the test when nothing is thrown. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error to be thrown');
}
const violationFields = (fn: () => unknown) => {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(InvalidArgumentError);
  return (e as InvalidArgumentError).violations.map((v) => v.field);
};

describe('dueAt', () => {
  it.each([
    ['CRITICAL', Urgency.URGENCY_CRITICAL, 30 * MIN],
    ['HIGH', Urgency.URGENCY_HIGH, 2 * HOUR],
    ['MEDIUM', Urgency.URGENCY_MEDIUM, 6 * HOUR],
    ['LOW', Urgency.URGENCY_LOW, 24 * HOUR],
    ['UNSPECIFIED (as LOW)', Urgency.URGENCY_UNSPECIFIED, 24 * HOUR],
    ['unknown (as LOW)', 9 as Urgency, 24 * HOUR],
  ])('gives %s its SLA', (_name, urgency, ms) => {
    expect(dueAt(urgency, received)).toEqual(at(ms));
  });

  it('does not change the receipt time it is given', () => {
    const r = new Date(received);
    dueAt(Urgency.URGENCY_CRITICAL, r);
    expect(r).toEqual(received);
  });
});

describe('openTask', () => {
  it('opens an unclaimed task due by the urgency of the request', () => {
    const request = snapshot({ urgency: Urgency.URGENCY_CRITICAL });
    const now = at(5 * MIN);
    const state = openTask('hr-9', request, now);
    expect(state.request).toBe(request);
    expect(state.task).toEqual({
      id: 'vt-hr-9',
      version: 1,
      helpRequestId: 'hr-9',
      urgency: Urgency.URGENCY_CRITICAL,
      status: TaskStatus.TASK_STATUS_OPEN,
      dueAt: at(30 * MIN),
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
    });
  });

  it('counts the SLA from now when the receipt time is unknown', () => {
    const now = at(HOUR);
    const { task } = openTask(
      'hr-2',
      snapshot({ urgency: Urgency.URGENCY_MEDIUM, receivedAt: undefined }),
      now,
    );
    expect(task.dueAt).toEqual(new Date(now.getTime() + 6 * HOUR));
  });

  it('names the task after the help request', () => {
    expect(taskIdFor('hr-1')).toBe('vt-hr-1');
    expect(openTask('hr-1', snapshot(), received).task.id).toBe(taskIdFor('hr-1'));
  });
});

describe('asOf', () => {
  it('keeps a live claim', () => {
    const t = heldBy(alice);
    const seen = asOf(t, at(2 * MIN + TTL - 1));
    expect(seen.status).toBe(TaskStatus.TASK_STATUS_CLAIMED);
    expect(seen.claimedBy).toBe(alice.id);
    expect(seen.claimedByOrganisationId).toBe(alice.organisationId);
  });

  it.each([
    ['exactly when it lapses', 0],
    ['after it lapsed', 1],
    ['long after it lapsed', 10 * HOUR],
  ])('reads an expired claim as open with the holder cleared (%s)', (_case, after) => {
    const t = heldBy(alice);
    const seen = asOf(t, at(2 * MIN + TTL + after));
    expect(seen.status).toBe(TaskStatus.TASK_STATUS_OPEN);
    expect(seen.claimedBy).toBe('');
    expect(seen.claimedByOrganisationId).toBe('');
    expect(seen.claimExpiresAt).toBeUndefined();
  });

  it('reads a claimed task without an expiry as open', () => {
    const t: VerificationTask = { ...heldBy(alice), claimExpiresAt: undefined };
    expect(asOf(t, at(3 * MIN)).status).toBe(TaskStatus.TASK_STATUS_OPEN);
  });

  it.each([
    ['open, before the due time', TaskStatus.TASK_STATUS_OPEN, 2 * HOUR - 1, false],
    ['open, at the due time', TaskStatus.TASK_STATUS_OPEN, 2 * HOUR, false],
    ['open, after the due time', TaskStatus.TASK_STATUS_OPEN, 2 * HOUR + 1, true],
    ['claimed, after the due time', TaskStatus.TASK_STATUS_CLAIMED, 3 * HOUR, true],
    ['completed in time, read after the due time', TaskStatus.TASK_STATUS_COMPLETED, 30 * HOUR, false],
  ])('computes overdue for a task %s', (_case, status, time, expected) => {
    const t: VerificationTask = {
      ...fresh(),
      status,
      completedAt: status === TaskStatus.TASK_STATUS_COMPLETED ? at(HOUR) : undefined,
      claimedBy: alice.id,
      claimExpiresAt: at(100 * HOUR),
      overdue: !expected,
    };
    expect(asOf(t, at(time)).overdue).toBe(expected);
  });

  it('leaves a completed task as it is, whatever its claim said', () => {
    const t: VerificationTask = {
      ...fresh(),
      status: TaskStatus.TASK_STATUS_COMPLETED,
      claimedBy: alice.id,
      claimExpiresAt: at(3 * MIN),
    };
    const seen = asOf(t, at(10 * HOUR));
    expect(seen.status).toBe(TaskStatus.TASK_STATUS_COMPLETED);
    expect(seen.claimedBy).toBe(alice.id);
  });

  it('does not mutate the task', () => {
    const t = heldBy(alice);
    const before = structuredClone(t);
    asOf(t, at(10 * HOUR));
    expect(t).toEqual(before);
  });
});

describe('claim', () => {
  it('claims an open task until now + ttl', () => {
    const now = at(2 * MIN);
    const t = claim(fresh(), alice, now, TTL);
    expect(t.status).toBe(TaskStatus.TASK_STATUS_CLAIMED);
    expect(t.claimedBy).toBe(alice.id);
    expect(t.claimedByOrganisationId).toBe(alice.organisationId);
    expect(t.claimExpiresAt).toEqual(new Date(now.getTime() + TTL));
  });

  it.each([
    ['another verifier', bob],
    ['an operator', operator],
  ])('refuses %s while the claim is held', (_case, who) => {
    const t = heldBy(alice);
    const e = thrown(() => claim(t, who, at(2 * MIN + TTL - 1), TTL));
    expect(e).toBeInstanceOf(FailedPreconditionError);
  });

  it('lets the holder renew the claim', () => {
    const t = heldBy(alice);
    const renewed = claim(t, alice, at(10 * MIN), TTL);
    expect(renewed.claimedBy).toBe(alice.id);
    expect(renewed.claimExpiresAt).toEqual(at(10 * MIN + TTL));
  });

  it.each([
    ['another verifier', bob],
    ['the former holder', alice],
  ])('lets %s take it once the claim lapsed', (_case, who) => {
    const t = heldBy(alice);
    const now = at(2 * MIN + TTL);
    const taken = claim(t, who, now, TTL);
    expect(taken.status).toBe(TaskStatus.TASK_STATUS_CLAIMED);
    expect(taken.claimedBy).toBe(who.id);
    expect(taken.claimedByOrganisationId).toBe(who.organisationId);
    expect(taken.claimExpiresAt).toEqual(new Date(now.getTime() + TTL));
  });

  it('refuses a completed task, even to its last holder', () => {
    const { task } = recordOutcome(heldBy(alice), verified(), alice, at(3 * MIN), 3);
    expect(thrown(() => claim(task, alice, at(4 * MIN), TTL))).toBeInstanceOf(FailedPreconditionError);
    expect(thrown(() => claim(task, bob, at(4 * MIN), TTL))).toBeInstanceOf(FailedPreconditionError);
  });

  it('does not mutate the task', () => {
    const t = fresh();
    const before = structuredClone(t);
    claim(t, alice, at(2 * MIN), TTL);
    expect(t).toEqual(before);
  });
});

describe('release', () => {
  it.each([
    ['the holder', alice],
    ['an operator', operator],
  ])('lets %s release the task', (_case, who) => {
    const t = release(heldBy(alice), who, at(3 * MIN));
    expect(t.status).toBe(TaskStatus.TASK_STATUS_OPEN);
    expect(t.claimedBy).toBe('');
    expect(t.claimedByOrganisationId).toBe('');
    expect(t.claimExpiresAt).toBeUndefined();
  });

  it('refuses another verifier', () => {
    expect(thrown(() => release(heldBy(alice), bob, at(3 * MIN)))).toBeInstanceOf(PermissionDeniedError);
  });

  it('refuses another verifier of the same organisation', () => {
    const colleague: Verifier = { ...bob, organisationId: alice.organisationId };
    expect(thrown(() => release(heldBy(alice), colleague, at(3 * MIN)))).toBeInstanceOf(
      PermissionDeniedError,
    );
  });

  it.each<[string, () => VerificationTask, Verifier, Date]>([
    ['an open task', fresh, alice, at(4 * MIN)],
    ['an open task, for an operator', fresh, operator, at(4 * MIN)],
    ['a task whose claim lapsed', () => heldBy(alice), alice, at(2 * MIN + TTL + 1)],
    ['a task whose claim lapsed, for an operator', () => heldBy(alice), operator, at(2 * MIN + TTL + 1)],
    [
      'a completed task',
      () => recordOutcome(heldBy(alice), rejected(), alice, at(3 * MIN), 3).task,
      alice,
      at(4 * MIN),
    ],
  ])('refuses to release %s', (_case, task, who, now) => {
    expect(thrown(() => release(task(), who, now))).toBeInstanceOf(FailedPreconditionError);
  });

  it('does not mutate the task', () => {
    const t = heldBy(alice);
    const before = structuredClone(t);
    release(t, alice, at(3 * MIN));
    expect(t).toEqual(before);
  });
});

describe('validateOutcome', () => {
  it.each<[string, RecordOutcomeRequest]>([
    ['verified without corrections', verified()],
    ['verified with valid corrections', verified([need(5)])],
    ['rejected with a reason', rejected()],
    ['a duplicate of another request', duplicate()],
    ['no answer', noAnswer()],
    ['no answer without a note', noAnswer('')],
  ])('accepts %s', (_case, req) => {
    expect(() => validateOutcome(req, 'hr-1')).not.toThrow();
  });

  it.each<[string, RecordOutcomeRequest, string[]]>([
    ['a missing outcome', outcome(undefined), ['outcome']],
    [
      'an empty idempotency key',
      RecordOutcomeRequest.fromPartial({ ...noAnswer(), idempotencyKey: '' }),
      ['idempotency_key'],
    ],
    [
      'a short idempotency key',
      RecordOutcomeRequest.fromPartial({ ...noAnswer(), idempotencyKey: 'abc' }),
      ['idempotency_key'],
    ],
    [
      'an idempotency key with spaces',
      RecordOutcomeRequest.fromPartial({ ...noAnswer(), idempotencyKey: 'my outcome key' }),
      ['idempotency_key'],
    ],
    ['rejected with an empty reason', rejected(''), ['rejected.reason']],
    ['rejected with a blank reason', rejected('   '), ['rejected.reason']],
    ['rejected with a too long reason', rejected('r'.repeat(501)), ['rejected.reason']],
    ['a duplicate of itself', duplicate('hr-1'), ['duplicate.duplicate_of_help_request_id']],
    ['a duplicate of nothing', duplicate(' '), ['duplicate.duplicate_of_help_request_id']],
    [
      'corrected needs with a zero quantity',
      verified([need(0)]),
      ['verified.corrected_needs[0].quantity.amount'],
    ],
    [
      'corrected needs with a fractional quantity in the second need',
      verified([need(1), need(1.5)]),
      ['verified.corrected_needs[1].quantity.amount'],
    ],
    [
      'corrected needs with an unknown category',
      verified([Need.fromPartial({ ...need(), category: 777 as ItemCategory })]),
      ['verified.corrected_needs[0].category'],
    ],
    ['a too long verified note', verified([], 'n'.repeat(1001)), ['verified.note']],
    ['a too long no-answer note', noAnswer('n'.repeat(1001)), ['no_answer.note']],
  ])('reports %s', (_case, req, fields) => {
    expect(violationFields(() => validateOutcome(req, 'hr-1'))).toEqual(fields);
  });

  it('reports the key and the outcome together', () => {
    const req = RecordOutcomeRequest.fromPartial({ idempotencyKey: 'x', outcome: undefined });
    expect(violationFields(() => validateOutcome(req, 'hr-1'))).toEqual(['idempotency_key', 'outcome']);
  });
});

describe('recordOutcome', () => {
  const now = at(10 * MIN);

  it.each<[string, () => VerificationTask, Verifier]>([
    ['an open task', fresh, alice],
    ['a task held by someone else', () => heldBy(bob), alice],
    ['a task held by someone else, for an operator', () => heldBy(bob), operator],
    ['a task whose claim lapsed', () => heldBy(alice, at(-TTL)), alice],
    ['a completed task', () => recordOutcome(heldBy(alice), verified(), alice, at(3 * MIN), 3).task, alice],
  ])('refuses %s: the caller must hold the claim', (_case, task, who) => {
    expect(thrown(() => recordOutcome(task(), verified(), who, now, 3))).toBeInstanceOf(
      FailedPreconditionError,
    );
  });

  it('refuses a missing outcome', () => {
    expect(thrown(() => recordOutcome(heldBy(alice), outcome(undefined), alice, now, 3))).toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('completes a verified task with the corrected needs', () => {
    const corrected = [need(4)];
    const { kind, task } = recordOutcome(heldBy(alice), verified(corrected, 'needs 4, not 2'), alice, now, 3);
    expect(kind).toBe('verified');
    expect(task.status).toBe(TaskStatus.TASK_STATUS_COMPLETED);
    expect(task.outcome).toBe(Outcome.OUTCOME_VERIFIED);
    expect(task.correctedNeeds).toEqual(corrected);
    expect(task.completedAt).toEqual(now);
    expect(task.claimExpiresAt).toBeUndefined();
    expect(task.claimedBy).toBe(alice.id);
    expect(task.attempts).toEqual([{ at: now, verifierId: alice.id, note: 'needs 4, not 2', reached: true }]);
  });

  it('completes a rejected task with its reason', () => {
    const { kind, task } = recordOutcome(heldBy(alice), rejected('outside Xi’an'), alice, now, 3);
    expect(kind).toBe('rejected');
    expect(task.status).toBe(TaskStatus.TASK_STATUS_COMPLETED);
    expect(task.outcome).toBe(Outcome.OUTCOME_REJECTED);
    expect(task.outcomeReason).toBe('outside Xi’an');
    expect(task.completedAt).toEqual(now);
    expect(task.attempts).toHaveLength(1);
    expect(task.attempts[0]?.reached).toBe(true);
  });

  it('completes a duplicate with the other request', () => {
    const { kind, task } = recordOutcome(heldBy(alice), duplicate('hr-0'), alice, now, 3);
    expect(kind).toBe('duplicate');
    expect(task.status).toBe(TaskStatus.TASK_STATUS_COMPLETED);
    expect(task.outcome).toBe(Outcome.OUTCOME_DUPLICATE);
    expect(task.duplicateOfHelpRequestId).toBe('hr-0');
    expect(task.completedAt).toEqual(now);
  });

  it('stays overdue when completed after the due time, and is not when completed in time', () => {
    const late = recordOutcome(heldBy(alice, at(5 * HOUR - MIN)), verified(), alice, at(5 * HOUR), 3).task;
    expect(asOf(late, at(50 * HOUR)).overdue).toBe(true);
    const inTime = recordOutcome(heldBy(alice, at(HOUR - MIN)), verified(), alice, at(HOUR), 3).task;
    expect(asOf(inTime, at(50 * HOUR)).overdue).toBe(false);
  });

  it('reopens the task and records the attempt when nobody answers', () => {
    const { kind, task } = recordOutcome(heldBy(alice), noAnswer('rang 10 times'), alice, now, 3);
    expect(kind).toBe('no_answer');
    expect(task.status).toBe(TaskStatus.TASK_STATUS_OPEN);
    expect(task.outcome).toBe(Outcome.OUTCOME_UNSPECIFIED);
    expect(task.claimedBy).toBe('');
    expect(task.claimedByOrganisationId).toBe('');
    expect(task.claimExpiresAt).toBeUndefined();
    expect(task.completedAt).toBeUndefined();
    expect(task.attempts).toEqual([{ at: now, verifierId: alice.id, note: 'rang 10 times', reached: false }]);
  });

  it.each([1, 2, 3, 5].map((n) => [n, n]))(
    'with maxAttempts %p, the no-answer number %p makes it unreachable',
    (maxAttempts) => {
      let t = fresh();
      const verifiers = [alice, bob];
      for (let i = 1; i <= maxAttempts; i++) {
        const who = verifiers[i % 2] as Verifier;
        const when = at(i * HOUR);
        t = claim(t, who, when, TTL);
        const { kind, task } = recordOutcome(
          t,
          noAnswer(`try ${i}`),
          who,
          new Date(when.getTime() + MIN),
          maxAttempts,
        );
        t = task;
        expect(task.attempts).toHaveLength(i);
        if (i < maxAttempts) {
          expect(kind).toBe('no_answer');
          expect(task.status).toBe(TaskStatus.TASK_STATUS_OPEN);
        } else {
          expect(kind).toBe('unreachable');
          expect(task.status).toBe(TaskStatus.TASK_STATUS_COMPLETED);
          expect(task.outcome).toBe(Outcome.OUTCOME_UNREACHABLE);
          expect(task.outcomeReason).toContain(String(maxAttempts));
          expect(task.completedAt).toEqual(new Date(when.getTime() + MIN));
          expect(task.attempts.every((a) => !a.reached)).toBe(true);
        }
      }
      expect(thrown(() => claim(t, alice, at(100 * HOUR), TTL))).toBeInstanceOf(FailedPreconditionError);
    },
  );

  it('can still verify a task after unanswered calls, keeping every attempt', () => {
    let t = heldBy(alice);
    t = recordOutcome(t, noAnswer(), alice, at(3 * MIN), 3).task;
    t = recordOutcome(claim(t, bob, at(30 * MIN), TTL), noAnswer(), bob, at(31 * MIN), 3).task;
    const { kind, task } = recordOutcome(
      claim(t, alice, at(HOUR), TTL),
      verified(),
      alice,
      at(HOUR + MIN),
      3,
    );
    expect(kind).toBe('verified');
    expect(task.attempts.map((a) => [a.verifierId, a.reached])).toEqual([
      [alice.id, false],
      [bob.id, false],
      [alice.id, true],
    ]);
  });

  it('does not mutate the task', () => {
    const t = heldBy(alice);
    const before = structuredClone(t);
    recordOutcome(t, verified([need(3)]), alice, now, 3);
    recordOutcome(t, noAnswer(), alice, now, 3);
    expect(t).toEqual(before);
  });
});
