import { hasAnyRole, type Principal } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import { normalisePhone } from '@nuanyang/common';
import {
  AlreadyExistsError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  pageOf,
  readPage,
} from '@nuanyang/grpc-kit';
import {
  FunctionalGroupCreated,
  OrganisationRegistered,
  VolunteerAvailabilityChanged,
  VolunteerRegistered,
} from '@nuanyang/proto/nuanyang/volunteer/v1/events';
import {
  type AvailabilityWindow,
  CreateFunctionalGroupRequest,
  type FunctionalGroup,
  type ListFunctionalGroupsRequest,
  type ListOrganisationsRequest,
  type ListVolunteersRequest,
  type Organisation,
  RegisterOrganisationRequest,
  RegisterVolunteerRequest,
  type Volunteer,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import type { Change, EventDraft, EventStore } from '@nuanyang/store';
import {
  groupIdOf,
  groupViolations,
  organisationIdOf,
  organisationViolations,
  viewOrganisation,
  viewVolunteer,
  volunteerIdOf,
  volunteerViolations,
  windowViolations,
} from './domain/registry';
import { isAvailable } from './domain/tasks';
import { actorOf, bodyHash } from './events';
import type { RegistryStores, RegistryViews } from './read-model';

/** Tasks offered to or held by each volunteer now; counted from the live delivery tasks. */
export type Workload = (volunteerIds: string[]) => Promise<Map<string, number>>;

/** The queries the registry needs of its read models (RegistryViews). */
export type RegistryQueries = Pick<RegistryViews, 'organisations' | 'groups' | 'volunteers'>;

/** Volunteers read at once to choose whom to offer a task to, or to filter by availability. */
const VOLUNTEER_LIMIT = 10_000;

/**
 * The registry: organisations, functional groups and volunteers. Each is an aggregate whose id derives from
 * what must be unique (a hash of the normalised name, the user id), and version 1 is written only while the
 * aggregate has no message at all (the store's expectation of a new aggregate): of two registrations of
 * one name racing, exactly one is written. A retry with the same idempotency key and body returns the first
 * result. Lists read the read models; single records are read from the stream.
 */
export class Registry {
  /** Called after a volunteer registers or changes availability: pending tasks may now find them. */
  onVolunteerChanged: (volunteer: Volunteer) => Promise<void> = async () => undefined;
  workload: Workload = async () => new Map();
  readonly organisations: EventStore<Organisation>;
  readonly groups: EventStore<FunctionalGroup>;
  readonly volunteers: EventStore<Volunteer>;

  constructor(
    stores: RegistryStores,
    private readonly views: RegistryQueries,
  ) {
    this.organisations = stores.organisations;
    this.groups = stores.groups;
    this.volunteers = stores.volunteers;
  }

  /**
   * Version 1 of a new aggregate under a derived id. The id taken already: the first result again when it
   * was this caller's same request with the same key, else ALREADY_EXISTS.
   */
  private async createOnce<S extends object>(
    store: EventStore<S>,
    id: string,
    state: S,
    events: EventDraft[],
    key: { rpc: string; key: string; hash: string; actor: Principal },
    taken: string,
  ): Promise<{ state: S; replayed: boolean }> {
    const cause = `${key.rpc}:${key.actor.subject}:${key.key}`;
    // The store answers a retry (this cause) with the first change, and refuses the key with another body.
    const { change, applied } = await store.create(
      id,
      { state, events },
      { causedBy: cause, requestHash: key.hash, actor: actorOf(key.actor) },
    );
    if (applied) return { state: change.state, replayed: false };
    if (change.causedBy !== cause) throw new AlreadyExistsError(taken);
    return { state: change.state, replayed: true };
  }

  async registerOrganisation(req: RegisterOrganisationRequest, actor: Principal) {
    const violations = organisationViolations(req);
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    const id = organisationIdOf(req.name);
    const organisation: Organisation = {
      id,
      name: req.name.trim(),
      type: req.type,
      contacts: req.contacts.map((c) => ({ name: c.name.trim(), phone: normalisePhone(c.phone) ?? '' })),
      districts: [...new Set(req.districts)],
      description: req.description,
      registeredAt: new Date(),
    };
    const registered: EventDraft = {
      subject: SUBJECTS.volunteer.organisationRegistered,
      encode: (meta) =>
        OrganisationRegistered.encode({ meta, organisation: { ...organisation, contacts: [] } }).finish(),
    };
    const hash = bodyHash(RegisterOrganisationRequest.encode({ ...req, idempotencyKey: '' }).finish());
    const { state, replayed } = await this.createOnce(
      this.organisations,
      id,
      organisation,
      [registered],
      { rpc: 'register-organisation', key: req.idempotencyKey, hash, actor },
      `an organisation named "${organisation.name}" is already registered`,
    );
    return { organisation: viewOrganisation(state, true), replayed };
  }

  async organisationExists(id: string): Promise<boolean> {
    return id !== '' && (await this.organisations.load(id)) !== null;
  }

  async listOrganisations(req: ListOrganisationsRequest, actor: Principal) {
    const at = readPage(req.page);
    let ids: Set<string> | null = null;
    if (req.functionalGroupId) {
      const g = (await this.groups.load(req.functionalGroupId))?.state;
      ids = new Set([...(g?.leadOrganisationIds ?? []), ...(g?.memberOrganisationIds ?? [])]);
    }
    const rows = await this.views.organisations(
      { type: req.type, district: req.district, ids: ids && [...ids] },
      at.offset + at.limit + 1,
    );
    const { items, nextPageToken } = pageOf(rows.slice(at.offset), at);
    const operator = hasAnyRole(actor, ['operator']);
    return { organisations: items.map((o) => viewOrganisation(o, operator)), page: { nextPageToken } };
  }

  async createGroup(req: CreateFunctionalGroupRequest, actor: Principal) {
    const violations = groupViolations(req);
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    for (const [field, ids] of [
      ['lead_organisation_ids', req.leadOrganisationIds],
      ['member_organisation_ids', req.memberOrganisationIds],
    ] as const) {
      for (const [i, orgId] of ids.entries()) {
        if (!(await this.organisationExists(orgId)))
          throw new NotFoundError(`${field}[${i}]: organisation ${orgId} not found`);
      }
    }
    const id = groupIdOf(req.name);
    const group: FunctionalGroup = {
      id,
      name: req.name.trim(),
      purpose: req.purpose,
      leadOrganisationIds: req.leadOrganisationIds,
      memberOrganisationIds: [...new Set(req.memberOrganisationIds)].filter(
        (m) => !req.leadOrganisationIds.includes(m),
      ),
      createdAt: new Date(),
    };
    const created: EventDraft = {
      subject: SUBJECTS.volunteer.groupCreated,
      encode: (meta) => FunctionalGroupCreated.encode({ meta, functionalGroup: group }).finish(),
    };
    const hash = bodyHash(CreateFunctionalGroupRequest.encode({ ...req, idempotencyKey: '' }).finish());
    const { state, replayed } = await this.createOnce(
      this.groups,
      id,
      group,
      [created],
      { rpc: 'create-group', key: req.idempotencyKey, hash, actor },
      `a functional group named "${group.name}" already exists`,
    );
    return { functionalGroup: state, replayed };
  }

  async listGroups(req: ListFunctionalGroupsRequest) {
    const at = readPage(req.page);
    const rows = await this.views.groups(req.organisationId, at.offset + at.limit + 1);
    const { items, nextPageToken } = pageOf(rows.slice(at.offset), at);
    return { functionalGroups: items, page: { nextPageToken } };
  }

  /**
   * Volunteers register themselves; a partner registers members of its own organisation; an operator anyone.
   * The volunteer's id derives from the user id, so a user is registered once however the calls race.
   */
  async registerVolunteer(req: RegisterVolunteerRequest, actor: Principal) {
    const userId = req.userId.trim() || actor.subject;
    if (!hasAnyRole(actor, ['operator'])) {
      const ownMember =
        actor.roles.includes('partner') && req.affiliationOrganisationId === actor.organisationId;
      const themself = actor.roles.includes('volunteer') && userId === actor.subject;
      if (!ownMember && !themself)
        throw new PermissionDeniedError(
          'volunteers register themselves, partners members of their own organisation (affiliation_organisation_id)',
        );
    }
    const violations = volunteerViolations(req);
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    if (req.affiliationOrganisationId && !(await this.organisationExists(req.affiliationOrganisationId)))
      throw new NotFoundError(`organisation ${req.affiliationOrganisationId} not found`);
    const id = volunteerIdOf(userId);
    const volunteer: Volunteer = {
      id,
      version: 1,
      userId,
      contact: {
        name: req.contact?.name.trim() ?? '',
        phone: normalisePhone(req.contact?.phone ?? '') ?? '',
      },
      affiliationOrganisationId: req.affiliationOrganisationId,
      skills: [...new Set(req.skills)],
      vehicle: req.vehicle,
      districts: [...new Set(req.districts)],
      availability: req.availability,
      activeTasks: 0,
      hoursTotal: 0,
      registeredAt: new Date(),
      personalDataRedacted: false,
    };
    const registered: EventDraft = {
      subject: SUBJECTS.volunteer.volunteerRegistered,
      encode: (meta) =>
        VolunteerRegistered.encode({ meta, volunteer: viewVolunteer(volunteer, false) }).finish(),
    };
    const hash = bodyHash(RegisterVolunteerRequest.encode({ ...req, idempotencyKey: '', userId }).finish());
    const { state, replayed } = await this.createOnce(
      this.volunteers,
      id,
      volunteer,
      [registered],
      { rpc: 'register-volunteer', key: req.idempotencyKey, hash, actor },
      `user ${userId} is already registered as a volunteer`,
    );
    if (!replayed) await this.onVolunteerChanged(state);
    return { volunteer: (await this.withWorkload([state], actor))[0] as Volunteer, replayed };
  }

  /** "me" is the caller's own record. */
  private idOf(id: string, actor: Principal): string {
    return id === 'me' || id === '' ? volunteerIdOf(actor.subject) : id;
  }

  private async loadVolunteer(id: string): Promise<Change<Volunteer>> {
    const found = await this.volunteers.load(id);
    if (!found) throw new NotFoundError(`volunteer ${id} not found`);
    return found;
  }

  async getVolunteer(id: string, actor: Principal): Promise<Volunteer> {
    const v = (await this.loadVolunteer(this.idOf(id, actor))).state;
    const themself = v.userId === actor.subject;
    const ownMember = actor.roles.includes('partner') && v.affiliationOrganisationId === actor.organisationId;
    if (!hasAnyRole(actor, ['operator']) && !themself && !ownMember)
      throw new PermissionDeniedError(
        'only operators, the volunteer themself and their organisation may see a volunteer',
      );
    return (await this.withWorkload([v], actor))[0] as Volunteer;
  }

  async setAvailability(id: string, windows: AvailabilityWindow[], actor: Principal): Promise<Volunteer> {
    const violations = windowViolations(windows, 'windows');
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    const volunteerId = this.idOf(id, actor);
    const before = (await this.loadVolunteer(volunteerId)).state;
    if (!hasAnyRole(actor, ['operator']) && before.userId !== actor.subject)
      throw new PermissionDeniedError('only the volunteer themself or an operator may set availability');
    const { change } = await this.volunteers.update(
      volunteerId,
      (c) => {
        const next: Volunteer = { ...c.state, version: c.version + 1, availability: windows };
        const changed: EventDraft = {
          subject: SUBJECTS.volunteer.availabilityChanged,
          encode: (meta) => VolunteerAvailabilityChanged.encode({ meta, volunteerId, windows }).finish(),
        };
        return { state: next, events: [changed] };
      },
      { actor: actorOf(actor) },
    );
    await this.onVolunteerChanged(change.state);
    return (await this.withWorkload([change.state], actor))[0] as Volunteer;
  }

  async listVolunteers(req: ListVolunteersRequest, actor: Principal) {
    const at = readPage(req.page);
    const operator = hasAnyRole(actor, ['operator']);
    // Partners see the members of their own organisation only.
    const affiliation = operator ? req.affiliationOrganisationId : actor.organisationId;
    const when = req.availableAt ?? new Date();
    const filter = { affiliationOrganisationId: affiliation, skill: req.skill, district: req.district };
    // Availability is a list of windows: filtered here, over every volunteer the other filters leave.
    const rows = req.availableOnly
      ? (await this.views.volunteers(filter, VOLUNTEER_LIMIT)).filter((v) => isAvailable(v, when))
      : await this.views.volunteers(filter, at.offset + at.limit + 1);
    const { items, nextPageToken } = pageOf(rows.slice(at.offset), at);
    return { volunteers: await this.withWorkload(items, actor), page: { nextPageToken } };
  }

  /** Every registered volunteer, for choosing whom to offer a task to. */
  all(): Promise<Volunteer[]> {
    return this.views.volunteers({ affiliationOrganisationId: '', skill: 0, district: '' }, VOLUNTEER_LIMIT);
  }

  /**
   * Adds the hours a task recorded to its volunteer's total, once per task however often the event comes
   * (the task is the cause).
   */
  async addHours(volunteerId: string, taskId: string, hours: number): Promise<void> {
    await this.volunteers.update(
      volunteerId,
      (c) => ({
        state: { ...c.state, version: c.version + 1, hoursTotal: c.state.hoursTotal + hours },
        events: [],
      }),
      { causedBy: `hours:${taskId}` },
    );
  }

  private async withWorkload(vs: Volunteer[], actor: Principal): Promise<Volunteer[]> {
    const load = await this.workload(vs.map((v) => v.id));
    const operator = hasAnyRole(actor, ['operator']);
    return vs.map((v) =>
      viewVolunteer({ ...v, activeTasks: load.get(v.id) ?? 0 }, operator || v.userId === actor.subject),
    );
  }
}
