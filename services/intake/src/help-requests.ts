import { createHash } from 'node:crypto';
import { maySeePersonalData, type Principal } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import { normalisePhone } from '@nuanyang/common';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  pageOf,
  readPage,
} from '@nuanyang/grpc-kit';
import type { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  HelpRequestCancelled,
  HelpRequestReceived,
  HelpRequestStatusChanged,
} from '@nuanyang/proto/nuanyang/intake/v1/events';
import {
  CreateHelpRequestRequest,
  type HelpRequest,
  HelpRequestStatus,
} from '@nuanyang/proto/nuanyang/intake/v1/intake';
import type { AggregateStore, Change, EventDraft } from '@nuanyang/store';
import { DUPLICATE_WINDOW_HOURS, type DuplicateCandidate, findLikelyDuplicates } from './domain/duplicates';
import { canMove, redact, statusName } from './domain/lifecycle';
import { priorityScore } from './domain/priority';
import { validateCreate } from './domain/validation';

export interface ListFilter {
  statuses: HelpRequestStatus[];
  district: string;
  category: ItemCategory;
  urgency: Urgency;
  submittingOrganisationId: string;
  page: { pageSize: number; pageToken: string } | undefined;
}

/** The id of the request an organisation creates with an idempotency key: a retry lands on the same id. */
export function helpRequestId(organisationId: string, idempotencyKey: string): string {
  return `hr-${createHash('sha256').update(`${organisationId}\u0000${idempotencyKey}`).digest('hex').slice(0, 24)}`;
}

/** The body of a create without its key, in protobuf's encoding: equal bodies hash equal. */
function bodyHash(req: CreateHelpRequestRequest): string {
  const body = CreateHelpRequestRequest.encode({ ...req, idempotencyKey: '' }).finish();
  return createHash('sha256').update(body).digest('hex');
}

const meta = (id: string, version: number, eventId: string, occurredAt: Date, actor?: Principal) => ({
  eventId,
  occurredAt,
  aggregateId: id,
  aggregateVersion: version,
  actorOrganisationId: actor?.organisationId ?? '',
  actorUserId: actor?.subject ?? '',
});

function statusChanged(r: HelpRequest, reason: string): EventDraft {
  return {
    subject: SUBJECTS.intake.statusChanged,
    encode: ({ eventId, occurredAt }) =>
      HelpRequestStatusChanged.encode({
        meta: meta(r.id, r.version, eventId, occurredAt),
        helpRequestId: r.id,
        status: r.status,
        reason,
      }).finish(),
  };
}

/** Help requests: creation with idempotency and duplicate flagging, queries with redaction, status changes. */
export class HelpRequests {
  constructor(private readonly store: AggregateStore<HelpRequest>) {}

  async create(
    req: CreateHelpRequestRequest,
    actor: Principal,
  ): Promise<{ helpRequest: HelpRequest; replayed: boolean }> {
    const violations = validateCreate(req);
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    const id = helpRequestId(actor.organisationId, req.idempotencyKey);
    const hash = bodyHash(req);

    // The id derives from the key, so a retry finds its request's first version by key.
    const earlier = await this.store.loadVersion(id, 1);
    if (earlier) return this.replay(earlier, hash, actor);

    const now = new Date();
    const phone = normalisePhone(req.requester?.phone ?? '') ?? '';
    const state: HelpRequest = {
      id,
      version: 1,
      submittingOrganisationId: actor.organisationId,
      requester: { name: req.requester?.name.trim() ?? '', phone },
      location: req.location && { ...req.location, address: req.location.address.trim() },
      needs: req.needs.map((n, i) => ({ ...n, needId: `${id}-n${i + 1}` })),
      urgency: req.urgency,
      vulnerableGroups: req.vulnerableGroups,
      peopleAffected: req.peopleAffected,
      channel: req.channel,
      description: req.description,
      status: HelpRequestStatus.HELP_REQUEST_STATUS_RECEIVED,
      priorityScore: priorityScore({ ...req, waitingHours: 0 }),
      possibleDuplicateOf: await this.likelyDuplicates(id, phone, req, now),
      statusReason: '',
      receivedAt: now,
      updatedAt: now,
      personalDataRedacted: false,
    };
    const received: EventDraft = {
      subject: SUBJECTS.intake.received,
      encode: ({ eventId, occurredAt }) =>
        HelpRequestReceived.encode({
          meta: meta(id, 1, eventId, occurredAt, actor),
          helpRequest: state,
        }).finish(),
    };
    const { change, applied } = await this.store.create(
      id,
      { state, events: [received] },
      { causedBy: `create:${req.idempotencyKey}`, requestHash: hash, actor: actor.subject },
    );
    return applied
      ? { helpRequest: this.view(change.state, actor), replayed: false }
      : this.replay(change, hash, actor);
  }

  /** A retry gets the first result; the same key with another body is refused. */
  private replay(first: Change<HelpRequest>, hash: string, actor: Principal) {
    if (first.requestHash !== hash) {
      throw new AlreadyExistsError(
        'idempotency_key was already used for a different help request; use a new key for a new request',
      );
    }
    return { helpRequest: this.view(first.state, actor), replayed: true };
  }

