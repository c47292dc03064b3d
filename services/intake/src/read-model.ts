import type { Bus } from '@nuanyang/bus';
import type { Logger } from '@nuanyang/logger';
import type { HelpRequest, HelpRequestStatus } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { type EventStore, Projection, type ReadDocument, readModel } from '@nuanyang/store';
import type { Connection } from 'mongoose';
import { isFinal } from './domain/lifecycle';
import type { ListFilter } from './help-requests';

/** A help request as the list queries read it: every filtered or sorted field at the top level. */
interface HelpRequestDocument extends ReadDocument {
  status: HelpRequestStatus;
  district: string;
  categories: number[];
  urgency: number;
  submittingOrganisationId: string;
  priorityScore: number;
  receivedAt: Date;
  state: HelpRequest;
}

const SORT: Record<string, 1 | -1> = { priorityScore: -1, receivedAt: 1, _id: 1 };
const INDEXES: Record<string, 1 | -1>[] = [SORT, { status: 1 }, { district: 1 }];

/**
 * The help requests' read model: open requests in `help_requests_open` (live work: what the console's
 * queues and the request path read), final ones (rejected, duplicate, fulfilled, cancelled) in the
 * insert-once `help_requests_closed`. A list that asks for final statuses, or for every status, reads the
 * closed ones too: that is the history path, whose cost grows with history on FerretDB v1 (it scans).
 */
export class HelpRequestViews {
  readonly projection: Projection<HelpRequest>;

  constructor(connection: Connection, bus: Bus, store: EventStore<HelpRequest>, log: Logger) {
    this.projection = new Projection<HelpRequest>({
      bus,
      store,
      service: 'intake',
      aggregate: 'help_request',
      durable: 'intake-help-request-projector',
      live: readModel(connection, 'help_requests_open', INDEXES),
      archive: readModel(connection, 'help_requests_closed', INDEXES),
      document: ({ state }) => ({ fields: fieldsOf(state), final: isFinal(state.status) }),
      log,
    });
  }

  /** The first `n` requests matching the filter, in list order. */
  async list(filter: ListFilter, n: number): Promise<HelpRequest[]> {
    const query: Record<string, unknown> = {};
    if (filter.statuses.length > 0) query.status = { $in: filter.statuses };
    if (filter.district) query.district = filter.district;
    if (filter.category) query.categories = filter.category;
    if (filter.urgency) query.urgency = filter.urgency;
    if (filter.submittingOrganisationId) query.submittingOrganisationId = filter.submittingOrganisationId;
    const docs = await this.projection.find<HelpRequestDocument>(query, SORT, n, {
      live: filter.statuses.length === 0 || filter.statuses.some((s) => !isFinal(s)),
      archive: filter.statuses.length === 0 || filter.statuses.some(isFinal),
    });
    return docs.map((d) => d.state);
  }
}

function fieldsOf(r: HelpRequest): Omit<HelpRequestDocument, '_id' | 'version'> {
  return {
    status: r.status,
    district: r.location?.district ?? '',
    categories: [...new Set(r.needs.map((n) => n.category))],
    urgency: r.urgency,
    submittingOrganisationId: r.submittingOrganisationId,
    priorityScore: r.priorityScore,
    receivedAt: new Date(r.receivedAt ?? 0),
    state: r,
  };
}
