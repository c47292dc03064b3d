import { createHandlers, requireRole } from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import type { VolunteerServiceServer } from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import type { Registry } from './registry';
import type { Tasks } from './tasks';

/** gRPC surface of volunteer: the roles each RPC's contract lists, then the registry or the tasks. */
export function volunteerHandlers(registry: Registry, tasks: Tasks, log: Logger): VolunteerServiceServer {
  const { unary } = createHandlers(log);
  const anyone = ['operator', 'verifier', 'partner', 'supplier', 'volunteer', 'viewer'] as const;
  const taskReaders = ['operator', 'volunteer', 'supplier', 'partner'] as const;
  return {
    registerOrganisation: unary(async (req, ctx) => {
      requireRole(ctx, ['operator']);
      return registry.registerOrganisation(req, ctx.principal);
    }),
    listOrganisations: unary(async (req, ctx) => {
      requireRole(ctx, anyone);
      return registry.listOrganisations(req, ctx.principal);
    }),
    createFunctionalGroup: unary(async (req, ctx) => {
      requireRole(ctx, ['operator']);
      return registry.createGroup(req, ctx.principal);
    }),
    listFunctionalGroups: unary(async (req, ctx) => {
      requireRole(ctx, anyone);
      return registry.listGroups(req);
    }),
    registerVolunteer: unary(async (req, ctx) => {
      requireRole(ctx, ['volunteer', 'partner', 'operator']);
      return registry.registerVolunteer(req, ctx.principal);
    }),
    getVolunteer: unary(async (req, ctx) => {
      requireRole(ctx, ['operator', 'volunteer', 'partner']);
      return { volunteer: await registry.getVolunteer(req.id, ctx.principal) };
    }),
    setAvailability: unary(async (req, ctx) => {
      requireRole(ctx, ['volunteer', 'operator']);
      return { volunteer: await registry.setAvailability(req.volunteerId, req.windows, ctx.principal) };
    }),
    listVolunteers: unary(async (req, ctx) => {
      requireRole(ctx, ['operator', 'partner']);
      return registry.listVolunteers(req, ctx.principal);
    }),
    listDeliveryTasks: unary(async (req, ctx) => {
      requireRole(ctx, taskReaders);
      return tasks.list(req, ctx.principal);
    }),
    getDeliveryTask: unary(async (req, ctx) => {
      requireRole(ctx, taskReaders);
      return { task: await tasks.get(req.id, ctx.principal) };
    }),
    acceptTask: unary(async (req, ctx) => {
      requireRole(ctx, ['volunteer']);
      return { task: await tasks.accept(req.taskId, ctx.principal) };
    }),
    declineTask: unary(async (req, ctx) => {
      requireRole(ctx, ['volunteer']);
      return { task: await tasks.decline(req.taskId, req.reason, ctx.principal) };
    }),
    updateTaskStatus: unary(async (req, ctx) => {
      requireRole(ctx, ['volunteer', 'operator']);
      return tasks.updateStatus(req, ctx.principal);
    }),
  };
}
