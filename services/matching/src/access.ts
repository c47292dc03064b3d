import { hasAnyRole, type Principal } from '@nuanyang/auth';
import { NotFoundError, PermissionDeniedError } from '@nuanyang/grpc-kit';
import type { MatchProposal } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import type { CaseStore } from './case-log';
import { caseIdOfProposal, type MatchCase } from './domain/cases';

/** Operators and viewers see every proposal; a supplier its own; a partner those for its requests. */
export function maySee(c: MatchCase, p: MatchProposal, actor: Principal): boolean {
  if (hasAnyRole(actor, ['operator', 'viewer'])) return true;
  if (actor.roles.includes('supplier') && p.supplierOrganisationId === actor.organisationId) return true;
  return actor.roles.includes('partner') && c.submittingOrganisationId === actor.organisationId;
}

export function mayDecide(p: MatchProposal, actor: Principal): void {
  if (actor.roles.includes('operator')) return;
  if (actor.roles.includes('supplier') && p.supplierOrganisationId === actor.organisationId) return;
  throw new PermissionDeniedError('only the supplying organisation or an operator may decide on a proposal');
}

/** A proposal and its case, read by key (never a query); NOT_FOUND also when the caller may not see it. */
export async function proposalFor(
  store: CaseStore,
  id: string,
  actor: Principal,
): Promise<{ c: MatchCase; p: MatchProposal }> {
  const caseId = caseIdOfProposal(id);
  const found = caseId ? await store.load(caseId) : null;
  const p = found?.state.proposals.find((x) => x.id === id);
  if (!found || !p || !maySee(found.state, p, actor)) throw new NotFoundError(`proposal ${id} not found`);
  return { c: found.state, p };
}
