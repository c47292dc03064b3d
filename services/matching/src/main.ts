import { hostname } from 'node:os';
import { issueToken } from '@nuanyang/auth';
import { createClient } from '@nuanyang/grpc-kit';
import { InventoryServiceClient } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { MatchingServiceService } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { every, runService } from '@nuanyang/service-kit';
import { JetStreamStore } from '@nuanyang/store';
import type { Lease } from './batch-plan';
import { loadMatchingConfig } from './config';
import { consume } from './consumers';
import type { MatchCase } from './domain/cases';
import { matchingHandlers } from './handlers';
import { holdAt } from './hold';
import { createMatching } from './matching';
import { MatchCaseViews } from './read-model';
import { recoveryPass } from './recovery';
import { Stock } from './stock';

runService({
  name: 'matching',
  loadConfig: loadMatchingConfig,
  streams: ['intake', 'verification', 'inventory', 'matching', 'volunteer'],
  setup: async ({ config, mongo, bus, log }) => {
    const store = new JetStreamStore<MatchCase>(bus, { service: 'matching', aggregate: 'match_case' });
    const views = new MatchCaseViews(mongo, bus, store, log);
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
    const matching = createMatching({
      store,
      stock: new Stock(inventory, config.PROPOSAL_TTL_MS),
      views,
      lease,
      policy: { proposalTtlMs: config.PROPOSAL_TTL_MS },
      log,
      hold: holdAt(config.MATCHING_HOLD_AT, log),
    });
    return {
      projections: [views.projection],
      background: [
        // At start (a crash's leftovers) and then every SWEEP_INTERVAL_MS.
        every(
          'recovery sweep',
          config.SWEEP_INTERVAL_MS,
          recoveryPass(
            matching.planning,
            matching.acceptance,
            () => views.withPending(),
            config.RESUME_AFTER_MS,
            log,
          ),
          log,
        ),
      ],
      consume: () => consume(bus, matching, log),
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
