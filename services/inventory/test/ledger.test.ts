import { FailedPreconditionError } from '@nuanyang/grpc-kit';
import { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import { AdjustmentReason, LedgerEntryKind } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import {
  type Actor,
  adjust,
  balanceViolations,
  endHold,
  type HoldOutcome,
  isExpired,
  type LotState,
  NO_EXPIRY,
  receive,
  reserve,
  stateViolations,
} from '../src/domain/ledger';

const t0 = new Date('2021-12-28T17:51:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const donor: Actor = { userId: 'u-donor', organisationId: 'org-donor' };
const matching: Actor = { userId: 'svc-matching', organisationId: 'org-platform' };

const lotOf = (received = 10, expiresAt: Date | null = at(24 * 60)) =>
  receive(
    {
      id: 'of-1-l1',
      offerId: 'of-1',
      donorOrganisationId: 'org-donor',
      category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
      itemName: '方便面',
      unit: 'box',
      unitValue: { currencyCode: 'CNY', minorUnits: 4500 },
      expiresAt: expiresAt ?? undefined,
      location: { district: 'huyi', community: '龙窝村', address: '', coordinates: undefined },
      warehouseId: '',
    },
    received,
    t0,
    donor,
  );

const balances = (s: LotState) => {
  const { received, available, reserved, committed, adjusted } = s.lot;
  return { received, available, reserved, committed, adjusted };
};

/** The error `fn` throws, failing the test when it throws nothing. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

type Op =
  | { reserve: [string, number] }
  | { end: [string, HoldOutcome] }
  | { adjust: [number, AdjustmentReason] };

/** Applies ops in order; a null decision (nothing to change) keeps the state. Checks the invariant each step. */
function run(s: LotState, ops: Op[], now = at(1)): LotState {
  for (const op of ops) {
    const next =
      'reserve' in op
        ? reserve(s, op.reserve[0], op.reserve[1], now, matching)
        : 'end' in op
          ? endHold(s, op.end[0], op.end[1], now, matching)
          : adjust(s, op.adjust[0], op.adjust[1], 'recount', now, donor);
    if (next) {
      expect(stateViolations(next)).toEqual([]);
      expect(next.lot.version).toBe(s.lot.version + 1);
      s = next;
    }
  }
  return s;
}

const D = AdjustmentReason.ADJUSTMENT_REASON_DAMAGED;
const C = AdjustmentReason.ADJUSTMENT_REASON_COUNT_CORRECTION;

describe('receive', () => {
  it('starts a lot at version 1 with everything available and a RECEIVED entry', () => {
    const s = lotOf(40);
    expect(balances(s)).toEqual({ received: 40, available: 40, reserved: 0, committed: 0, adjusted: 0 });
    expect(s.lot.version).toBe(1);
    expect(s.entry).toMatchObject({
      lotId: 'of-1-l1',
      version: 1,
      kind: LedgerEntryKind.LEDGER_ENTRY_KIND_RECEIVED,
      quantity: 40,
      availableAfter: 40,
      actorUserId: 'u-donor',
      actorOrganisationId: 'org-donor',
    });
    expect(s.holds).toEqual([]);
    expect(stateViolations(s)).toEqual([]);
  });

  it('sorts goods that do not expire after every real expiry', () => {
    expect(lotOf(1, null).expirySortKey).toEqual(NO_EXPIRY);
    expect(lotOf(1, at(60)).expirySortKey).toEqual(at(60));
  });
});

describe('balances after a sequence of ledger entries (lot of 10)', () => {
  const cases: { name: string; ops: Op[]; want: Partial<ReturnType<typeof balances>>; holds: number }[] = [
    { name: 'reserve part', ops: [{ reserve: ['r1', 4] }], want: { available: 6, reserved: 4 }, holds: 1 },
    { name: 'reserve all', ops: [{ reserve: ['r1', 10] }], want: { available: 0, reserved: 10 }, holds: 1 },
    {
      name: 'two reservations',
      ops: [{ reserve: ['r1', 4] }, { reserve: ['r2', 5] }],
      want: { available: 1, reserved: 9 },
      holds: 2,
    },
    {
      name: 'the same reservation twice holds once',
      ops: [{ reserve: ['r1', 4] }, { reserve: ['r1', 4] }],
      want: { available: 6, reserved: 4 },
      holds: 1,
    },
    {
      name: 'commit',
      ops: [{ reserve: ['r1', 4] }, { end: ['r1', 'committed'] }],
      want: { available: 6, reserved: 0, committed: 4 },
      holds: 0,
    },
    {
      name: 'release',
      ops: [{ reserve: ['r1', 4] }, { end: ['r1', 'released'] }],
      want: { available: 10, reserved: 0, committed: 0 },
      holds: 0,
    },
    {
      name: 'expire',
      ops: [{ reserve: ['r1', 4] }, { end: ['r1', 'expired'] }],
      want: { available: 10, reserved: 0 },
      holds: 0,
    },
    {
      name: 'ending a hold twice, or one never held, changes nothing',
      ops: [
        { reserve: ['r1', 4] },
        { end: ['r1', 'committed'] },
        { end: ['r1', 'released'] },
        { end: ['r9', 'expired'] },
      ],
      want: { available: 6, reserved: 0, committed: 4 },
      holds: 0,
    },
    {
      name: 'a loss',
      ops: [{ adjust: [-3, D] }],
      want: { received: 10, available: 7, adjusted: 3 },
      holds: 0,
    },
    {
      name: 'a recount that found more',
      ops: [{ adjust: [2, C] }],
      want: { received: 10, available: 12, adjusted: -2 },
      holds: 0,
    },
    {
      name: 'everything together',
      ops: [
        { reserve: ['r1', 3] },
        { reserve: ['r2', 2] },
        { adjust: [-1, D] },
        { end: ['r1', 'committed'] },
        { end: ['r2', 'expired'] },
        { reserve: ['r3', 6] },
      ],
      want: { received: 10, available: 0, reserved: 6, committed: 3, adjusted: 1 },
      holds: 1,
    },
  ];
  it.each(cases)('$name', ({ ops, want, holds }) => {
    const s = run(lotOf(10), ops);
    expect(balances(s)).toMatchObject(want);
    expect(s.holds).toHaveLength(holds);
  });
});

describe('entries', () => {
  it.each([
    ['committed', LedgerEntryKind.LEDGER_ENTRY_KIND_COMMITTED],
    ['released', LedgerEntryKind.LEDGER_ENTRY_KIND_RELEASED],
    ['expired', LedgerEntryKind.LEDGER_ENTRY_KIND_EXPIRED],
  ] as const)('ending a hold as %s records its kind, the reservation and the units', (outcome, kind) => {
    const held = run(lotOf(10), [{ reserve: ['r1', 4] }]);
    expect(held.entry).toMatchObject({
      kind: LedgerEntryKind.LEDGER_ENTRY_KIND_RESERVED,
      reservationId: 'r1',
      quantity: 4,
      version: 2,
    });
    const ended = endHold(held, 'r1', outcome, at(2), matching, 'why')!;
    expect(ended.entry).toMatchObject({ kind, reservationId: 'r1', quantity: 4, version: 3, note: 'why' });
  });

  it('records an adjustment with its signed delta, reason, note and who made it', () => {
    const s = adjust(lotOf(10), -3, D, 'crushed in transport', at(5), donor);
    expect(s.entry).toMatchObject({
      kind: LedgerEntryKind.LEDGER_ENTRY_KIND_ADJUSTED,
      quantity: -3,
      adjustmentReason: D,
      note: 'crushed in transport',
      actorUserId: 'u-donor',
      actorOrganisationId: 'org-donor',
      at: at(5),
      availableAfter: 7,
      adjustedAfter: 3,
    });
    expect(s.lot.updatedAt).toEqual(at(5));
  });
});

describe('refusals', () => {
  const cases: { name: string; ops: Op[]; last: (s: LotState) => unknown; message: RegExp }[] = [
    {
      name: 'more than available',
      ops: [],
      last: (s) => reserve(s, 'r1', 11, at(1), matching),
      message: /lot of-1-l1 has 10 box available, 11 asked/,
    },
    {
      name: 'more than what is left after other reservations',
      ops: [{ reserve: ['r1', 7] }],
      last: (s) => reserve(s, 'r2', 4, at(1), matching),
      message: /has 3 box available, 4 asked/,
    },
    {
      name: 'an expired lot',
      ops: [],
      last: (s) => reserve(s, 'r1', 1, at(24 * 60), matching),
      message: /expired at .* cannot be reserved/,
    },
    {
      name: 'a loss larger than what is available',
      ops: [],
      last: (s) => adjust(s, -11, D, '', at(1), donor),
      message: /has 10 box available; an adjustment of -11 would make it negative/,
    },
    {
      name: 'a loss that would take reserved units',
      ops: [{ reserve: ['r1', 8] }],
      last: (s) => adjust(s, -3, D, '', at(1), donor),
      message: /has 2 box available/,
    },
  ];
  it.each(cases)('$name is FAILED_PRECONDITION', ({ ops, last, message }) => {
    const s = run(lotOf(10), ops);
    const e = thrown(() => last(s));
    expect(e).toBeInstanceOf(FailedPreconditionError);
    expect(e.message).toMatch(message);
  });

  it('reserves up to the last unit, then refuses', () => {
    const s = run(lotOf(3), [{ reserve: ['a', 1] }, { reserve: ['b', 2] }]);
    expect(s.lot.available).toBe(0);
    expect(() => reserve(s, 'c', 1, at(1), matching)).toThrow(FailedPreconditionError);
  });
});

describe('invariant under a long random sequence', () => {
  it('holds after every one of 2000 entries, and available never goes below 0', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let s = lotOf(500, null);
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const open = s.holds.map((h) => h.reservationId);
      const pick = rnd(10);
      try {
        const next =
          pick < 5
            ? reserve(s, `r${i}`, 1 + rnd(30), at(1), matching)
            : pick < 8 && open.length > 0
              ? endHold(
                  s,
                  open[rnd(open.length)]!,
                  (['committed', 'released', 'expired'] as const)[rnd(3)]!,
                  at(1),
                  matching,
                )
              : adjust(s, rnd(21) - 12 || 1, D, '', at(1), donor);
        if (next) s = next;
      } catch (e) {
        expect(e).toBeInstanceOf(FailedPreconditionError);
        refused++;
      }
      expect(stateViolations(s)).toEqual([]);
      expect(s.lot.available).toBeGreaterThanOrEqual(0);
    }
    expect(refused).toBeGreaterThan(0);
    expect(s.lot.version).toBeGreaterThan(500);
  });
});

