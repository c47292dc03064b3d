import fs from 'node:fs';
import path from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { createClient } from '@nuanyang/grpc-kit';
import {
  type ExportCsvResponse,
  ExportKind,
  ReportingServiceClient,
} from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { type Command, Option } from 'commander';
import { Context, type Io } from '../context';
import { CliError } from '../errors';
import { addFilterOptions, type FilterOptions, reportFilter } from './filter';
import { remote } from './remote';

/** The report kinds by their CLI names. */
export const EXPORT_KINDS = {
  'summary-by-area': ExportKind.EXPORT_KIND_SUMMARY_BY_AREA,
  'who-what-where': ExportKind.EXPORT_KIND_WHO_WHAT_WHERE,
  'help-requests': ExportKind.EXPORT_KIND_HELP_REQUESTS,
  deliveries: ExportKind.EXPORT_KIND_DELIVERIES,
} as const;
type KindName = keyof typeof EXPORT_KINDS;

interface ExportOptions extends FilterOptions {
  kind: KindName;
  out?: string;
  hxl: boolean;
}

export function exportCommand(program: Command, io: Io): void {
  addFilterOptions(
    program
      .command('export')
      .description('stream a CSV report from reporting (UTF-8; row 2 holds HXL hashtags) to a file or stdout')
      .addOption(
        new Option('--kind <kind>', 'which report').choices(Object.keys(EXPORT_KINDS)).makeOptionMandatory(),
      )
      .option(
        '--out <file>',
        "write to this file (a folder: the server's suggested file name in it); default stdout",
      )
      .option('--no-hxl', 'leave out the HXL hashtag row (for tools that expect one header row)'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  nuanyang export --kind who-what-where --out 3w.csv\n  nuanyang export --kind deliveries --district yanta --no-hxl > deliveries.csv',
    )
    .action(async function (this: Command, options: ExportOptions) {
      const context = new Context(this);
      const filter = reportFilter(this, options);
      const address = context.address('reporting');
      const reporting = createClient(ReportingServiceClient, address, { deadlineMs: context.deadlineMs });
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${context.token()}`);
      const call = reporting.raw.exportCsv(
        { filter, kind: EXPORT_KINDS[options.kind], omitHxlRow: !options.hxl },
        metadata,
        { deadline: Date.now() + Math.max(context.deadlineMs, 120_000) },
      );
      let sink: Sink | undefined;
      try {
        await remote(
          address,
          (async () => {
            for await (const chunk of call as AsyncIterable<ExportCsvResponse>) {
              sink ??= openSink(options.out, chunk.filename || `nuanyang-${options.kind}.csv`, io);
              await sink.write(chunk.data);
            }
          })(),
        );
        // An export with no chunk at all is still a (empty) file.
        sink ??= openSink(options.out, `nuanyang-${options.kind}.csv`, io);
        const written = await sink.finish();
        if (written) io.stderr.write(`wrote ${written.bytes} bytes to ${written.file}\n`);
      } catch (err) {
        call.cancel();
        await sink?.abandon();
        throw err;
      } finally {
        reporting.close();
      }
    });
}

interface Sink {
  write(data: Uint8Array): Promise<void>;
  /** Resolves with where it wrote, for a file. */
  finish(): Promise<{ file: string; bytes: number } | undefined>;
  abandon(): Promise<void>;
}

/**
 * Stdout, or a file written beside its final name and renamed once complete: a failed export never leaves
 * a truncated report under the name asked for.
 */
function openSink(out: string | undefined, suggested: string, io: Io): Sink {
  if (out === undefined) {
    return {
      write: (data) => writeTo(io.stdout, data),
      finish: async () => undefined,
      abandon: async () => {},
    };
  }
  const file = isDirectory(out) ? path.join(out, path.basename(suggested)) : out;
  const partial = `${file}.part`;
  let stream: fs.WriteStream;
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    stream = fs.createWriteStream(partial);
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as Error).message}`);
  }
  const failed = new Promise<never>((_, reject) =>
    stream.once('error', (err) => reject(new CliError(`cannot write ${file}: ${err.message}`))),
  );
  failed.catch(() => {});
  let bytes = 0;
  return {
    async write(data) {
      bytes += data.length;
      await Promise.race([writeTo(stream, data), failed]);
    },
    async finish() {
      await Promise.race([new Promise<void>((resolve) => stream.end(resolve)), failed]);
      fs.renameSync(partial, file);
      return { file, bytes };
    },
    async abandon() {
      if (!stream.closed)
        await new Promise<void>((resolve) => {
          stream.once('close', () => resolve());
          stream.destroy();
        });
      fs.rmSync(partial, { force: true });
    },
  };
}

function isDirectory(p: string): boolean {
  return p.endsWith(path.sep) || (fs.existsSync(p) && fs.statSync(p).isDirectory());
}

/** Writes and waits for the stream to take more (backpressure). */
function writeTo(stream: NodeJS.WritableStream, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.write(data, (err) => (err ? reject(err) : undefined))) resolve();
    else stream.once('drain', resolve);
  });
}
