import { PassThrough } from 'node:stream';
import { type ClientReadableStream, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import * as reporting from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceClients } from '../clients';
import { problemBody, toProblem } from '../problem';
import type { ProtoSchemas } from '../schemas';
import { Type } from '../typebox';
import { API_PREFIX, ERROR_RESPONSES, fromQuery, queryOf, type ServiceRoutes } from './route';

const READERS = ['operator', 'viewer', 'partner', 'supplier'] as const;
const FILTERED =
  'Partners and suppliers may read figures filtered to their own organisation (organisationId).';

export const reportingRoutes: ServiceRoutes = {
  service: 'reporting',
  protoPackage: 'nuanyang.reporting.v1',
  codecs: reporting,
  tag: 'reports',
  routes: [
    {
      method: 'GET',
      url: '/reports/summary',
      rpc: 'GetSummary',
      summary: 'The headline figures',
      description: FILTERED,
      roles: READERS,
    },
    {
      method: 'GET',
      url: '/reports/breakdown',
      rpc: 'GetBreakdown',
      summary: 'Figures grouped by one to three dimensions (who does what where)',
      description: `Repeat \`dimensions\`, e.g. dimensions=DIMENSION_ORGANISATION&dimensions=DIMENSION_DISTRICT. ${FILTERED}`,
      roles: READERS,
    },
    {
      method: 'GET',
      url: '/reports/time-series',
      rpc: 'GetTimeSeries',
      summary: 'Metrics per hour or day',
      description: `\`from\` and \`granularity\` are required; repeat \`metrics\`. ${FILTERED}`,
      roles: READERS,
    },
  ],
};

/** The bearer token as gRPC metadata, for the streaming calls that createClient does not wrap. */
function metadataFor(request: FastifyRequest): Metadata {
  const metadata = new Metadata();
  if (request.bearer) metadata.set('authorization', `Bearer ${request.bearer}`);
  return metadata;
}

/** Resolves with the stream's first message, or undefined when it ends empty; rejects with its error. */
function first<T>(call: ClientReadableStream<T>): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const onData = (message: T) => {
      cleanup();
      call.pause();
      resolve(message);
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    const onError = (err: ServiceError) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      call.off('data', onData);
      call.off('end', onEnd);
      call.off('error', onError);
    };
    call.on('data', onData);
    call.on('end', onEnd);
    call.on('error', onError);
  });
}

/** The SSE connections open now, ended when the gateway shuts down. */
export type OpenStreams = Set<() => void>;