describe('balanceViolations', () => {
  const ok = { received: 10, available: 4, reserved: 3, committed: 2, adjusted: 1 };
  it.each([
    { name: 'balanced', lot: ok, want: [] },
    { name: 'an upward correction (adjusted < 0)', lot: { ...ok, available: 7, adjusted: -2 }, want: [] },
    { name: 'a unit missing', lot: { ...ok, available: 3 }, want: [/received 10 != available 3/] },
    { name: 'negative available', lot: { ...ok, available: -1, adjusted: 6 }, want: [/available must be/] },
    {
      name: 'a fraction',
      lot: { ...ok, reserved: 2.5, adjusted: 1.5 },
      want: [/reserved must be/, /adjusted must be/],
    },
  ])('$name', ({ lot, want }) => {
    const v = balanceViolations(lot);
    expect(v).toHaveLength(want.length);
    want.forEach((re, i) => {
      expect(v[i]).toMatch(re);
    });
  });

  it('stateViolations also checks the holds and the entry against the lot', () => {
    const s = run(lotOf(10), [{ reserve: ['r1', 4] }]);
    expect(stateViolations({ ...s, holds: [] })).toEqual(['holds sum to 0 but reserved is 4']);
    expect(stateViolations({ ...s, entry: { ...s.entry, availableAfter: 5 } })).toEqual([
      'the ledger entry does not match the lot after it',
    ]);
  });
});

describe('isExpired', () => {
  it.each([
    { expiresAt: undefined, now: at(1e6), want: false },
    { expiresAt: at(10), now: at(9), want: false },
    { expiresAt: at(10), now: at(10), want: true },
    { expiresAt: at(10), now: at(11), want: true },
  ])('expiry $expiresAt at $now → $want', ({ expiresAt, now, want }) => {
    expect(isExpired({ expiresAt }, now)).toBe(want);
  });
});
