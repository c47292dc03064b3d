import type { Bus } from '@nuanyang/bus';
import type { Logger } from '@nuanyang/logger';
import type { HelpRequest, HelpRequestStatus } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { type EventStore, Projection, type ReadDocument, readModel } from '@nuanyang/store';
import type { Connection, Model } from 'mongoose';
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

const SORT = { priorityScore: -1, receivedAt: 1, _id: 1 } as const;
const INDEXES = [SORT, { status: 1 }, { district: 1 }] as Record<string, 1 | -1>[];

/**
 * The help requests' read model: open requests in `help_requests_open` (live work: what the console's
 * queues and the request path read), final ones (rejected, duplicate, fulfilled, cancelled) in the
 * insert-once `help_requests_closed`. A list that asks for final statuses, or for every status, reads the
 * closed ones too: that is the history path, whose cost grows with history on FerretDB v1 (it scans).
 */
export class HelpRequestViews {
  readonly projection: Projection<HelpRequest>;
  private readonly open: Model<ReadDocument>;
  private readonly closed: Model<ReadDocument>;

  constructor(connection: Connection, bus: Bus, store: EventStore<HelpRequest>, log: Logger) {
    this.open = readModel(connection, 'help_requests_open', INDEXES);
    this.closed = readModel(connection, 'help_requests_closed', INDEXES);
    this.projection = new Projection<HelpRequest>({
      bus,
      store,
      service: 'intake',
      aggregate: 'help_request',
      durable: 'intake-help-request-projector',
      live: this.open,
      archive: this.closed,
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
    const wantsFinal = filter.statuses.length === 0 || filter.statuses.some(isFinal);
    const wantsOpen = filter.statuses.length === 0 || filter.statuses.some((s) => !isFinal(s));
    const read = (m: Model<ReadDocument>) => m.find(query).sort(SORT).limit(n).lean<HelpRequestDocument[]>();
    const docs = [
      ...(wantsOpen ? await read(this.open) : []),
      ...(wantsFinal ? await read(this.closed) : []),
    ];
    return docs
      .sort(byListOrder)
      .slice(0, n)
      .map((d) => d.state);
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

function byListOrder(a: HelpRequestDocument, b: HelpRequestDocument): number {
  return (
    b.priorityScore - a.priorityScore ||
    new Date(a.receivedAt).getTime() - new Date(b.receivedAt).getTime() ||
    a._id.localeCompare(b._id)
  );
}
