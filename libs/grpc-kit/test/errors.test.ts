import { Metadata, status } from '@grpc/grpc-js';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  toServiceError,
  UnavailableError,
} from '@nuanyang/grpc-kit';
import { createLogger } from '@nuanyang/logger';

const log = createLogger('errors-test', 'silent');

/** A named error as a driver would throw it. */
function named(name: string, message = 'boom'): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** An error as a grpc-js client rejects with. */
function grpcError(code: status): Error {
  return Object.assign(new Error(`${code} upstream`), {
    code,
    details: 'upstream',
    metadata: new Metadata(),
  });
}

describe('toServiceError', () => {
  test.each([
    ['a field violation', InvalidArgumentError.field('reason', 'is required'), status.INVALID_ARGUMENT],
    ['an illegal state change', new FailedPreconditionError('task is completed'), status.FAILED_PRECONDITION],
    ['NATS unavailable through the retries', new UnavailableError('NATS unavailable'), status.UNAVAILABLE],
    ['MongoDB not reachable', named('MongoServerSelectionError'), status.UNAVAILABLE],
    ['MongoDB connection dropped', named('MongoNetworkError'), status.UNAVAILABLE],
    ['another service unavailable', grpcError(status.UNAVAILABLE), status.UNAVAILABLE],
    ['another service out of time', grpcError(status.DEADLINE_EXCEEDED), status.UNAVAILABLE],
    ['another service refusing', grpcError(status.PERMISSION_DENIED), status.INTERNAL],
    ['a bug', new TypeError('x is undefined'), status.INTERNAL],
  ])('%s', (_what, err, code) => {
    expect(toServiceError(err, log).code).toBe(code);
  });

  it('never shows an internal error its cause', () => {
    expect(toServiceError(new Error('secret detail'), log).details).toBe('internal error');
  });
});
