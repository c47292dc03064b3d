import { createHash } from 'node:crypto';
import { maySeePersonalData, type Principal } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import { normalisePhone } from '@nuanyang/common';
import {
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
import type { EventDraft, EventMeta, EventStore } from '@nuanyang/store';
import { type DuplicateCandidate, findLikelyDuplicates } from './domain/duplicates';
import { canMove, redact, statusName } from './domain/lifecycle';
import { priorityScore } from './domain/priority';
import { validateCreate } from './domain/validation';
import type { DuplicateIndex } from './duplicate-index';
import type { HelpRequestViews } from './read-model';

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

const by = (p: Principal) => ({ organisationId: p.organisationId, userId: p.subject });

/** The body of a create without its key, in protobuf's encoding: equal bodies hash equal. */
function bodyHash(req: CreateHelpRequestRequest): string {
  const body = CreateHelpRequestRequest.encode({ ...req, idempotencyKey: '' }).finish();
  return createHash('sha256').update(body).digest('hex');
}

function statusChanged(r: HelpRequest, reason: string): EventDraft {
  return {
    subject: SUBJECTS.intake.statusChanged,
    encode: (meta: EventMeta) =>
      HelpRequestStatusChanged.encode({
        meta,
        helpRequestId: r.id,
        status: r.status,
        reason,
      }).finish(),
  };
}

/** Help requests: creation with idempotency and duplicate flagging, queries with redaction, status changes. */
export class HelpRequests {
  constructor(
    private readonly store: EventStore<HelpRequest>,
    private readonly duplicates: DuplicateIndex,
    private readonly views: HelpRequestViews,
  ) {}

  async create(
    req: CreateHelpRequestRequest,
    actor: Principal,
  ): Promise<{ helpRequest: HelpRequest; replayed: boolean }> {
    const violations = validateCreate(req);
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    const id = helpRequestId(actor.organisationId, req.idempotencyKey);
    const cause = { causedBy: `create:${req.idempotencyKey}`, requestHash: bodyHash(req) };

    // A retry finds its first result by cause (the store refuses the same key with another body).
    const earlier = await this.store.findCaused(id, cause.causedBy, cause.requestHash);
    if (earlier) return this.replayed({ change: earlier, applied: false }, actor);

    const now = new Date();
    const phone = normalisePhone(req.requester?.phone ?? '') ?? '';
    const location = req.location && { ...req.location, address: req.location.address.trim() };
    const incoming: DuplicateCandidate = {
      id,
      phone,
      district: location?.district ?? '',
      address: location?.address ?? '',
      needs: req.needs,
      receivedAt: now,
    };
    const candidates = await this.duplicates.register(incoming);
    const state: HelpRequest = {
      id,
      version: 1,
      submittingOrganisationId: actor.organisationId,
      requester: { name: req.requester?.name.trim() ?? '', phone },
      location,
      needs: req.needs.map((n, i) => ({ ...n, needId: `${id}-n${i + 1}` })),
      urgency: req.urgency,
      vulnerableGroups: req.vulnerableGroups,
      peopleAffected: req.peopleAffected,
      channel: req.channel,
      description: req.description,
      status: HelpRequestStatus.HELP_REQUEST_STATUS_RECEIVED,
      priorityScore: priorityScore({ ...req, waitingHours: 0 }),
      possibleDuplicateOf: findLikelyDuplicates(incoming, candidates),
      statusReason: '',
      receivedAt: now,
      updatedAt: now,
      personalDataRedacted: false,
    };
    const received: EventDraft = {
      subject: SUBJECTS.intake.received,
      encode: (meta) => HelpRequestReceived.encode({ meta, helpRequest: state }).finish(),
    };
    const result = await this.store.create(id, { state, events: [received] }, { ...cause, actor: by(actor) });
    return this.replayed(result, actor);
  }

  private replayed(result: { change: { state: HelpRequest }; applied: boolean }, actor: Principal) {
    return { helpRequest: this.view(result.change.state, actor), replayed: !result.applied };
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
    const rows = await this.views.list(filter, at.offset + at.limit + 1);
    const { items, nextPageToken } = pageOf(rows.slice(at.offset), at);
    return { helpRequests: items.map((r) => this.view(r, actor)), nextPageToken };
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
          encode: (meta) => HelpRequestCancelled.encode({ meta, helpRequestId: id, reason }).finish(),
        };
        return { state: next, events: [cancelled, statusChanged(next, reason)] };
      },
      { actor: by(actor) },
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
