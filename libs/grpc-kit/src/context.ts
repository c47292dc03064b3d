import type { Metadata } from '@grpc/grpc-js';
import { hasAnyRole, type Principal, type Role } from '@nuanyang/auth';
import { PermissionDeniedError } from './errors';

/** What a handler knows about its call besides the request. */
export interface CallContext {
  principal: Principal;
  metadata: Metadata;
  /** Milliseconds until the caller's deadline; Infinity when it set none. */
  remainingMs(): number;
}

/** Throws PERMISSION_DENIED unless the caller holds one of `roles`. */
export function requireRole(ctx: CallContext, roles: readonly Role[]): void {
  if (!hasAnyRole(ctx.principal, roles)) {
    throw new PermissionDeniedError(`requires one of the roles ${roles.join(', ')}`);
  }
}
