import { ReportingServiceService } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { runService } from '@nuanyang/service-kit';
import { loadReportingConfig } from './config';
import { consume } from './consumers';
import { reportingHandlers } from './handlers';
import { ReadModel } from './read-model';
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
      consume: () => consume(bus, model, config.READ_MODEL_GENERATION, log),
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
