import { createHash } from 'node:crypto';
import type { Principal } from '@nuanyang/auth';
import type { EventDraft } from '@nuanyang/store';

export type EventStamp = { eventId: string; occurredAt: Date };

/** EventMeta of a change to one aggregate; system-initiated changes (consumers, the sweeper) have no actor. */
export const metaOf = (stamp: EventStamp, aggregateId: string, version: number, actor?: Principal) => ({
  ...stamp,
  aggregateId,
  aggregateVersion: version,
  actorOrganisationId: actor?.organisationId ?? '',
  actorUserId: actor?.subject ?? '',
});

export const event = (subject: string, encode: (stamp: EventStamp) => Uint8Array): EventDraft => ({
  subject,
  encode,
});

/** Hash of a request body without its idempotency key: tells a retry from a reused key. */
export const bodyHash = (encoded: Uint8Array) => createHash('sha256').update(encoded).digest('hex');
