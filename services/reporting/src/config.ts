import { loadConfig, serviceSchema, z } from '@nuanyang/config';

export const loadReportingConfig = () =>
  loadConfig(
    serviceSchema('reporting').extend({
      /**
       * The read model's generation: part of the facts collection's name and of the durable consumers'
       * names. A new generation starts with no facts and new durables, which replay every stream from the
       * start; the old one's data stays until dropped (dist/rebuild.js).
       */
      READ_MODEL_GENERATION: z.coerce.number().int().min(1).max(999_999).default(1),
      /**
       * A final case (a request cancelled, rejected, a duplicate, unreachable or fulfilled, with its
       * verification done) leaves memory for the archive once this many facts were applied after its last
       * one: stragglers (hours recorded after the fulfilment, facts of other streams arriving late) find it
       * still open. Every replica must use the same value (they close the same cases at the same point).
       */
      CLOSE_AFTER_FACTS: z.coerce.number().int().min(0).default(10_000),
      /** At most one SummaryUpdated per this interval, after applying facts. */
      SUMMARY_PUBLISH_INTERVAL_MS: z.coerce.number().int().min(100).default(1000),
    }),
  );
export type ReportingConfig = ReturnType<typeof loadReportingConfig>;
