import { hasAnyRole } from '@nuanyang/auth';
import {
  type CallContext,
  createHandlers,
  PermissionDeniedError,
  pageOf,
  readPage,
  requireRole,
} from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import type { ReportingServiceServer } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { breakdown } from './domain/breakdown';
import { dayStamp } from './domain/buckets';
import { csvChunks, csvTable, FILE_STEM, listsCases } from './domain/csv';
import {
  readDimensions,
  readExportKind,
  readFilter,
  readMinInterval,
  readTimeSeries,
} from './domain/requests';
import type { Filter } from './domain/rows';
import { series } from './domain/series';
import { summarise } from './domain/summary';
import type { ReadModel } from './read-model';

/**
 * Operators and viewers read every figure; partners and suppliers only figures filtered to their own
 * organisation.
 */
function authorise(ctx: CallContext, filter: Filter): void {
  if (hasAnyRole(ctx.principal, ['operator', 'viewer'])) return;
  if (filter.organisationId !== ctx.principal.organisationId) {
    throw new PermissionDeniedError(
      'partners and suppliers may read figures of their own organisation only: set filter.organisation_id to it',
    );
  }
}

const READERS = ['operator', 'viewer', 'partner', 'supplier'] as const;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** gRPC surface of reporting: roles and request checks, then figures from the replica's incremental figures. */
export function reportingHandlers(model: ReadModel, log: Logger): ReportingServiceServer {
  const { unary, serverStream } = createHandlers(log);
  return {
    getSummary: unary(async (req, ctx) => {
      requireRole(ctx, READERS);
      const filter = readFilter(req.filter);
      authorise(ctx, filter);
      return { summary: summarise(model.figures, filter, Date.now()) };
    }),

    getBreakdown: unary(async (req, ctx) => {
      requireRole(ctx, READERS);
      const filter = readFilter(req.filter);
      const dimensions = readDimensions(req.dimensions);
      const at = readPage(req.page);
      authorise(ctx, filter);
      const rows = breakdown(model.figures, filter, dimensions);
      const { items, nextPageToken } = pageOf(rows.slice(at.offset, at.offset + at.limit + 1), at);
      return { dimensions, rows: items, page: { nextPageToken } };
    }),

    getTimeSeries: unary(async (req, ctx) => {
      requireRole(ctx, READERS);
      const q = readTimeSeries(req, Date.now());
      authorise(ctx, q.filter);
      const values = series(model.figures, q.filter, q.metrics, q.starts);
      return {
        granularity: req.granularity,
        series: q.metrics.map((metric, m) => ({
          metric,
          points: q.starts.map((start, i) => ({ bucketStart: new Date(start), value: values[m]?.[i] ?? 0 })),
        })),
      };
    }),

    exportCsv: serverStream(async (req, ctx, write, signal) => {
      requireRole(ctx, READERS);
      const filter = readFilter(req.filter);
      const kind = readExportKind(req.kind);
      authorise(ctx, filter);
      // The listings of every request or delivery read the closed cases from the archive.
      const cases = listsCases(kind) ? await model.caseViews() : [];
      const table = csvTable(kind, model.figures, filter, cases);
      let filename = `nuanyang-${FILE_STEM[kind]}-${dayStamp(Date.now())}.csv`;
      for await (const data of csvChunks(table, req.omitHxlRow)) {
        if (signal.aborted) return;
        write({ filename, data });
        filename = '';
      }
    }),

    streamSummary: serverStream(async (req, ctx, write, signal) => {
      requireRole(ctx, READERS);
      const filter = readFilter(req.filter);
      const interval = readMinInterval(req.minInterval);
      authorise(ctx, filter);
      let last = '';
      let sentAt = 0;
      /** Sends the summary when it differs from the last one sent. */
      const send = () => {
        const summary = summarise(model.figures, filter, Date.now());
        const key = JSON.stringify(summary);
        if (key === last) return;
        last = key;
        sentAt = Date.now();
        write({ summary });
      };
      send();
      while (!signal.aborted) {
        await model.nextChange(signal);
        await sleep(sentAt + interval - Date.now(), signal);
        if (!signal.aborted) send();
      }
    }),
  };
}
