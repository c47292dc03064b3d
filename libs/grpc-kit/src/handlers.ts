import {
  Metadata,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import type { Principal } from '@nuanyang/auth';
import type { Logger } from '@nuanyang/logger';
import type { CallContext } from './context';
import { DomainError, FIELD_VIOLATIONS_KEY, InvalidArgumentError, UnauthenticatedError } from './errors';
import { PRINCIPAL_KEY } from './interceptors';

type Call = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

function contextOf(call: Call): CallContext {
  const raw = call.metadata.get(PRINCIPAL_KEY)[0];
  if (typeof raw !== 'string') throw new UnauthenticatedError('no verified principal on the call');
  const principal = JSON.parse(raw) as Principal;
  return {
    principal,
    metadata: call.metadata,
    remainingMs: () => {
      const deadline = call.getDeadline();
      const at = deadline instanceof Date ? deadline.getTime() : deadline;
      return Number.isFinite(at) ? at - Date.now() : Number.POSITIVE_INFINITY;
    },
  };
}

/**
 * MongoDB's driver errors for a server it cannot reach (after its own server-selection wait and retry), by
 * name: grpc-kit does not load the driver.
 */
const UNREACHABLE_DATABASE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
]);

/**
 * A dependency was unreachable (the database, or another service answering UNAVAILABLE or running out of
 * time): a transient fault, which the caller may retry, not an internal error.
 */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (UNREACHABLE_DATABASE.has(err.name)) return true;
  const code = (err as { code?: unknown }).code;
  return 'metadata' in err && (code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED);
}

/**
 * Turns anything a handler threw into a gRPC status: domain errors keep their code, an unreachable
 * dependency is UNAVAILABLE, the rest is INTERNAL.
 */
export function toServiceError(err: unknown, log: Logger): Partial<ServiceError> {
  if (err instanceof DomainError) {
    const metadata = new Metadata();
    if (err instanceof InvalidArgumentError)
      metadata.set(FIELD_VIOLATIONS_KEY, JSON.stringify(err.violations));
    return { code: err.code, details: err.message, metadata };
  }
  if (isUnavailable(err)) {
    log.warn({ err }, 'a dependency is unavailable');
    return { code: status.UNAVAILABLE, details: `temporarily unavailable: ${(err as Error).message}` };
  }
  log.error({ err }, 'unexpected error in handler');
  return { code: status.INTERNAL, details: 'internal error' };
}

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

/**
 * The one adapter between async handlers and grpc-js callbacks. It runs inside the server span that the
 * grpc instrumentation started, so everything the handler does is part of the caller's trace.
 */
export function createHandlers(log: Logger) {
  return {
    unary<Req, Res>(handler: UnaryHandler<Req, Res>) {
      return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
        Promise.resolve()
          .then(() => handler(call.request, contextOf(call as Call)))
          .then(
            (res) => callback(null, res),
            (err) => callback(toServiceError(err, log)),
          );
      };
    },
    serverStream<Req, Res>(
      handler: (
        request: Req,
        ctx: CallContext,
        write: (m: Res) => void,
        signal: AbortSignal,
      ) => Promise<void>,
    ) {
      return (call: ServerWritableStream<Req, Res>): void => {
        const abort = new AbortController();
        call.on('cancelled', () => abort.abort());
        Promise.resolve()
          .then(() => handler(call.request, contextOf(call as Call), (m) => call.write(m), abort.signal))
          .then(
            () => call.end(),
            // 'error' (not destroy(), which skips the trailers) makes grpc-js end the call with this status.
            (err) => call.emit('error', Object.assign(new Error(), toServiceError(err, log))),
          );
      };
    },
  };
}
