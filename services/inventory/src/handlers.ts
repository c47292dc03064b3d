import { createHandlers, requireRole } from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import type { InventoryServiceServer } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import type { Reservations } from './reservations';
import type { Stock } from './stock';

/** gRPC surface of inventory: role checks (per the proto comments), then stock and reservations. */
export function inventoryHandlers(
  stock: Stock,
  reservations: Reservations,
  log: Logger,
): InventoryServiceServer {
  const { unary } = createHandlers(log);
  return {
    registerOffer: unary(async (req, ctx) => {
      // Partners register donated supplies too (DESIGN.md, "Who uses it"), as suppliers of their own goods.
      requireRole(ctx, ['supplier', 'partner', 'operator']);
      return stock.registerOffer(req, ctx.principal);
    }),
    getLot: unary(async (req, ctx) => {
      requireRole(ctx, ['operator', 'supplier', 'partner', 'viewer']);
      return stock.getLot(req.id, req.includeLedger, ctx.principal);
    }),
    listStock: unary(async (req, ctx) => {
      requireRole(ctx, ['operator', 'supplier', 'partner', 'viewer']);
      const { lots, nextPageToken } = await stock.list(req);
      return { lots, page: { nextPageToken } };
    }),
    adjustStock: unary(async (req, ctx) => {
      requireRole(ctx, ['operator', 'supplier']);
      return stock.adjust(req, ctx.principal);
    }),
    reserve: unary(async (req, ctx) => {
      requireRole(ctx, ['operator']);
      return reservations.reserve(req, ctx.principal);
    }),
    commitReservation: unary(async (req, ctx) => {
      requireRole(ctx, ['operator']);
      return { reservation: await reservations.commit(req.reservationId, ctx.principal) };
    }),
    releaseReservation: unary(async (req, ctx) => {
      requireRole(ctx, ['operator']);
      return { reservation: await reservations.release(req.reservationId, req.reason, ctx.principal) };
    }),
    getReservation: unary(async (req, ctx) => {
      requireRole(ctx, ['operator', 'supplier']);
      return { reservation: await reservations.get(req.reservationId, ctx.principal) };
    }),
  };
}
