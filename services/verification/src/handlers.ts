import { createHandlers, requireRole } from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import type { VerificationServiceServer } from '@nuanyang/proto/nuanyang/verification/v1/verification';
import type { VerificationTasks } from './tasks';

/** gRPC surface of verification: role checks, then the task logic. */
export function verificationHandlers(tasks: VerificationTasks, log: Logger): VerificationServiceServer {
  const { unary } = createHandlers(log);
  return {
    listTasks: unary(async (req, ctx) => {
      requireRole(ctx, ['verifier', 'operator']);
      const { tasks: page, nextPageToken } = await tasks.list(req);
      return { tasks: page, page: { nextPageToken } };
    }),
    getTask: unary(async (req, ctx) => {
      requireRole(ctx, ['verifier', 'operator']);
      return { task: await tasks.get(req.id) };
    }),
    claimTask: unary(async (req, ctx) => {
      requireRole(ctx, ['verifier', 'operator']);
      return { task: await tasks.claim(req.taskId, ctx.principal) };
    }),
    releaseTask: unary(async (req, ctx) => {
      requireRole(ctx, ['verifier', 'operator']);
      return { task: await tasks.release(req.taskId, ctx.principal) };
    }),
    recordOutcome: unary(async (req, ctx) => {
      requireRole(ctx, ['verifier', 'operator']);
      return tasks.recordOutcome(req, ctx.principal);
    }),
  };
}
