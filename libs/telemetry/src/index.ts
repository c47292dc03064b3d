import {
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { SDK_KEY } from './sdk-key';

const tracer = trace.getTracer('@nuanyang/telemetry');

/** Flushes and stops the SDK started by register.ts; a no-op when it was not loaded. */
export async function shutdownTelemetry(): Promise<void> {
  const sdk = (globalThis as Record<symbol, { shutdown(): Promise<void> } | undefined>)[SDK_KEY];
  await sdk?.shutdown();
}

/** The subset of nats.js message headers the propagation needs. */
export interface MessageHeaders {
  get(key: string): string;
  set(key: string, value: string): void;
  keys(): string[];
}

const setter: TextMapSetter<MessageHeaders> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

// nats.js header look-up is case-sensitive and returns "" for a missing key: match any case, "" is absent.
const getter: TextMapGetter<MessageHeaders> = {
  keys: (carrier) => carrier.keys(),
  get: (carrier, key) => {
    const actual = carrier.keys().find((k) => k.toLowerCase() === key.toLowerCase());
    const value = actual === undefined ? '' : carrier.get(actual);
    return value === '' ? undefined : value;
  },
};

function messagingAttributes(subject: string) {
  return { 'messaging.system': 'nats', 'messaging.destination.name': subject };
}

async function inSpan<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Producer span `send <subject>` around a publish; the W3C trace context of that span goes into `headers`.
 */
export function withProducerSpan<T>(
  subject: string,
  headers: MessageHeaders,
  attributes: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  const parent = context.active();
  const span = tracer.startSpan(
    `send ${subject}`,
    { kind: SpanKind.PRODUCER, attributes: { ...messagingAttributes(subject), ...attributes } },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  propagation.inject(ctx, headers, setter);
  return context.with(ctx, () => inSpan(span, fn));
}

/** Consumer span `process <subject>` whose parent is the trace context found in the message headers. */
export function withConsumerSpan<T>(
  subject: string,
  headers: MessageHeaders | undefined,
  attributes: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  const parent = headers ? propagation.extract(context.active(), headers, getter) : context.active();
  const span = tracer.startSpan(
    `process ${subject}`,
    { kind: SpanKind.CONSUMER, attributes: { ...messagingAttributes(subject), ...attributes } },
    parent,
  );
  return context.with(trace.setSpan(parent, span), () => inSpan(span, fn));
}

/** A business span (`match.plan`, `stock.reserve`) around `fn`, with the ids as attributes. */
export function withSpan<T>(name: string, attributes: Record<string, string | number>, fn: () => Promise<T>) {
  return tracer.startActiveSpan(name, { attributes }, (span) => inSpan(span, fn));
}
