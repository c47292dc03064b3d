import { createClient } from '@nuanyang/grpc-kit';
import { ReportingServiceClient } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import type { Command } from 'commander';
import { Context, type Io } from '../context';
import { summaryJson, summaryReport } from '../format';
import { addFilterOptions, type FilterOptions, reportFilter } from './filter';
import { remote } from './remote';

interface SummaryOptions extends FilterOptions {
  json?: boolean;
}

export function summaryCommand(program: Command, io: Io): void {
  addFilterOptions(
    program.command('summary').description("print reporting's headline figures as a table (or JSON)"),
  )
    .option('--json', 'print JSON instead of a table')
    .addHelpText(
      'after',
      '\nExamples:\n  nuanyang summary\n  nuanyang summary --from 2022-01-01 --to 2022-01-08 --district yanta,beilin --json',
    )
    .action(async function (this: Command, options: SummaryOptions) {
      const context = new Context(this);
      const filter = reportFilter(this, options);
      const address = context.address('reporting');
      const reporting = createClient(ReportingServiceClient, address, { deadlineMs: context.deadlineMs });
      try {
        const { summary } = await remote(
          address,
          reporting.getSummary({ filter }, { token: context.token() }),
        );
        if (!summary) throw new Error('reporting answered without a summary');
        io.stdout.write(
          options.json
            ? `${JSON.stringify(summaryJson(summary), null, 2)}\n`
            : summaryReport(summary, {
                ...options,
                districts: options.district,
                organisationId: options.org,
              }),
        );
      } finally {
        reporting.close();
      }
    });
}
