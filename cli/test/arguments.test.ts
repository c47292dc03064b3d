import { ROLES, verifyToken } from '@nuanyang/auth';
import { cli } from './io';

const SECRET = 'cli-test-secret';

describe('token', () => {
  it('prints a token that verifies with the secret and carries the organisation and roles', async () => {
    const { code, stdout, stderr } = await cli(
      '--secret',
      SECRET,
      'token',
      '--org',
      'org-huyi',
      '--roles',
      'operator,verifier',
      '--subject',
      'wang.li',
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(verifyToken(stdout.trim(), SECRET)).toEqual({
      subject: 'wang.li',
      organisationId: 'org-huyi',
      roles: ['operator', 'verifier'],
    });
  });

  it('lives as long as --ttl says (12 h by default) and names a subject when none is given', async () => {
    const claims = async (...ttl: string[]) => {
      const { stdout } = await cli('token', '--secret', SECRET, '--org', 'o1', '--roles', 'viewer', ...ttl);
      const payload = JSON.parse(Buffer.from(stdout.split('.')[1]!, 'base64url').toString());
      return { lifetime: payload.exp - payload.iat, sub: payload.sub };
    };
    expect(await claims()).toEqual({ lifetime: 12 * 3600, sub: 'viewer@o1' });
    expect(await claims('--ttl', '90m')).toMatchObject({ lifetime: 90 * 60 });
    expect(await claims('--ttl', '7d')).toMatchObject({ lifetime: 7 * 86400 });
  });

  it('takes the secret from JWT_SECRET', async () => {
    process.env.JWT_SECRET = 'from-the-environment';
    try {
      const { stdout } = await cli('token', '--org', 'o1', '--roles', 'partner');
      expect(verifyToken(stdout.trim(), 'from-the-environment').roles).toEqual(['partner']);
    } finally {
      delete process.env.JWT_SECRET;
    }
  });
});

describe('bad arguments exit with 2 and say what is wrong', () => {
  it.each([
    [
      'an unknown role',
      ['token', '--org', 'o1', '--roles', 'operator,mayor'],
      `error: option '--roles <roles>' argument 'operator,mayor' is invalid. unknown role "mayor"; roles are ${ROLES.join(', ')}`,
    ],
    [
      'a missing --org',
      ['token', '--roles', 'operator'],
      "error: required option '--org <id>' not specified",
    ],
    ['a missing --roles', ['token', '--org', 'o1'], "error: required option '--roles <roles>' not specified"],
    [
      'an empty --org',
      ['token', '--org', ' ', '--roles', 'viewer'],
      "error: option '--org <id>' argument ' ' is invalid. must not be empty",
    ],
    [
      'a bad --ttl',
      ['token', '--org', 'o1', '--roles', 'viewer', '--ttl', 'soon'],
      "error: option '--ttl <duration>' argument 'soon' is invalid. expected a positive duration such as 90s, 30m, 12h or 7d",
    ],
    [
      'an unknown export kind',
      ['export', '--kind', 'everything'],
      "error: option '--kind <kind>' argument 'everything' is invalid. Allowed choices are summary-by-area, who-what-where, help-requests, deliveries.",
    ],
    ['a missing export kind', ['export'], "error: required option '--kind <kind>' not specified"],
    [
      'too few demo requests',
      ['demo', '--requests', '5'],
      "error: option '--requests <n>' argument '5' is invalid. expected a whole number from 20 to 20000",
    ],
    [
      'a fraction above 1',
      ['demo', '--in-progress', '1.5'],
      "error: option '--in-progress <fraction>' argument '1.5' is invalid. expected a fraction from 0 to 1, e.g. 0.3",
    ],
    [
      'a date that is not one',
      ['summary', '--from', 'yesterday'],
      "error: option '--from <time>' argument 'yesterday' is invalid. expected an ISO 8601 date or time, e.g. 2022-01-05 or 2022-01-05T18:00+08:00",
    ],
    [
      'a range that ends before it starts',
      ['summary', '--from', '2022-01-05', '--to', '2022-01-01'],
      'error: --to (2022-01-01T00:00:00.000Z) must be after --from (2022-01-05T00:00:00.000Z)',
    ],
    [
      'an address without a port',
      ['--reporting', 'localhost', 'summary'],
      "error: option '--reporting <address>' argument 'localhost' is invalid. expected host:port, e.g. 127.0.0.1:50051",
    ],
    ['an unknown command', ['tokens'], "error: unknown command 'tokens'\n(Did you mean token?)"],
  ])('%s', async (_, args, message) => {
    const { code, stdout, stderr } = await cli(...args);
    expect({ code, stdout, stderr: stderr.trim() }).toEqual({ code: 2, stdout: '', stderr: message });
  });

  it('prints the help on stdout with exit code 0 when asked', async () => {
    const { code, stdout } = await cli('export', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('--kind <kind>');
    expect(stdout).toContain('nuanyang export --kind who-what-where --out 3w.csv');
  });
});

describe('service errors', () => {
  it('print one line naming the status and where the service was looked for, with exit code 1', async () => {
    const { code, stdout, stderr } = await cli('--reporting', '127.0.0.1:1', '--deadline', '3s', 'summary');
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(
      /^nuanyang: (UNAVAILABLE|DEADLINE_EXCEEDED): .*at 127\.0\.0\.1:1: is the platform running\?/,
    );
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
