import type { Principal } from '@nuanyang/auth';
import { FailedPreconditionError } from '@nuanyang/grpc-kit';
import type { Actor, EventStore, WriteOptions, WriteResult } from '@nuanyang/store';
import type { MatchCase } from './domain/cases';
import { type Command, decide, isRejection } from './domain/decide';

export type CaseStore = EventStore<MatchCase>;

/** Appends what `command` does to a case, deciding on its latest state; a rejection is FAILED_PRECONDITION. */
export function change(
  store: CaseStore,
  id: string,
  command: Command,
  opts: WriteOptions = {},
): Promise<WriteResult<MatchCase>> {
  return store.update(
    id,
    (current) => {
      const outcome = decide(current.state, command, new Date());
      if (isRejection(outcome)) throw new FailedPreconditionError(outcome.rejected);
      return outcome;
    },
    opts,
  );
}

export const actorOf = (p: Principal): Actor => ({ organisationId: p.organisationId, userId: p.subject });

/** Matching acting on its own (planning, withdrawals, expiries). */
export const MATCHING: Actor = { organisationId: 'nuanyang-platform', userId: 'matching' };
