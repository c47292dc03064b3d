import { createHandlers, requireRole } from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import type { MatchingServiceServer } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import type { Matching } from './matching';

/** gRPC surface of matching: role checks, then the matching logic. */
export function matchingHandlers(matching: Matching, log: Logger): MatchingServiceServer {
  const { unary } = createHandlers(log);
  const { queries, acceptance } = matching;
  const readers = ['operator', 'supplier', 'partner', 'viewer'] as const;
  return {
    listProposals: unary(async (req, ctx) => {
      requireRole(ctx, readers);
      const { proposals, nextPageToken } = await queries.listProposals(req, ctx.principal);
      return { proposals, page: { nextPageToken } };
    }),
    getProposal: unary(async (req, ctx) => {
      requireRole(ctx, readers);
      return { proposal: await queries.get(req.id, ctx.principal) };
    }),
    acceptProposal: unary(async (req, ctx) => {
      requireRole(ctx, ['supplier', 'operator']);
      return { proposal: await acceptance.accept(req.id, req.note, ctx.principal) };
    }),
    rejectProposal: unary(async (req, ctx) => {
      requireRole(ctx, ['supplier', 'operator']);
      return { proposal: await acceptance.reject(req.id, req.reason, ctx.principal) };
    }),
    proposeManualMatch: unary(async (req, ctx) => {
      requireRole(ctx, ['operator']);
      return matching.manual.propose(req, ctx.principal);
    }),
    runBatchPlan: unary(async (req, ctx) => {
      requireRole(ctx, ['operator']);
      return matching.batch.run(req.dryRun, ctx.principal);
    }),
    listOpenNeeds: unary(async (req, ctx) => {
      requireRole(ctx, readers);
      const { needs, nextPageToken } = await queries.listOpenNeeds(req);
      return { needs, page: { nextPageToken } };
    }),
  };
}
