import { Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { leaveInProgress, planScenario, stepsOf, takesStep, truthOf } from '../src';
import { food, insulin, request } from './requests';

describe('truthOf with requests left in progress', () => {
  it('counts each request for the stages it reached', () => {
    const critical = { urgency: Urgency.URGENCY_CRITICAL };
    const truth = truthOf([
      request('done', critical),
      // Waiting for the call-back: collected, nothing else (not even as rejected).
      request('uncalled', { ...critical, stopBefore: 'verification' }),
      request('uncalled-rejection', { stopBefore: 'verification', verification: 'rejected' }),
      // Verified, its proposal waits for the supplier: not matched, no task.
      request('proposed', { ...critical, stopBefore: 'acceptance', peopleAffected: 3 }),
      // Accepted, its task offered to a volunteer: matched, one task, nothing delivered or declined yet.
      request('offered', {
        ...critical,
        stopBefore: 'delivery',
        delivery: 'declined-then-delivered',
        district: 'huyi',
      }),
      request('offered-to-fail', { ...critical, stopBefore: 'delivery', delivery: 'failed' }),
    ]);
    expect(truth).toMatchObject({
      collected: 6,
      verified: 4,
      rejected: 0,
      matched: 3,
      fulfilled: 1,
      peopleHelped: 2,
      emergencyResponses: 2 + 3 + 2 + 2,
      deliveryTasks: 3,
      deliveriesCompleted: 1,
      deliveriesFailed: 0,
      declines: 0,
      districtsReached: 1,
      supplies: [{ category: food.category, unit: 'box', quantity: 10, value: 10 * 3500, deliveries: 1 }],
    });
  });
});

describe('takesStep and stepsOf', () => {
  it.each([
    [undefined, [true, true, true]],
    ['verification', [false, false, false]],
    ['acceptance', [true, false, false]],
    ['delivery', [true, true, false]],
  ] as const)('stopping before %s takes %j of verification, acceptance, delivery', (stop, taken) => {
    const r = request('r', stop ? { stopBefore: stop } : {});
    expect((['verification', 'acceptance', 'delivery'] as const).map((s) => takesStep(r, s))).toEqual(taken);
  });

  it('gives a request that is never matched one step only', () => {
    expect(stepsOf(request('a', {}))).toEqual(['verification', 'acceptance', 'delivery']);
    expect(stepsOf(request('b', { verification: 'rejected' }))).toEqual(['verification']);
    expect(stepsOf(request('c', { needs: [{ ...insulin, amount: 1 }] }))).toEqual(['verification']);
  });
});

describe('leaveInProgress', () => {
  const scenario = planScenario({ requests: 300, seed: 11 });
  const stopped = (s: typeof scenario) => s.requests.filter((r) => r.stopBefore);

  it('changes nothing at 0 and stops every request at 1', () => {
    expect(leaveInProgress(scenario, 0)).toEqual(scenario);
    expect(stopped(leaveInProgress(scenario, 1))).toHaveLength(300);
    expect(leaveInProgress(scenario, 1).truth).toMatchObject({ collected: 300, matched: expect.any(Number) });
  });

  it('leaves about the fraction in progress, with work waiting in every stage', () => {
    const demo = leaveInProgress(scenario, 0.3);
    const left = stopped(demo);
    expect(left.length).toBeGreaterThan(300 * 0.2);
    expect(left.length).toBeLessThan(300 * 0.4);
    for (const stage of ['verification', 'acceptance', 'delivery'] as const)
      expect(left.filter((r) => r.stopBefore === stage).length).toBeGreaterThan(10);
    // Only requests that get that far wait for a supplier or a volunteer.
    for (const r of left) expect(stepsOf(r)).toContain(r.stopBefore);
    expect(demo.truth).toEqual(truthOf(demo.requests));
    expect(demo.truth.collected).toBe(300);
    expect(demo.truth.verified).toBeLessThan(scenario.truth.verified);
    expect(demo.truth.deliveriesCompleted).toBeLessThan(scenario.truth.deliveriesCompleted);
  });

  it('decides by request key: the same requests again, and a larger fraction only adds to them', () => {
    const a = leaveInProgress(scenario, 0.3);
    expect(leaveInProgress(scenario, 0.3)).toEqual(a);
    // Applied to its own result it gives the same plan (stops are recomputed, not stacked).
    expect(leaveInProgress(a, 0.3)).toEqual(a);
    const keys = new Set(stopped(a).map((r) => r.key));
    const larger = new Set(stopped(leaveInProgress(scenario, 0.6)).map((r) => r.key));
    for (const key of keys) expect(larger).toContain(key);
  });

  it('refuses a fraction outside 0 to 1', () => {
    expect(() => leaveInProgress(scenario, 1.5)).toThrow('fraction must be within 0 and 1, got 1.5');
    expect(() => leaveInProgress(scenario, Number.NaN)).toThrow('fraction must be within 0 and 1');
  });
});
