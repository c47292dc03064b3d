import jwt from 'jsonwebtoken';
import { z } from 'zod';

export const ROLES = ['operator', 'verifier', 'partner', 'supplier', 'volunteer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the JWT subject, their organisation and roles. */
export interface Principal {
  subject: string;
  organisationId: string;
  roles: Role[];
}

/** The token is missing, malformed, expired or signed with another key. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

const claims = z.object({
  sub: z.string().min(1),
  org: z.string().min(1),
  roles: z.array(z.enum(ROLES)).min(1),
});

const ISSUER = 'nuanyang';

export function issueToken(principal: Principal, secret: string, expiresInSeconds = 12 * 3600): string {
  return jwt.sign({ org: principal.organisationId, roles: principal.roles }, secret, {
    algorithm: 'HS256',
    subject: principal.subject,
    issuer: ISSUER,
    expiresIn: expiresInSeconds,
  });
}

export function verifyToken(token: string, secret: string): Principal {
  let payload: unknown;
  try {
    payload = jwt.verify(token, secret, { algorithms: ['HS256'], issuer: ISSUER });
  } catch (err) {
    throw new AuthenticationError(`invalid token: ${(err as Error).message}`);
  }
  const parsed = claims.safeParse(payload);
  if (!parsed.success) {
    throw new AuthenticationError(
      `invalid token claims: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
  }
  return { subject: parsed.data.sub, organisationId: parsed.data.org, roles: parsed.data.roles };
}

/** Parses an `authorization` header value of the form `Bearer <jwt>`. */
export function verifyBearer(header: string | undefined, secret: string): Principal {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match?.[1]) throw new AuthenticationError('missing bearer token in authorization');
  return verifyToken(match[1], secret);
}

export function hasAnyRole(principal: Principal, roles: readonly Role[]): boolean {
  return principal.roles.some((r) => roles.includes(r));
}

/**
 * Requester phone numbers and exact addresses are personal data: operators and verifiers see them,
 * and so does the volunteer assigned to the delivery (the caller says whether the principal is that volunteer).
 */
export function maySeePersonalData(
  principal: Principal,
  opts: { isAssignedVolunteer?: boolean } = {},
): boolean {
  return hasAnyRole(principal, ['operator', 'verifier']) || opts.isAssignedVolunteer === true;
}
