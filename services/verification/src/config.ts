import { loadConfig, serviceSchema, z } from '@nuanyang/config';

export const loadVerificationConfig = () =>
  loadConfig(
    serviceSchema('verification').extend({
      /** How long a claim keeps a task for one verifier. */
      CLAIM_TTL_MS: z.coerce
        .number()
        .int()
        .min(1000)
        .default(15 * 60_000),
      /** Failed call attempts after which the requester counts as unreachable. */
      MAX_CALL_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    }),
  );
export type VerificationConfig = ReturnType<typeof loadVerificationConfig>;
