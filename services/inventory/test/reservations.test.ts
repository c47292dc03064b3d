import { FailedPreconditionError } from '@nuanyang/grpc-kit';
import { ReservationStatus as RS } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import {
  decideOutcome,
  finish,
  isSettling,
  isStale,
  openReservation,
  type Phase,
  type ReservationState,
  requestCommit,
  requestExpiry,
  requestRelease,
  SETTLING,
  STATUS,
} from '../src/domain/reservations';

const MIN = 60_000;
const TTL = 30 * MIN;
const t0 = new Date('2021-12-28T18:10:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

const pending = () =>
  openReservation(
    {
      id: 'mp-1',
      lines: [
        { lotId: 'of-b-l1', quantity: 2 },
        { lotId: 'of-a-l2', quantity: 5 },
      ],
      matchProposalId: 'mp-1',
      helpRequestId: 'hr-1',
      requestHash: 'h-1',
    },
    TTL,
    t0,
  );
const active = () => decideOutcome(pending(), null, at(1000))!;
const inPhase = (phase: Phase): ReservationState => ({
  ...active(),
  phase,
  reservation: { ...active().reservation, status: STATUS[phase] },
});
const ALL: Phase[] = [
  'pending',
  'active',
  'committing',
  'committed',
  'releasing',
  'released',
  'expiring',
  'expired',
  'failing',
  'failed',
];

/** The phase a transition leads to, 'unchanged' for null, or the thrown error's class name. */
function outcome(fn: () => ReservationState | null): Phase | 'unchanged' | string {
  try {
    const next = fn();
    return next ? next.phase : 'unchanged';
  } catch (e) {
    expect(e).toBeInstanceOf(FailedPreconditionError);
    return 'FAILED_PRECONDITION';
  }
}

describe('openReservation', () => {
  it('is pending at version 1, with no status yet and its lines in lot-id order', () => {
    const s = pending();
    expect(s.phase).toBe('pending');
    expect(s.reservation).toMatchObject({
      id: 'mp-1',
      version: 1,
      status: RS.RESERVATION_STATUS_UNSPECIFIED,
      matchProposalId: 'mp-1',
      helpRequestId: 'hr-1',
      createdAt: t0,
      expiresAt: undefined,
    });
    expect(s.reservation.lines.map((l) => l.lotId)).toEqual(['of-a-l2', 'of-b-l1']);
  });
});

describe('decideOutcome', () => {
  it('makes a pending reservation active until now + ttl', () => {
    const s = decideOutcome(pending(), null, at(1000))!;
    expect(s.phase).toBe('active');
    expect(s.reservation).toMatchObject({
      status: RS.RESERVATION_STATUS_ACTIVE,
      version: 2,
      expiresAt: at(1000 + TTL),
    });
  });

  it('makes a refused one failing: shown as released, with the refusal as the reason', () => {
    const s = decideOutcome(pending(), 'lot of-b-l1 has 1 box available, 2 asked', at(1000))!;
    expect(s.phase).toBe('failing');
    expect(s.refusal).toBe('lot of-b-l1 has 1 box available, 2 asked');
    expect(s.reservation).toMatchObject({
      status: RS.RESERVATION_STATUS_RELEASED,
      closedAt: at(1000),
      releaseReason: 'refused: lot of-b-l1 has 1 box available, 2 asked',
    });
  });

  it.each(ALL.filter((p) => p !== 'pending'))('leaves a %s reservation alone (decided already)', (phase) => {
    expect(decideOutcome(inPhase(phase), null, at(2000))).toBeNull();
    expect(decideOutcome(inPhase(phase), 'refused', at(2000))).toBeNull();
  });
});

describe('transitions by phase', () => {
  // What commit, release and expiry (at a time past the expiry) do in each phase.
  const table: { phase: Phase; commit: string; release: string; expire: string }[] = [
    { phase: 'pending', commit: 'FAILED_PRECONDITION', release: 'FAILED_PRECONDITION', expire: 'unchanged' },
    { phase: 'active', commit: 'committing', release: 'releasing', expire: 'expiring' },
    { phase: 'committing', commit: 'unchanged', release: 'FAILED_PRECONDITION', expire: 'unchanged' },
    { phase: 'committed', commit: 'unchanged', release: 'FAILED_PRECONDITION', expire: 'unchanged' },
    { phase: 'releasing', commit: 'FAILED_PRECONDITION', release: 'unchanged', expire: 'unchanged' },
    { phase: 'released', commit: 'FAILED_PRECONDITION', release: 'unchanged', expire: 'unchanged' },
    { phase: 'expiring', commit: 'FAILED_PRECONDITION', release: 'unchanged', expire: 'unchanged' },
    { phase: 'expired', commit: 'FAILED_PRECONDITION', release: 'unchanged', expire: 'unchanged' },
    { phase: 'failing', commit: 'FAILED_PRECONDITION', release: 'unchanged', expire: 'unchanged' },
    { phase: 'failed', commit: 'FAILED_PRECONDITION', release: 'unchanged', expire: 'unchanged' },
  ];
  it.each(table)('$phase: commit → $commit, release → $release, expiry → $expire', (row) => {
    const s = inPhase(row.phase);
    const before = at(2000);
    const after = at(1000 + TTL);
    expect(outcome(() => requestCommit(s, before))).toBe(row.commit);
    expect(outcome(() => requestRelease(s, 'rejected by supplier', before))).toBe(row.release);
    expect(outcome(() => requestExpiry(s, after))).toBe(row.expire);
  });

  it('refuses to commit an active reservation at or past its expiry (the sweeper lapses it)', () => {
    expect(() => requestCommit(active(), at(1000 + TTL))).toThrow(/expired at/);
    expect(requestCommit(active(), at(1000 + TTL - 1))?.phase).toBe('committing');
  });

  it('does not expire an active reservation before its time', () => {
    expect(requestExpiry(active(), at(1000 + TTL - 1))).toBeNull();
  });

  it('shows the decided outcome at once, with when it closed and why it was released', () => {
    const released = requestRelease(active(), 'rejected by supplier', at(5000))!;
    expect(released.reservation).toMatchObject({
      status: RS.RESERVATION_STATUS_RELEASED,
      closedAt: at(5000),
      releaseReason: 'rejected by supplier',
      version: 3,
    });
    expect(requestCommit(active(), at(5000))!.reservation.status).toBe(RS.RESERVATION_STATUS_COMMITTED);
    expect(requestExpiry(active(), at(TTL * 2))!.reservation.status).toBe(RS.RESERVATION_STATUS_EXPIRED);
  });
});

describe('finish', () => {
  it.each([
    ['failing', 'failed', 'released'],
    ['committing', 'committed', 'committed'],
    ['releasing', 'released', 'released'],
    ['expiring', 'expired', 'expired'],
  ] as const)('%s → %s once the lots have %s their holds', (from, to, holds) => {
    expect(SETTLING[from].holds).toBe(holds);
    const done = finish(inPhase(from), at(9000))!;
    expect(done.phase).toBe(to);
    expect(done.reservation.status).toBe(STATUS[from]);
    expect(done.updatedAt).toEqual(at(9000));
  });

  it.each(ALL.filter((p) => !isSettling(p)))('leaves %s alone', (phase) => {
    expect(finish(inPhase(phase), at(9000))).toBeNull();
  });
});

describe('isStale', () => {
  const STALE = MIN;
  it.each([
    { phase: 'pending', age: STALE, want: true },
    { phase: 'pending', age: STALE - 1, want: false },
    { phase: 'committing', age: 5 * STALE, want: true },
    { phase: 'failing', age: STALE, want: true },
    { phase: 'active', age: 100 * STALE, want: false },
    { phase: 'released', age: 100 * STALE, want: false },
  ] as { phase: Phase; age: number; want: boolean }[])(
    '$phase after $age ms → $want',
    ({ phase, age, want }) => {
      const s = { ...inPhase(phase), updatedAt: t0 };
      expect(isStale(s, at(age), STALE)).toBe(want);
    },
  );
});
