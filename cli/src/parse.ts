import { ROLES, type Role } from '@nuanyang/auth';
import { InvalidArgumentError } from 'commander';

/**
 * Argument parsers for commander's `argParser`: each returns the parsed value or throws commander's
 * InvalidArgumentError, which commander prints after naming the option ("option '--ttl <duration>' argument
 * 'x' is invalid. <our reason>").
 */

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `expected a whole number ≥ ${min}`
          : `expected a whole number from ${min} to ${max}`,
      );
    return n;
  };
}

export function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError('expected a fraction from 0 to 1, e.g. 0.3');
  return n;
}

/** A comma-separated list of the auth library's roles, e.g. `operator,verifier`. */
export function roles(value: string): Role[] {
  const names = value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError(`expected one or more of ${ROLES.join(', ')}`);
  const unknown = names.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0)
    throw new InvalidArgumentError(
      `unknown role${unknown.length > 1 ? 's' : ''} ${unknown.map((r) => `"${r}"`).join(', ')}; roles are ${ROLES.join(', ')}`,
    );
  return [...new Set(names)] as Role[];
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** A duration such as `90s`, `30m`, `12h` or `7d`, or plain seconds; in seconds. */
export function duration(value: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(value.trim());
  const seconds = m ? Number(m[1]) * UNIT_SECONDS[m[2] || 's']! : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0)
    throw new InvalidArgumentError('expected a positive duration such as 90s, 30m, 12h or 7d');
  return seconds;
}

/** An ISO 8601 date or date-time, e.g. `2022-01-05` or `2022-01-05T18:00+08:00`. */
export function timestamp(value: string): Date {
  const d = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(d.getTime()))
    throw new InvalidArgumentError(
      'expected an ISO 8601 date or time, e.g. 2022-01-05 or 2022-01-05T18:00+08:00',
    );
  return d;
}

/** `host:port`, as grpc-js takes it. */
export function address(value: string): string {
  if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/.test(value))
    throw new InvalidArgumentError('expected host:port, e.g. 127.0.0.1:50051');
  return value;
}

export function host(value: string): string {
  if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+)$/.test(value))
    throw new InvalidArgumentError('expected a host name or address without a port, e.g. 127.0.0.1');
  return value;
}

/** Text that is not empty (an organisation id, a subject). */
export function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty');
  return value.trim();
}

/** Collects a repeatable option (`--district yanta --district beilin`, or `--district yanta,beilin`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}
