import { hostPort, loadConfig, localAddress, serviceSchema, z } from '@nuanyang/config';
import { HOLD_POINTS } from './hold';

export const loadMatchingConfig = () =>
  loadConfig(
    serviceSchema('matching').extend({
      INVENTORY_ADDRESS: hostPort.default(localAddress('inventory')),
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
      /** How often the sweep looks for reservations and decisions a crash left between their steps. */
      SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
      /** A reservation or decision under way younger than this is left to the call still making it. */
      RESUME_AFTER_MS: z.coerce.number().int().min(0).default(30_000),
      /** Test only: hold points (comma-separated, see hold.ts) where the process stops for a crash test. */
      MATCHING_HOLD_AT: z
        .string()
        .default('')
        .transform((v) => v.split(',').filter((p) => p !== ''))
        .pipe(z.array(z.enum(HOLD_POINTS))),
    }),
  );
export type MatchingConfig = ReturnType<typeof loadMatchingConfig>;
