import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { FIELD_VIOLATIONS_KEY } from '@nuanyang/grpc-kit';
import { describeServiceError, isServiceError } from '../src/errors';

function serviceError(code: status, details: string, violations?: unknown): ServiceError {
  const metadata = new Metadata();
  if (violations !== undefined) metadata.set(FIELD_VIOLATIONS_KEY, JSON.stringify(violations));
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
}

describe('describeServiceError', () => {
  it('names the status and lists the field violations', () => {
    const err = serviceError(status.INVALID_ARGUMENT, 'filter.to: ends before from', [
      { field: 'filter.to', description: 'ends before from' },
      { field: 'filter.districts[0]', description: 'unknown district "nowhere"' },
    ]);
    expect(isServiceError(err)).toBe(true);
    expect(describeServiceError(err)).toBe(
      'INVALID_ARGUMENT: filter.to: ends before from; filter.districts[0]: unknown district "nowhere"',
    );
  });

  it('falls back to the details, and ignores violations it cannot read', () => {
    expect(
      describeServiceError(serviceError(status.PERMISSION_DENIED, 'needs the operator or viewer role')),
    ).toBe('PERMISSION_DENIED: needs the operator or viewer role');
    expect(
      describeServiceError(serviceError(status.INVALID_ARGUMENT, 'kind: is required', 'not a list')),
    ).toBe('INVALID_ARGUMENT: kind: is required');
  });

  it('says where an unreachable service was looked for', () => {
    const err = serviceError(status.UNAVAILABLE, 'No connection established. Resolution note: ');
    expect(describeServiceError(err, '127.0.0.1:50056')).toBe(
      'UNAVAILABLE: No connection established (at 127.0.0.1:50056: is the platform running? `make start`, or --host / --<service> to point elsewhere)',
    );
  });

  it('knows a gRPC error from another', () => {
    expect(isServiceError(new Error('plain'))).toBe(false);
    expect(isServiceError({ code: 14, metadata: new Metadata() })).toBe(false);
  });
});
