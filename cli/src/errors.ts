import { type ServiceError, status } from '@grpc/grpc-js';
import { FIELD_VIOLATIONS_KEY, type FieldViolation } from '@nuanyang/grpc-kit';

/** A failure the CLI explains itself (a file it cannot write, a stage that timed out): exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

export function isServiceError(err: unknown): err is ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<ServiceError>).code === 'number' &&
    (err as Partial<ServiceError>).metadata !== undefined
  );
}

/**
 * One line for a gRPC error: the status name, then the field violations the services attach to
 * INVALID_ARGUMENT (libs/grpc-kit), else the details; for a service that cannot be reached, where it was
 * looked for.
 */
export function describeServiceError(err: ServiceError, address?: string): string {
  const name = status[err.code] ?? `status ${err.code}`;
  const violations = fieldViolations(err);
  const details =
    violations.length > 0
      ? violations.map((v) => `${v.field}: ${v.description}`).join('; ')
      : (err.details || err.message).replace(/[.\s]*Resolution note:\s*$/, '');
  const unreachable = err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED;
  const where = unreachable
    ? ` (${address ? `at ${address}: ` : ''}is the platform running? \`make start\`, or --host / --<service> to point elsewhere)`
    : '';
  return `${name}: ${details}${where}`;
}

function fieldViolations(err: ServiceError): FieldViolation[] {
  const raw = err.metadata?.get(FIELD_VIOLATIONS_KEY)[0];
  if (raw === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(raw.toString());
    return Array.isArray(parsed)
      ? parsed.filter(
          (v): v is FieldViolation => typeof v?.field === 'string' && typeof v?.description === 'string',
        )
      : [];
  } catch {
    return [];
  }
}
