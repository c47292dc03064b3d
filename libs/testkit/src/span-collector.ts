import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** A plain JS view of an OTLP AnyValue. */
export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

export type SpanKindName = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';

/** One span as received, ids as lower-case hex. */
export interface CollectedSpan {
  /** Resource attribute `service.name` of the process that sent it (from OTEL_SERVICE_NAME). */
  serviceName: string;
  traceId: string;
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string;
  name: string;
  kind: SpanKindName;
  attributes: Record<string, AttributeValue>;
  resource: Record<string, AttributeValue>;
  /** Instrumentation scope name, e.g. `@opentelemetry/instrumentation-grpc`. */
  scope: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
}

export interface SpanCollector {
  /** Base URL, e.g. `http://127.0.0.1:41234`; traces are POSTed to `${endpoint}/v1/traces`. */
  readonly endpoint: string;
  /** `${endpoint}/v1/traces`, the value for OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. */
  readonly tracesUrl: string;
  /** Every span received so far, in arrival order (a copy). */
  spans(): CollectedSpan[];
  /** Resolves with the first span (received or still to come) matching `predicate`. */
  waitFor(predicate: (span: CollectedSpan) => boolean, timeoutMs?: number): Promise<CollectedSpan>;
  /** Resolves with all spans once `check` holds for them, e.g. `all => all.length >= 3`. */
  waitUntil(check: (spans: CollectedSpan[]) => boolean, timeoutMs?: number): Promise<CollectedSpan[]>;
  /** Forgets the spans received so far. */
  clear(): void;
  close(): Promise<void>;
}

const KINDS: SpanKindName[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

// The OTLP/JSON shapes we read (opentelemetry-proto's JSON mapping; every field may be absent).
interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number | string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: string;
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  status?: { code?: number | string; message?: string };
}
interface OtlpTracesRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[];
  }[];
}

/**
 * Trace and span ids: the OTLP/JSON mapping says lower-case hex (what @opentelemetry/exporter-trace-otlp-http
 * sends), but the generic protobuf JSON mapping of `bytes` is base64, which some exporters use. Accept both.
 */
export function normaliseId(id: string | undefined, bytes: 8 | 16): string | undefined {
  if (!id) return undefined;
  const hexLength = bytes * 2;
  if (id.length === hexLength && /^[0-9a-fA-F]+$/.test(id)) return id.toLowerCase();
  const decoded = Buffer.from(id, 'base64');
  if (decoded.length === bytes) return decoded.toString('hex');
  return id.toLowerCase();
}

function anyValue(value: OtlpAnyValue | undefined): AttributeValue {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(anyValue);
  if (value.kvlistValue !== undefined) return keyValues(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return value.bytesValue;
  return null;
}

function keyValues(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

function spanKind(kind: number | string | undefined): SpanKindName {
  if (typeof kind === 'string') {
    const name = kind.replace(/^SPAN_KIND_/, '') as SpanKindName;
    return KINDS.includes(name) ? name : 'UNSPECIFIED';
  }
  return KINDS[kind ?? 0] ?? 'UNSPECIFIED';
}

/** Flattens one OTLP/JSON ExportTraceServiceRequest into spans. */
export function parseOtlpTraces(body: unknown): CollectedSpan[] {
  const request = body as OtlpTracesRequest;
  const out: CollectedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = keyValues(rs.resource?.attributes);
    const serviceName = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown';
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        const parentSpanId = normaliseId(span.parentSpanId, 8);
        out.push({
          serviceName,
          traceId: normaliseId(span.traceId, 16) ?? '',
          spanId: normaliseId(span.spanId, 8) ?? '',
          ...(parentSpanId ? { parentSpanId } : {}),
          name: span.name ?? '',
          kind: spanKind(span.kind),
          attributes: keyValues(span.attributes),
          resource,
          scope: ss.scope?.name ?? '',
          startTimeUnixNano: String(span.startTimeUnixNano ?? '0'),
          endTimeUnixNano: String(span.endTimeUnixNano ?? '0'),
          status: {
            code: Number(span.status?.code ?? 0) || 0,
            ...(span.status?.message ? { message: span.status.message } : {}),
          },
        });
      }
    }
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function describe(spans: CollectedSpan[]): string {
  if (spans.length === 0) return 'no spans received';
  return `received ${spans.length}: ${spans.map((s) => `${s.serviceName}/${s.name}(${s.kind})`).join(', ')}`;
}

/**
 * A tiny OTLP/HTTP JSON trace receiver on 127.0.0.1 (random port). Give it to spawnService's `spans` option,
 * or point OTEL_EXPORTER_OTLP_TRACES_ENDPOINT at `tracesUrl` with OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json.
 */
export async function startSpanCollector(): Promise<SpanCollector> {
  let received: CollectedSpan[] = [];
  const listeners = new Set<() => void>();

  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/traces') {
      reply(res, 404, { message: 'only POST /v1/traces' });
      return;
    }
    if (!(req.headers['content-type'] ?? '').includes('json')) {
      reply(res, 415, { message: 'only OTLP/JSON: set OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json' });
      return;
    }
    readBody(req)
      .then((raw) => {
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        received.push(...parseOtlpTraces(JSON.parse(body.toString('utf8'))));
        for (const listener of listeners) listener();
        reply(res, 200, {});
      })
      .catch((error: Error) => reply(res, 400, { message: error.message }));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;

  const waitUntil = (check: (spans: CollectedSpan[]) => boolean, timeoutMs = 10_000) =>
    new Promise<CollectedSpan[]>((resolve, reject) => {
      const test = () => {
        if (!check(received)) return false;
        listeners.delete(test);
        clearTimeout(timer);
        resolve([...received]);
        return true;
      };
      const timer = setTimeout(() => {
        listeners.delete(test);
        reject(new Error(`span collector: condition not met within ${timeoutMs} ms; ${describe(received)}`));
      }, timeoutMs);
      listeners.add(test);
      test();
    });

  return {
    endpoint,
    tracesUrl: `${endpoint}/v1/traces`,
    spans: () => [...received],
    waitUntil,
    waitFor: async (predicate, timeoutMs = 10_000) => {
      const all = await waitUntil((spans) => spans.some(predicate), timeoutMs);
      return all.find(predicate) as CollectedSpan;
    },
    clear: () => {
      received = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