  private async likelyDuplicates(id: string, phone: string, req: CreateHelpRequestRequest, now: Date) {
    const since = new Date(now.getTime() - DUPLICATE_WINDOW_HOURS * 3600_000);
    const district = req.location?.district ?? '';
    const recent = await this.store.query(
      {
        'state.receivedAt': { $gte: since },
        $or: [{ 'state.requester.phone': phone }, { 'state.location.district': district }],
      },
      { 'state.receivedAt': -1 },
      500,
    );
    const candidate = (r: HelpRequest): DuplicateCandidate => ({
      id: r.id,
      phone: r.requester?.phone ?? '',
      district: r.location?.district ?? '',
      address: r.location?.address ?? '',
      needs: r.needs,
      receivedAt: new Date(r.receivedAt ?? 0),
    });
    const incoming = candidate({
      id,
      requester: { name: '', phone },
      location: req.location,
      needs: req.needs,
      receivedAt: now,
    } as HelpRequest);
    return findLikelyDuplicates(
      incoming,
      recent.map((r) => candidate(r.state)),
    );
  }

  async get(id: string, actor: Principal): Promise<HelpRequest> {
    const change = await this.store.load(id);
    if (!change) throw new NotFoundError(`help request ${id} not found`);
    return this.view(change.state, actor);
  }

  async list(
    filter: ListFilter,
    actor: Principal,
  ): Promise<{ helpRequests: HelpRequest[]; nextPageToken: string }> {
    const at = readPage(filter.page);
    const query: Record<string, unknown> = {};
    if (filter.statuses.length > 0) query['state.status'] = { $in: filter.statuses };
    if (filter.district) query['state.location.district'] = filter.district;
    if (filter.category) query['state.needs.category'] = filter.category;
    if (filter.urgency) query['state.urgency'] = filter.urgency;
    if (filter.submittingOrganisationId)
      query['state.submittingOrganisationId'] = filter.submittingOrganisationId;
    const rows = await this.store.query(
      query,
      { 'state.priorityScore': -1, 'state.receivedAt': 1, _id: 1 },
      at.limit + 1,
      at.offset,
    );
    const { items, nextPageToken } = pageOf(rows, at);
    return { helpRequests: items.map((r) => this.view(r.state, actor)), nextPageToken };
  }

  async cancel(id: string, reason: string, actor: Principal): Promise<HelpRequest> {
    if (reason.trim() === '') throw InvalidArgumentError.field('reason', 'is required');
    if (reason.length > 500) throw InvalidArgumentError.field('reason', 'must be at most 500 characters');
    const existing = await this.store.load(id);
    if (!existing) throw new NotFoundError(`help request ${id} not found`);
    const isOperator = actor.roles.includes('operator');
    if (!isOperator && existing.state.submittingOrganisationId !== actor.organisationId) {
      throw new PermissionDeniedError('only the submitting organisation or an operator may cancel a request');
    }
    const { change } = await this.store.update(
      id,
      (current) => {
        const r = current.state;
        if (r.status === HelpRequestStatus.HELP_REQUEST_STATUS_CANCELLED) return null; // a retried cancel
        if (!canMove(r.status, HelpRequestStatus.HELP_REQUEST_STATUS_CANCELLED)) {
          throw new FailedPreconditionError(`a ${statusName(r.status)} help request cannot be cancelled`);
        }
        const next: HelpRequest = {
          ...r,
          version: current.version + 1,
          status: HelpRequestStatus.HELP_REQUEST_STATUS_CANCELLED,
          statusReason: reason,
          updatedAt: new Date(),
        };
        const cancelled: EventDraft = {
          subject: SUBJECTS.intake.cancelled,
          encode: ({ eventId, occurredAt }) =>
            HelpRequestCancelled.encode({
              meta: meta(id, next.version, eventId, occurredAt, actor),
              helpRequestId: id,
              reason,
            }).finish(),
        };
        return { state: next, events: [cancelled, statusChanged(next, reason)] };
      },
      { actor: actor.subject },
    );
    return this.view(change.state, actor);
  }

  /**
   * Follows the outcome of another service (verification now, matching and delivery later). An event seen
   * before, or a move the request's status does not allow (it was cancelled meanwhile), changes nothing.
   */
  async follow(
    id: string,
    eventId: string,
    to: HelpRequestStatus,
    reason: string,
    patch: Partial<HelpRequest> = {},
  ): Promise<boolean> {
    const { applied } = await this.store.update(
      id,
      (current) => {
        if (!canMove(current.state.status, to)) return null;
        const next: HelpRequest = {
          ...current.state,
          ...patch,
          version: current.version + 1,
          status: to,
          statusReason: reason,
          updatedAt: new Date(),
        };
        return { state: next, events: [statusChanged(next, reason)] };
      },
      { causedBy: eventId },
    );
    return applied;
  }

  /** What this caller may see, with the priority brought up to date for the time waited. */
  private view(r: HelpRequest, actor: Principal): HelpRequest {
    const waitingHours = (Date.now() - new Date(r.receivedAt ?? Date.now()).getTime()) / 3600_000;
    const open = [
      HelpRequestStatus.HELP_REQUEST_STATUS_RECEIVED,
      HelpRequestStatus.HELP_REQUEST_STATUS_VERIFIED,
      HelpRequestStatus.HELP_REQUEST_STATUS_PARTIALLY_MATCHED,
      HelpRequestStatus.HELP_REQUEST_STATUS_UNREACHABLE,
    ].includes(r.status);
    const current = open ? { ...r, priorityScore: priorityScore({ ...r, waitingHours }) } : r;
    return maySeePersonalData(actor) ? current : redact(current);
  }
}
