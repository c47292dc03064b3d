import type { ReportFilter } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import type { Command } from 'commander';
import * as parse from '../parse';

export interface FilterOptions {
  from?: Date;
  to?: Date;
  district: string[];
  org?: string;
}

/** The report filter options shared by `summary` and `export`. */
export function addFilterOptions(command: Command): Command {
  return command
    .option('--from <time>', 'facts at or after this time (ISO 8601, e.g. 2022-01-05)', parse.timestamp)
    .option('--to <time>', 'facts before this time (ISO 8601)', parse.timestamp)
    .option('--district <code>', 'district code; repeat or comma-separate for several', parse.collect, [])
    .option('--org <id>', 'only facts involving this organisation');
}

/** The filter, or a usage error (exit 2) when the range ends before it starts. */
export function reportFilter(command: Command, options: FilterOptions): ReportFilter {
  if (options.from && options.to && options.to <= options.from)
    command.error(
      `error: --to (${options.to.toISOString()}) must be after --from (${options.from.toISOString()})`,
      {
        exitCode: 2,
      },
    );
  return {
    from: options.from,
    to: options.to,
    districts: options.district,
    category: 0,
    organisationId: options.org ?? '',
  };
}
