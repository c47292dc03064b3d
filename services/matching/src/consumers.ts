import { type Bus, SUBJECTS } from '@nuanyang/bus';
import type { Logger } from '@nuanyang/logger';
import { HelpRequestCancelled } from '@nuanyang/proto/nuanyang/intake/v1/events';
import { ReservationExpired, StockChanged } from '@nuanyang/proto/nuanyang/inventory/v1/events';
import { LedgerEntryKind } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { HelpRequestVerified } from '@nuanyang/proto/nuanyang/verification/v1/events';
import { DeliveryTaskDelivered, DeliveryTaskFailed } from '@nuanyang/proto/nuanyang/volunteer/v1/events';
import type { Matching } from './matching';
import { toFreeLot } from './stock';

/** Ledger entries that make stock available. */
const FREES_STOCK = new Set([
  LedgerEntryKind.LEDGER_ENTRY_KIND_RECEIVED,
  LedgerEntryKind.LEDGER_ENTRY_KIND_RELEASED,
  LedgerEntryKind.LEDGER_ENTRY_KIND_EXPIRED,
  LedgerEntryKind.LEDGER_ENTRY_KIND_ADJUSTED,
]);

/** Every event matching follows. Each is acknowledged after its handler's appends, so a crash redelivers it. */
export async function consume(bus: Bus, matching: Matching, log: Logger): Promise<void> {
  const { lifecycle, planning, acceptance, fulfilment } = matching;
  await bus.consume({
    from: 'verification',
    durable: 'matching-verified',
    subjects: [SUBJECTS.verification.verified],
    handler: async (m) => lifecycle.onVerified(HelpRequestVerified.decode(m.data)),
  });
  await bus.consume({
    from: 'intake',
    durable: 'matching-cancelled',
    subjects: [SUBJECTS.intake.cancelled],
    handler: async (m) => {
      const e = HelpRequestCancelled.decode(m.data);
      await lifecycle.onCancelled(e.helpRequestId, e.reason);
    },
  });
  const inv = SUBJECTS.inventory;
  await bus.consume({
    from: 'inventory',
    durable: 'matching-stock',
    subjects: [inv.stockChanged, inv.reservationExpired],
    handler: async (m) => {
      if (m.subject === inv.reservationExpired) {
        const r = ReservationExpired.decode(m.data).reservation;
        if (r?.matchProposalId) await acceptance.onReservationExpired(r.matchProposalId);
        return;
      }
      // Stock that became available (received, released, lapsed, counted up) wakes waiting needs up.
      const { lot, entry } = StockChanged.decode(m.data);
      if (lot && entry && FREES_STOCK.has(entry.kind) && entry.quantity > 0) {
        await planning.onStock([toFreeLot(lot)]);
      }
    },
  });
  await bus.consume({
    from: 'volunteer',
    durable: 'matching-delivered',
    subjects: [SUBJECTS.volunteer.taskDelivered, SUBJECTS.volunteer.taskFailed],
    handler: async (m) => {
      if (m.subject === SUBJECTS.volunteer.taskFailed) {
        // The goods stay committed and the proposal ACCEPTED: an operator decides (README, known limits).
        const { task, reason } = DeliveryTaskFailed.decode(m.data);
        log.warn(
          { proposalId: task?.matchProposalId, taskId: task?.id, reason },
          'delivery failed; the proposal stays accepted',
        );
        return;
      }
      const { task, volunteerId } = DeliveryTaskDelivered.decode(m.data);
      if (task?.matchProposalId) await fulfilment.onDelivered(task.matchProposalId, volunteerId);
    },
  });
}
