import type { Logger } from '@nuanyang/logger';

/** The points between the steps of matching's cross-service operations, where a crash is tested. */
export const HOLD_POINTS = [
  /** Inventory reserved a proposal's stock; the proposal is not recorded yet. */
  'propose.reserved',
  /** An acceptance is recorded as pending; inventory has not committed the stock yet. */
  'accept.recorded',
  /** Inventory committed the stock; the acceptance is not settled yet. */
  'accept.committed',
  /** A rejection is recorded as pending; inventory has not released the stock yet. */
  'reject.recorded',
  /** A delivery's fulfilment is appended; its event is not acknowledged yet. */
  'delivered.recorded',
] as const;
export type HoldPoint = (typeof HOLD_POINTS)[number];

/** Called at each hold point; resolves at once unless the process was told to stop there. */
export type Hold = (point: HoldPoint) => Promise<void>;

export const noHold: Hold = async () => undefined;

/**
 * Stops the process for good at the named points (MATCHING_HOLD_AT, for the crash tests): it logs the point
 * and never goes on, so a test can `kill -9` it exactly between two steps.
 */
export function holdAt(points: readonly HoldPoint[], log: Logger): Hold {
  if (points.length === 0) return noHold;
  const at = new Set(points);
  return (point) => {
    if (!at.has(point)) return Promise.resolve();
    log.warn({ hold: point }, 'holding at a test hold point');
    return new Promise<void>(() => undefined);
  };
}
