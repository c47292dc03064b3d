/** What the console reads from a bearer JWT (without verifying it: the gateway does that). */
export interface Principal {
  subject: string;
  organisationId: string;
  roles: string[];
  expiresAt?: Date;
}

export function decodeToken(token: string): Principal | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const json = new TextDecoder().decode(
      Uint8Array.from(atob(part.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
    );
    const claims = JSON.parse(json) as Record<string, unknown>;
    const roles = Array.isArray(claims.roles) ? claims.roles.map(String) : [];
    const org = claims.org ?? claims.organisationId ?? claims.organisation_id ?? claims.organization_id ?? '';
    return {
      subject: String(claims.sub ?? ''),
      organisationId: String(org),
      roles: roles.map((r) => r.toLowerCase().replace(/^role_/, '')),
      expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined,
    };
  } catch {
    return undefined;
  }
}
