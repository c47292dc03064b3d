import { createHandlers, requireRole } from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import type { IntakeServiceServer } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import type { HelpRequests } from './help-requests';

/** gRPC surface of intake: thin, role checks then the domain. */
export function intakeHandlers(requests: HelpRequests, log: Logger): IntakeServiceServer {
  const { unary } = createHandlers(log);
  return {
    createHelpRequest: unary(async (req, ctx) => {
      requireRole(ctx, ['partner', 'operator']);
      return requests.create(req, ctx.principal);
    }),
    getHelpRequest: unary(async (req, ctx) => {
      requireRole(ctx, ['operator', 'verifier', 'viewer', 'partner', 'supplier']);
      return { helpRequest: await requests.get(req.id, ctx.principal) };
    }),
    listHelpRequests: unary(async (req, ctx) => {
      requireRole(ctx, ['operator', 'verifier', 'viewer', 'partner', 'supplier']);
      const { helpRequests, nextPageToken } = await requests.list(
        {
          statuses: req.statuses,
          district: req.district,
          category: req.category,
          urgency: req.urgency,
          submittingOrganisationId: req.submittingOrganisationId,
          page: req.page,
        },
        ctx.principal,
      );
      return { helpRequests, page: { nextPageToken } };
    }),
    cancelHelpRequest: unary(async (req, ctx) => {
      requireRole(ctx, ['partner', 'operator']);
      return { helpRequest: await requests.cancel(req.id, req.reason, ctx.principal) };
    }),
  };
}
