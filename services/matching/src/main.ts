import { hostname } from 'node:os';
import { issueToken } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import { createClient } from '@nuanyang/grpc-kit';
import { HelpRequestCancelled } from '@nuanyang/proto/nuanyang/intake/v1/events';
import { ReservationExpired, StockChanged } from '@nuanyang/proto/nuanyang/inventory/v1/events';
import { InventoryServiceClient, LedgerEntryKind } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { MatchingServiceService } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { HelpRequestVerified } from '@nuanyang/proto/nuanyang/verification/v1/events';
import { DeliveryTaskDelivered, DeliveryTaskFailed } from '@nuanyang/proto/nuanyang/volunteer/v1/events';
import { runService } from '@nuanyang/service-kit';
import { KeyedAggregateStore } from '@nuanyang/store';
import { loadMatchingConfig } from './config';
import type { MatchCase } from './domain/cases';
import { matchingHandlers } from './handlers';
import { type Lease, Matching } from './matching';
import { Stock } from './stock';

const FREES_STOCK = new Set([
  LedgerEntryKind.LEDGER_ENTRY_KIND_RECEIVED,
  LedgerEntryKind.LEDGER_ENTRY_KIND_RELEASED,
  LedgerEntryKind.LEDGER_ENTRY_KIND_EXPIRED,
  LedgerEntryKind.LEDGER_ENTRY_KIND_ADJUSTED,
]);

runService({
  name: 'matching',
  loadConfig: loadMatchingConfig,
  streams: ['intake', 'verification', 'inventory', 'matching', 'volunteer'],
  setup: async ({ config, mongo, bus, log }) => {
    const store = new KeyedAggregateStore<MatchCase>(mongo, {
      name: 'match_case',
      bus,
      log,
      projectionIndexes: [
        { 'state.openCategories': 1, 'state.priorityScore': -1 },
        { 'state.proposals.supplierOrganisationId': 1 },
        { 'state.verifiedAt': -1 },
      ],
    });
    // Matching acts on inventory for the platform: a token of its own, with the operator role inventory asks.
    const token = issueToken(
      { subject: 'svc-matching', organisationId: 'nuanyang-platform', roles: ['operator'] },
      config.JWT_SECRET,
    );
    const inventory = createClient(InventoryServiceClient, config.INVENTORY_ADDRESS, {
      token,
      deadlineMs: 10_000,
    });
    const kv = await bus.kv('nuanyang_matching_leases', config.BATCH_LEASE_MS);
    const holder = `${hostname()}:${process.pid}`;
    const lease: Lease = {
      acquire: () =>
        kv.create('batch-plan', holder).then(
          () => true,
          () => false,
        ),
      release: async () => {
        await kv.delete('batch-plan');
      },
    };
    const matching = new Matching(
      store,
      new Stock(inventory, config.PROPOSAL_TTL_MS),
      lease,
      { proposalTtlMs: config.PROPOSAL_TTL_MS },
      log,
    );
    const inv = SUBJECTS.inventory;
    return {
      stores: [store],
      consume: async () => {
        await bus.consume({
          from: 'verification',
          durable: 'matching-verified',
          subjects: [SUBJECTS.verification.verified],
          handler: async (m) => matching.onVerified(HelpRequestVerified.decode(m.data)),
        });
        await bus.consume({
          from: 'intake',
          durable: 'matching-cancelled',
          subjects: [SUBJECTS.intake.cancelled],
          handler: async (m) => {
            const e = HelpRequestCancelled.decode(m.data);
            await matching.onCancelled(e.helpRequestId, e.reason);
          },
        });
        await bus.consume({
          from: 'inventory',
          durable: 'matching-stock',
          subjects: [inv.stockChanged, inv.reservationExpired],
          handler: async (m) => {
            if (m.subject === inv.reservationExpired) {
              const r = ReservationExpired.decode(m.data).reservation;
              if (r?.matchProposalId) await matching.onReservationExpired(r.matchProposalId);
              return;
            }
            // Stock that became available (received, released, lapsed, counted up) wakes waiting needs up.
            const { lot, entry } = StockChanged.decode(m.data);
            if (lot && entry && FREES_STOCK.has(entry.kind) && entry.quantity > 0)
              await matching.onStock([lot.category]);
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
            if (task?.matchProposalId) await matching.onDelivered(task.matchProposalId, volunteerId);
          },
        });
      },
      services: [
        {
          name: 'nuanyang.matching.v1.MatchingService',
          protoFile: 'nuanyang/matching/v1/matching.proto',
          definition: MatchingServiceService,
          implementation: matchingHandlers(matching, log),
        },
      ],
    };
  },
});
