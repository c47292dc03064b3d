import { createHash } from 'node:crypto';
import type { Principal } from '@nuanyang/auth';
import type { Actor } from '@nuanyang/store';

/** Who caused a change, as the store stamps it on the change's events. */
export const actorOf = (p: Principal): Actor => ({ organisationId: p.organisationId, userId: p.subject });

/** Hash of a request body without its idempotency key: tells a retry from a reused key. */
export const bodyHash = (encoded: Uint8Array) => createHash('sha256').update(encoded).digest('hex');
