import type { Bus } from '@nuanyang/bus';
import type { Logger } from '@nuanyang/logger';
import {
  type DeliveryTask,
  type FunctionalGroup,
  type Organisation,
  type OrganisationType,
  DeliveryTaskStatus as S,
  type Skill,
  type Volunteer,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import { type EventStore, Projection, type ReadDocument, readModel } from '@nuanyang/store';
import type { Connection, Model } from 'mongoose';
import { normaliseName } from './domain/registry';
import { FINAL, type TaskState, urgencyRank } from './domain/tasks';

interface OrganisationDocument extends ReadDocument {
  sortName: string;
  type: OrganisationType;
  districts: string[];
  organisation: Organisation;
}

interface GroupDocument extends ReadDocument {
  sortName: string;
  leadOrganisationIds: string[];
  memberOrganisationIds: string[];
  group: FunctionalGroup;
}

interface VolunteerDocument extends ReadDocument {
  affiliationOrganisationId: string;
  skills: Skill[];
  districts: string[];
  registeredAt: Date;
  volunteer: Volunteer;
}

/** A delivery task as the lists, the sweeper and the selection read it: every filtered field top-level. */
interface TaskDocument extends ReadDocument {
  status: S;
  helpRequestId: string;
  district: string;
  offeredTo: string;
  assignedTo: string;
  /** Offered to or held by, while active: what counts towards a volunteer's load. */
  holderId: string;
  supplierOrganisationId: string;
  submittingOrganisationId: string;
  urgencyRank: number;
  createdAt: Date;
  /** When the offer lapses (OFFERED) or the delivery is overdue (ACCEPTED, PICKED_UP); null otherwise. */
  deadline: Date | null;
  task: DeliveryTask;
}

const BY_NAME: Record<string, 1 | -1> = { sortName: 1, _id: 1 };
const BY_REGISTRATION: Record<string, 1 | -1> = { registeredAt: 1, _id: 1 };
/** Most urgent first, then oldest: the order of byUrgencyThenAge. */
const BY_URGENCY: Record<string, 1 | -1> = { urgencyRank: 1, createdAt: 1, _id: 1 };
const LIVE_ONLY = { live: true, archive: false } as const;

export interface OrganisationFilter {
  type: OrganisationType;
  district: string;
  /** Only these organisations (a functional group's), or null for any. */
  ids: string[] | null;
}

export interface VolunteerFilter {
  affiliationOrganisationId: string;
  skill: Skill;
  district: string;
}

export interface RegistryStores {
  organisations: EventStore<Organisation>;
  groups: EventStore<FunctionalGroup>;
  volunteers: EventStore<Volunteer>;
}

/**
 * The registry's read models: organisations, functional groups and volunteers, one collection each. None
 * is ever final: they are bounded by the organisations and people who take part, not by the work done.
 */
export class RegistryViews {
  readonly organisationProjection: Projection<Organisation>;
  readonly groupProjection: Projection<FunctionalGroup>;
  readonly volunteerProjection: Projection<Volunteer>;

  constructor(connection: Connection, bus: Bus, stores: RegistryStores, log: Logger) {
    const common = { bus, service: 'volunteer', log } as const;
    this.organisationProjection = new Projection<Organisation>({
      ...common,
      store: stores.organisations,
      aggregate: 'organisation',
      durable: 'volunteer-organisation-projector',
      live: readModel(connection, 'organisations', [BY_NAME, { districts: 1 }]),
      document: ({ state: o }) => ({
        fields: { sortName: normaliseName(o.name), type: o.type, districts: o.districts, organisation: o },
        final: false,
      }),
    });
    this.groupProjection = new Projection<FunctionalGroup>({
      ...common,
      store: stores.groups,
      aggregate: 'functional_group',
      durable: 'volunteer-functional-group-projector',
      live: readModel(connection, 'functional_groups', [BY_NAME]),
      document: ({ state: g }) => ({
        fields: {
          sortName: normaliseName(g.name),
          leadOrganisationIds: g.leadOrganisationIds,
          memberOrganisationIds: g.memberOrganisationIds,
          group: g,
        },
        final: false,
      }),
    });
    this.volunteerProjection = new Projection<Volunteer>({
      ...common,
      store: stores.volunteers,
      aggregate: 'volunteer',
      durable: 'volunteer-volunteer-projector',
      live: readModel(connection, 'volunteers', [BY_REGISTRATION, { affiliationOrganisationId: 1 }]),
      document: ({ state: v }) => ({
        fields: {
          affiliationOrganisationId: v.affiliationOrganisationId,
          skills: v.skills,
          districts: v.districts,
          registeredAt: new Date(v.registeredAt ?? 0),
          volunteer: v,
        },
        final: false,
      }),
    });
  }

  get projections(): Projection<object>[] {
    return [this.organisationProjection, this.groupProjection, this.volunteerProjection];
  }

  /** The first `n` organisations matching the filter, by name. */
  async organisations(f: OrganisationFilter, n: number): Promise<Organisation[]> {
    const query: Record<string, unknown> = {};
    if (f.type) query.type = f.type;
    if (f.district) query.districts = f.district;
    if (f.ids) query._id = { $in: f.ids };
    const docs = await this.organisationProjection.find<OrganisationDocument>(query, BY_NAME, n, LIVE_ONLY);
    return docs.map((d) => d.organisation);
  }

  /** The first `n` functional groups, by name; with an organisation, the groups it leads or belongs to. */
  async groups(organisationId: string, n: number): Promise<FunctionalGroup[]> {
    const query = organisationId
      ? { $or: [{ leadOrganisationIds: organisationId }, { memberOrganisationIds: organisationId }] }
      : {};
    const docs = await this.groupProjection.find<GroupDocument>(query, BY_NAME, n, LIVE_ONLY);
    return docs.map((d) => d.group);
  }

  /** The first `n` volunteers matching the filter, in order of registration. */
  async volunteers(f: VolunteerFilter, n: number): Promise<Volunteer[]> {
    const query: Record<string, unknown> = {};
    if (f.affiliationOrganisationId) query.affiliationOrganisationId = f.affiliationOrganisationId;
    if (f.skill) query.skills = f.skill;
    if (f.district) query.districts = f.district;
    const docs = await this.volunteerProjection.find<VolunteerDocument>(query, BY_REGISTRATION, n, LIVE_ONLY);
    return docs.map((d) => d.volunteer);
  }
}

/** Who may see which tasks: everyone (operators), or tasks matching any of these. */
export type TaskVisibility =
  | 'all'
  | { volunteerId: string; supplierOrganisationId: string; partnerOrganisationId: string };

export interface TaskFilter {
  statuses: S[];
  helpRequestId: string;
  district: string;
  /** Tasks offered to or held by this volunteer; '' for any. */
  volunteerId: string;
  visibleTo: TaskVisibility;
}

const HOLDING = [S.DELIVERY_TASK_STATUS_ACCEPTED, S.DELIVERY_TASK_STATUS_PICKED_UP];

/**
 * The delivery tasks' read model: offered and active tasks (PENDING, OFFERED, ACCEPTED, PICKED_UP) in
 * `delivery_tasks_live`, which the sweeper, the selection's load counts and the default lists read, so
 * they cost what the open deliveries cost; delivered, failed and cancelled tasks in the insert-once
 * `delivery_tasks_ended`, read only when a list asks for final statuses (the history path).
 */
export class TaskViews {
  readonly projection: Projection<TaskState>;
  private readonly live: Model<ReadDocument>;

  constructor(connection: Connection, bus: Bus, store: EventStore<TaskState>, log: Logger) {
    const indexes: Record<string, 1 | -1>[] = [
      BY_URGENCY,
      { status: 1 },
      { holderId: 1 },
      { helpRequestId: 1 },
      { deadline: 1 },
      { assignedTo: 1 },
    ];
    this.live = readModel(connection, 'delivery_tasks_live', indexes);
    this.projection = new Projection<TaskState>({
      bus,
      store,
      service: 'volunteer',
      aggregate: 'delivery_task',
      durable: 'volunteer-delivery-task-projector',
      live: this.live,
      archive: readModel(connection, 'delivery_tasks_ended', indexes),
      document: ({ state }) => ({ fields: taskFields(state), final: FINAL.has(state.task.status) }),
      log,
    });
  }

  /** The first `n` tasks matching the filter, most urgent and oldest first. */
  async list(f: TaskFilter, n: number): Promise<DeliveryTask[]> {
    const and: Record<string, unknown>[] = [{ status: { $in: f.statuses } }];
    if (f.helpRequestId) and.push({ helpRequestId: f.helpRequestId });
    if (f.district) and.push({ district: f.district });
    if (f.volunteerId) and.push({ $or: [{ offeredTo: f.volunteerId }, { assignedTo: f.volunteerId }] });
    if (f.visibleTo !== 'all') {
      const { volunteerId, supplierOrganisationId, partnerOrganisationId } = f.visibleTo;
      const or: Record<string, unknown>[] = [];
      if (volunteerId) or.push({ offeredTo: volunteerId }, { assignedTo: volunteerId });
      if (supplierOrganisationId) or.push({ supplierOrganisationId });
      if (partnerOrganisationId) or.push({ submittingOrganisationId: partnerOrganisationId });
      if (or.length === 0) return [];
      and.push({ $or: or });
    }
    const docs = await this.projection.find<TaskDocument>({ $and: and }, BY_URGENCY, n, {
      live: f.statuses.some((s) => !FINAL.has(s)),
      archive: f.statuses.some((s) => FINAL.has(s)),
    });
    return docs.map((d) => d.task);
  }

  /** Pending tasks, most urgent and oldest first: those waiting for an offer. */
  pending(n: number): Promise<DeliveryTask[]> {
    return this.liveTasks({ status: S.DELIVERY_TASK_STATUS_PENDING }, n);
  }

  /** Offers lapsed and deliveries overdue at `now`. */
  overdue(now: Date, n: number): Promise<DeliveryTask[]> {
    return this.liveTasks({ deadline: { $lte: now } }, n);
  }

  /** The tasks of a help request still under way. */
  ofRequest(helpRequestId: string, n: number): Promise<DeliveryTask[]> {
    return this.liveTasks({ helpRequestId }, n);
  }

  /** Resolves once the live tasks hold every task changed before the call (Projection.caughtUp). */
  caughtUp(): Promise<void> {
    return this.projection.caughtUp();
  }

  /** Tasks offered to or held by each volunteer now (of these, or of everyone). */
  async activeTasks(volunteerIds?: string[]): Promise<Map<string, number>> {
    const filter = volunteerIds ? { holderId: { $in: volunteerIds } } : { holderId: { $gt: '' } };
    const held = await this.live.find(filter).select({ holderId: 1 }).lean<{ holderId: string }[]>().exec();
    const counts = new Map<string, number>();
    for (const { holderId } of held) counts.set(holderId, (counts.get(holderId) ?? 0) + 1);
    return counts;
  }

  private async liveTasks(filter: Record<string, unknown>, n: number): Promise<DeliveryTask[]> {
    const docs = await this.projection.find<TaskDocument>(filter, BY_URGENCY, n, LIVE_ONLY);
    return docs.map((d) => d.task);
  }
}

function taskFields(s: TaskState): Omit<TaskDocument, '_id' | 'version'> {
  const t = s.task;
  const deadline =
    t.status === S.DELIVERY_TASK_STATUS_OFFERED
      ? t.offerExpiresAt
      : HOLDING.includes(t.status)
        ? t.dueAt
        : undefined;
  return {
    status: t.status,
    helpRequestId: t.helpRequestId,
    district: t.dropoffLocation?.district ?? '',
    offeredTo: t.offeredToVolunteerId,
    assignedTo: t.assignedVolunteerId,
    holderId: s.holderId,
    supplierOrganisationId: t.supplierOrganisationId,
    submittingOrganisationId: s.submittingOrganisationId,
    urgencyRank: urgencyRank(t.urgency),
    createdAt: new Date(t.createdAt ?? 0),
    deadline: deadline ? new Date(deadline) : null,
    task: t,
  };
}
