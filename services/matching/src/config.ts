import { hostPort, loadConfig, serviceSchema, z } from '@nuanyang/config';

export const loadMatchingConfig = () =>
  loadConfig(
    serviceSchema('matching', 50054).extend({
      INVENTORY_ADDRESS: hostPort.default('127.0.0.1:50053'),
      /** How long a proposal holds its stock for the supplier to answer; then the reservation lapses. */
      PROPOSAL_TTL_MS: z.coerce
        .number()
        .int()
        .min(1000)
        .default(4 * 3600_000),
      /** Upper bound of one batch plan's lease, in case its replica dies while planning. */
      BATCH_LEASE_MS: z.coerce
        .number()
        .int()
        .min(1000)
        .default(5 * 60_000),
    }),
  );
export type MatchingConfig = ReturnType<typeof loadMatchingConfig>;