/** CSV export (a download) and the live dashboard stream (server-sent events), over reporting's streams. */
export function registerReportingStreams(
  app: FastifyInstance,
  schemas: ProtoSchemas,
  clients: ServiceClients,
  opts: { heartbeatMs: number; exportDeadlineMs: number; open: OpenStreams },
): void {
  const raw = clients.reporting.raw;

  const exportQuery = queryOf(schemas, schemas.fields('nuanyang.reporting.v1.ExportCsvRequest'));
  app.route({
    method: 'GET',
    url: `${API_PREFIX}/reports/csv`,
    config: { auth: true, roles: READERS },
    schema: {
      operationId: 'exportCsv',
      tags: ['reports'],
      summary: 'Download a CSV report (UTF-8 with BOM, HXL hashtag row)',
      description: `\`kind\` is required. ${FILTERED} gRPC: \`nuanyang.reporting.v1.ReportingService/ExportCsv\`.`,
      security: [{ bearerAuth: [] }],
      querystring: exportQuery.schema,
      produces: ['text/csv'],
      response: {
        200: {
          description: 'The CSV file, as an attachment',
          headers: { 'content-disposition': { type: 'string' } },
          content: { 'text/csv': { schema: { type: 'string' } } },
        },
        ...ERROR_RESPONSES,
      },
    },
    handler: async (request, reply) => {
      const message = reporting.ExportCsvRequest.fromJSON(
        fromQuery(request.query as Record<string, unknown>, exportQuery.where),
      );
      const call = raw.exportCsv(message, metadataFor(request), {
        deadline: Date.now() + opts.exportDeadlineMs,
      });
      // Wait for the first chunk: an error before it (a bad filter, a missing role) is still a proper status.
      const head = await first(call);
      const filename = (head?.filename || 'nuanyang-report.csv').replace(/[^\w.-]/g, '_');
      const body = new PassThrough();
      if (head) body.write(head.data);
      call.on('data', (chunk: reporting.ExportCsvResponse) => body.write(chunk.data));
      call.on('end', () => body.end());
      call.on('error', (err) => body.destroy(err));
      // The response closes when it is sent or the client goes away; either way the stream is done with.
      reply.raw.once('close', () => call.cancel());
      call.resume();
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .send(body);
    },
  });

  const streamQuery = queryOf(schemas, schemas.fields('nuanyang.reporting.v1.StreamSummaryRequest'));
  const streamSchema = Type.Object(
    {
      ...streamQuery.schema.properties,
      minIntervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
      access_token: Type.Optional(
        Type.String({ description: 'The bearer token, for EventSource, which cannot send headers' }),
      ),
    },
    { additionalProperties: false },
  );
  app.route({
    method: 'GET',
    url: `${API_PREFIX}/dashboard/stream`,
    config: { auth: true, roles: READERS, tokenInQuery: true, rateLimit: false },
    schema: {
      operationId: 'streamDashboard',
      tags: ['reports'],
      summary: 'Live dashboard figures as server-sent events',
      description:
        'An `event: summary` with the Summary JSON at once and whenever the figures change (at most once per ' +
        'minIntervalSeconds); a comment line as heartbeat. EventSource cannot send an Authorization header, so ' +
        'this route alone also takes the token as the `access_token` query parameter. ' +
        'gRPC: `nuanyang.reporting.v1.ReportingService/StreamSummary`.',
      security: [{ bearerAuth: [] }, { accessTokenQuery: [] }],
      querystring: streamSchema,
      produces: ['text/event-stream'],
      response: {
        200: {
          description: 'text/event-stream of `summary` events',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        ...ERROR_RESPONSES,
      },
    },
    handler: async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const message = reporting.StreamSummaryRequest.fromJSON({
        ...fromQuery(query, streamQuery.where),
        ...(query.minIntervalSeconds ? { minInterval: { seconds: query.minIntervalSeconds } } : {}),
      });
      const call = raw.streamSummary(message, metadataFor(request));
      let head: reporting.StreamSummaryResponse | undefined;
      try {
        head = await first(call);
      } catch (err) {
        call.cancel();
        throw err;
      }

      // The event stream is a body Fastify pipes out (so its hooks, CORS headers and the request's span
      // finish as usual); we write the events into it.
      const events = new PassThrough();
      let sequence = 0;
      const send = (m: reporting.StreamSummaryResponse) => {
        sequence += 1;
        const data = JSON.stringify(reporting.Summary.toJSON(m.summary ?? reporting.Summary.fromPartial({})));
        events.write(`id: ${sequence}\nevent: summary\ndata: ${data}\n\n`);
      };
      events.write('retry: 5000\n\n');
      if (head) send(head);
      const heartbeat = setInterval(() => events.write(': heartbeat\n\n'), opts.heartbeatMs);
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        opts.open.delete(close);
        call.cancel();
        events.end();
      };
      opts.open.add(close);
      call.on('data', send);
      call.on('end', close);
      call.on('error', (err: ServiceError) => {
        // CANCELLED is ours (client gone or shutdown); anything else is told to the client before closing.
        if (!closed && err.code !== status.CANCELLED) {
          const problem = problemBody(toProblem(err), request.url.split('?')[0] ?? '');
          events.write(`event: error\ndata: ${JSON.stringify(problem)}\n\n`);
        }
        close();
      });
      // The client went away (or the gateway is closing): cancel the gRPC stream.
      reply.raw.once('close', close);
      call.resume();
      return reply
        .type('text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(events);
    },
  });
}
