import {
  AuthenticationError,
  issueToken,
  maySeePersonalData,
  type Principal,
  verifyBearer,
  verifyToken,
} from '@nuanyang/auth';
import jwt from 'jsonwebtoken';

const secret = 'a-test-secret-of-enough-length';
const partner: Principal = { subject: 'u-1', organisationId: 'org-1', roles: ['partner'] };

describe('tokens', () => {
  it('round-trips a principal', () => {
    expect(verifyToken(issueToken(partner, secret), secret)).toEqual(partner);
  });
  it('accepts a bearer header', () => {
    expect(verifyBearer(`Bearer ${issueToken(partner, secret)}`, secret)).toEqual(partner);
  });
  it.each([
    ['missing header', undefined],
    ['not bearer', 'Basic abc'],
    ['garbage', 'Bearer not-a-jwt'],
    ['wrong key', `Bearer ${issueToken(partner, 'another-secret-of-enough-length')}`],
    ['expired', `Bearer ${issueToken(partner, secret, -10)}`],
    [
      'unknown role',
      `Bearer ${jwt.sign({ org: 'o', roles: ['king'] }, secret, { subject: 's', issuer: 'nuanyang' })}`,
    ],
    [
      'no organisation',
      `Bearer ${jwt.sign({ roles: ['partner'] }, secret, { subject: 's', issuer: 'nuanyang' })}`,
    ],
  ])('rejects %s', (_case, header) => {
    expect(() => verifyBearer(header, secret)).toThrow(AuthenticationError);
  });
});

describe('personal data visibility', () => {
  it.each([
    [['operator'], false, true],
    [['verifier'], false, true],
    [['partner'], false, false],
    [['viewer', 'supplier'], false, false],
    [['volunteer'], false, false],
    [['volunteer'], true, true],
  ] as const)('roles %j, assigned volunteer %s -> %s', (roles, assigned, expected) => {
    expect(maySeePersonalData({ ...partner, roles: [...roles] }, { isAssignedVolunteer: assigned })).toBe(
      expected,
    );
  });
});
