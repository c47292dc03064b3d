import { AuthenticationError, hasAnyRole, type Principal, type Role, verifyBearer } from '@nuanyang/auth';
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from './problem';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; absent without a (valid) token. */
    principal?: Principal;
    /** The caller's raw token, forwarded to the services so they check roles and redact for the caller. */
    bearer?: string;
    /** Why the token given was refused. */
    authError?: string;
  }
  interface FastifyContextConfig {
    /** The route needs a valid bearer token. */
    auth?: boolean;
    /** ...with one of these roles. */
    roles?: readonly Role[];
    /** The token may also come as the `access_token` query parameter (EventSource cannot send headers). */
    tokenInQuery?: boolean;
  }
}

const REALM = 'Bearer realm="nuanyang"';

/**
 * Reads the bearer token of every request early (onRequest), so the rate limit can key on the caller's
 * organisation, and refuses API calls without a valid token (401) or without a role the route allows
 * (403) before the body is even read. The services check again, with finer rules (own organisation,
 * assigned volunteer) and redaction.
 */
export function registerAuth(app: FastifyInstance, secret: string): void {
  app.decorateRequest('principal', undefined);
  app.decorateRequest('bearer', undefined);
  app.decorateRequest('authError', undefined);

  app.addHook('onRequest', async (request) => {
    let header = request.headers.authorization;
    const fromQuery = (request.query as Record<string, unknown> | undefined)?.access_token;
    if (!header && request.routeOptions.config.tokenInQuery && typeof fromQuery === 'string' && fromQuery) {
      header = `Bearer ${fromQuery}`;
    }
    if (!header) return;
    try {
      request.principal = verifyBearer(header, secret);
      request.bearer = header.replace(/^Bearer\s+/i, '').trim();
    } catch (err) {
      request.authError = err instanceof AuthenticationError ? err.message : 'invalid token';
    }
  });

  app.addHook('preParsing', async (request) => {
    const { auth, roles } = request.routeOptions.config;
    if (!auth) return;
    if (!request.principal) {
      const error = request.authError
        ? `${REALM}, error="invalid_token", error_description="${request.authError.replace(/"/g, "'")}"`
        : REALM;
      throw new HttpProblem(
        401,
        request.authError ?? 'a bearer token is required (Authorization: Bearer <jwt>)',
        {
          headers: { 'www-authenticate': error },
        },
      );
    }
    if (roles && !hasAnyRole(request.principal, roles)) {
      throw new HttpProblem(
        403,
        `this operation needs one of the roles ${roles.join(', ')}; the token has ${request.principal.roles.join(', ')}`,
        { headers: { 'www-authenticate': `${REALM}, error="insufficient_scope"` } },
      );
    }
  });
}
