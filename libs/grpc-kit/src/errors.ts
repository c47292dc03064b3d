import { status } from '@grpc/grpc-js';

/** One field that failed validation: a path such as `needs[0].quantity.amount` and what is wrong with it. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** Base of the failures a handler may throw on purpose; each maps to one gRPC status code. */
export abstract class DomainError extends Error {
  abstract readonly code: status;
}

export class InvalidArgumentError extends DomainError {
  override name = 'InvalidArgumentError';
  readonly code = status.INVALID_ARGUMENT;
  constructor(readonly violations: FieldViolation[]) {
    super(violations.map((v) => `${v.field}: ${v.description}`).join('; '));
  }
  static field(field: string, description: string): InvalidArgumentError {
    return new InvalidArgumentError([{ field, description }]);
  }
}

export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
  readonly code = status.NOT_FOUND;
}

export class AlreadyExistsError extends DomainError {
  override name = 'AlreadyExistsError';
  readonly code = status.ALREADY_EXISTS;
}

/** The change is illegal in the aggregate's current state (cancel a fulfilled request, claim a held task). */
export class FailedPreconditionError extends DomainError {
  override name = 'FailedPreconditionError';
  readonly code = status.FAILED_PRECONDITION;
}

export class PermissionDeniedError extends DomainError {
  override name = 'PermissionDeniedError';
  readonly code = status.PERMISSION_DENIED;
}

export class UnauthenticatedError extends DomainError {
  override name = 'UnauthenticatedError';
  readonly code = status.UNAUTHENTICATED;
}

/** Another replica holds the work (a lease): retry later. */
export class AbortedError extends DomainError {
  override name = 'AbortedError';
  readonly code = status.ABORTED;
}

/** A dependency (NATS, the database, another service) stayed unreachable through the retries: try again. */
export class UnavailableError extends DomainError {
  override name = 'UnavailableError';
  readonly code = status.UNAVAILABLE;
}

export class ResourceExhaustedError extends DomainError {
  override name = 'ResourceExhaustedError';
  readonly code = status.RESOURCE_EXHAUSTED;
}

/** Trailing metadata key carrying the JSON list of field violations of an INVALID_ARGUMENT. */
export const FIELD_VIOLATIONS_KEY = 'nuanyang-field-violations';
