import { loadConfig, serviceSchema, z } from '@nuanyang/config';

const ms = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

export const loadInventoryConfig = () =>
  loadConfig(
    serviceSchema('inventory').extend({
      /** How long a reservation holds its stock without a commit, unless the caller asks for another ttl. */
      RESERVATION_TTL_MS: ms(1_000, 30 * 60_000),
      /** The longest ttl a caller may ask for; longer ones are capped to it. */
      RESERVATION_TTL_MAX_MS: ms(1_000, 24 * 3600_000),
      /** How often the sweeper looks for lapsed reservations and ones a crash left half done. */
      SWEEP_INTERVAL_MS: ms(100, 5_000),
      /** A reservation pending or half settled for this long was left by a crash: the sweeper finishes it. */
      STALE_AFTER_MS: ms(1_000, 60_000),
      /**
       * Reserve, commit and release calls worked on at once by one replica; more wait their turn. More at once
       * lets more calls pass the pre-check of a lot about to run out, each refused later at the lot (a fence
       * on it): a burst on one lot was slower with 32 than with 4–16 (docs/adr/0002).
       */
      RESERVATION_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
      /**
       * Crash tests only: a reservation's saga stops for good after this step (`pending:1`, `committing:1`,
       * see StepHook) and the process logs "paused at step <step>", so a test can kill -9 it there.
       */
      PAUSE_AT_STEP: z
        .string()
        .regex(/^$|^(pending|failing|committing|releasing|expiring):\d+$/)
        .default(''),
    }),
  );
export type InventoryConfig = ReturnType<typeof loadInventoryConfig>;
