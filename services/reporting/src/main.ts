import type { Producer } from '@nuanyang/bus';
import { ReportingServiceService } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { runService } from '@nuanyang/service-kit';
import { loadReportingConfig } from './config';
import { CONSUMED, factOf } from './domain/facts';
import { reportingHandlers } from './handlers';
import { durableName, ReadModel } from './read-model';
import { startSummaryUpdates } from './summary-updates';

runService({
  name: 'reporting',
  loadConfig: loadReportingConfig,
  streams: ['intake', 'verification', 'matching', 'volunteer', 'reporting'],
  setup: async ({ config, mongo, bus, log }) => {
    const model = new ReadModel(mongo, bus, config.READ_MODEL_GENERATION, log, {
      closeAfter: config.CLOSE_AFTER_FACTS,
    });
    model.on('failed', () => process.exit(1));
    await model.init();
    return {
      background: [
        {
          name: 'summary updates',
          start: () =>
            startSummaryUpdates(bus, model, { publishIntervalMs: config.SUMMARY_PUBLISH_INTERVAL_MS }, log),
        },
        { name: 'fact relay', start: () => () => model.stop() },
      ],
      consume: async () => {
        // One durable per stream, shared by the replicas; a new generation's durables replay from the start.
        for (const [from, subjects] of Object.entries(CONSUMED) as [Producer, string[]][]) {
          await bus.consume({
            from,
            durable: durableName(config.READ_MODEL_GENERATION, from),
            subjects,
            handler: async (m) => {
              const fact = factOf(m.subject, m.data);
              if (!fact) {
                log.warn({ subject: m.subject, eventId: m.eventId }, 'event without id or time: not counted');
                return;
              }
              await model.record(fact, m.deliveryCount > 1);
            },
          });
        }
      },
      services: [
        {
          name: 'nuanyang.reporting.v1.ReportingService',
          protoFile: 'nuanyang/reporting/v1/reporting.proto',
          definition: ReportingServiceService,
          implementation: reportingHandlers(model, log),
        },
      ],
    };
  },
});
