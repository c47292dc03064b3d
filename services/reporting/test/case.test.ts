import { Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { foldCase } from '../src/domain/case';
import type { Fact } from '../src/domain/facts';
import { Coverage, FACTS, fact, H, M, received, shuffled, T0 } from './fixtures';

const r = received('r', T0, 'huyi', 'org-hub', Urgency.URGENCY_HIGH, 2);
const opened = fact(T0, { kind: 'taskOpened', taskId: 't', requestId: 'r', dueAt: T0 + H });
const outcome = (kind: string) => fact(T0 + M, { kind, requestId: 'r', taskId: 't' });
const verified = fact(T0 + M, {
  kind: 'verified',
  requestId: 'r',
  taskId: 't',
  org: 'org-hub',
  district: 'huyi',
  community: 'huyi-c',
  urgency: Urgency.URGENCY_HIGH,
  people: 2,
  categories: [2],
});
const cancelled = fact(T0 + 2 * M, { kind: 'cancelled', requestId: 'r' });
const fulfilled = fact(T0 + H, { kind: 'coverage', requestId: 'r', coverage: Coverage.COVERAGE_FULFILLED });
const matched = fact(T0 + H, { kind: 'coverage', requestId: 'r', coverage: Coverage.COVERAGE_MATCHED });

describe('a case', () => {
  it.each<[string, Fact[], boolean]>([
    ['received only', [r], false],
    ['received and cancelled', [r, cancelled], true],
    ['cancelled with its verification task open', [r, opened, cancelled], true],
    ['rejected', [r, opened, outcome('rejected')], true],
    ['a duplicate', [r, opened, outcome('duplicate')], true],
    ['unreachable', [r, opened, outcome('unreachable')], true],
    ['verified and fulfilled', [r, opened, verified, fulfilled], true],
    ['verified and matched only', [r, opened, verified, matched], false],
    ['fulfilled with a verification task still open', [r, opened, fulfilled], false],
    ['fulfilled, its receipt not known yet', [opened, verified, fulfilled], false],
  ])('%s: final is %s', (_what, facts, final) => {
    expect(foldCase(facts).final).toBe(final);
  });

  it('gives the same rows and views in any order, each fact once', () => {
    const r1 = FACTS.filter((f) => 'requestId' in f && f.requestId === 'r1');
    const expected = foldCase(r1);
    expect(expected.rows.map((x) => x.kind).sort()).toEqual(
      [
        'collected',
        'verified',
        'matched',
        'fulfilled',
        'emergency',
        'timeToVerify',
        'timeToMatch',
        'delivery',
        'timeToDeliver',
        'volunteerActive',
      ].sort(),
    );
    expect(expected.request).toMatchObject({ id: 'r1', people: 3, suppliers: ['org-donor'] });
    expect(expected.deliveries.map((d) => d.proposalId)).toEqual(['p1']);
    for (const seed of [1, 2, 3]) expect(foldCase([...shuffled(r1, seed), ...r1])).toEqual(expected);
  });

  it('has no request for hours alone, only their row without a place', () => {
    const hours = FACTS.find((f) => f.kind === 'hours') as Fact;
    const c = foldCase([hours]);
    expect(c.request).toBeUndefined();
    expect(c.rows).toMatchObject([{ kind: 'hours', district: 'huyi', community: '', categories: [] }]);
  });
});
