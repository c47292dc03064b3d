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
import type { AggregateStore, Change, EventDraft } from '@nuanyang/store';
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
import { bodyHash, event, metaOf } from './events';

/** Tasks offered to or held by each volunteer now, and hours recorded; computed from the delivery tasks. */
export type Workload = (
  volunteerIds: string[],
) => Promise<Map<string, { activeTasks: number; hoursTotal: number }>>;

const LIST_LIMIT = 10_000;

/**
 * The registry: organisations, functional groups and volunteers. Each is an aggregate whose id derives from
 * what must be unique (name, user id), so the store's unique-key insert decides a race between two
 * registrations; a retry with the same idempotency key and body returns the first result.
 */
export class Registry {
  /** Called after a volunteer registers or changes availability: pending tasks may now find someone. */
  onVolunteerChanged: () => Promise<void> = async () => undefined;
  workload: Workload = async () => new Map();

  constructor(
    readonly organisations: AggregateStore<Organisation>,
    readonly groups: AggregateStore<FunctionalGroup>,
    readonly volunteers: AggregateStore<Volunteer>,
  ) {}

  /**
   * Version 1 of a new aggregate under a derived id. The id taken already: the first result again when it
   * was this caller's same request with the same key, else ALREADY_EXISTS.
   */
  private async createOnce<S extends object>(
    store: AggregateStore<S>,
    id: string,
    state: S,
    events: EventDraft[],
    key: { rpc: string; key: string; hash: string; actor: Principal },
    taken: string,
  ): Promise<{ state: S; replayed: boolean }> {
    const cause = `${key.rpc}:${key.actor.subject}:${key.key}`;
    const { change, applied } = await store.create(
      id,
      { state, events },
      { causedBy: cause, requestHash: key.hash, actor: key.actor.subject },
    );
    if (applied) return { state: change.state, replayed: false };
    if (change.causedBy !== cause) throw new AlreadyExistsError(taken);
    if (change.requestHash !== key.hash)
      throw new AlreadyExistsError('idempotency_key was already used for a different request');
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
    const registered = event(SUBJECTS.volunteer.organisationRegistered, (m) =>
      OrganisationRegistered.encode({
        meta: metaOf(m, id, 1, actor),
        organisation: { ...organisation, contacts: [] },
      }).finish(),
    );
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
    const rows = await this.organisations.query({}, { 'state.name': 1 }, LIST_LIMIT);
    const all = rows
      .map((r) => r.state)
      .filter((o) => !req.type || o.type === req.type)
      .filter((o) => !req.district || o.districts.includes(req.district))
      .filter((o) => !ids || ids.has(o.id))
      .sort((a, b) => a.name.localeCompare(b.name));
    const { items, nextPageToken } = pageOf(all.slice(at.offset, at.offset + at.limit + 1), at);
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
    const created = event(SUBJECTS.volunteer.groupCreated, (m) =>
      FunctionalGroupCreated.encode({ meta: metaOf(m, id, 1, actor), functionalGroup: group }).finish(),
    );
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
    const rows = await this.groups.query({}, { 'state.name': 1 }, LIST_LIMIT);
    const org = req.organisationId;
    const all = rows
      .map((r) => r.state)
      .filter((g) => !org || g.leadOrganisationIds.includes(org) || g.memberOrganisationIds.includes(org))
      .sort((a, b) => a.name.localeCompare(b.name));
    const { items, nextPageToken } = pageOf(all.slice(at.offset, at.offset + at.limit + 1), at);
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
    const registered = event(SUBJECTS.volunteer.volunteerRegistered, (m) =>
      VolunteerRegistered.encode({
        meta: metaOf(m, id, 1, actor),
        volunteer: viewVolunteer(volunteer, false),
      }).finish(),
    );
    const hash = bodyHash(RegisterVolunteerRequest.encode({ ...req, idempotencyKey: '', userId }).finish());
    const { state, replayed } = await this.createOnce(
      this.volunteers,
      id,
      volunteer,
      [registered],
      { rpc: 'register-volunteer', key: req.idempotencyKey, hash, actor },
      `user ${userId} is already registered as a volunteer`,
    );
    if (!replayed) await this.onVolunteerChanged();
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
    const { change } = await this.volunteers.update(volunteerId, (c) => {
      const next: Volunteer = { ...c.state, version: c.version + 1, availability: windows };
      const changed = event(SUBJECTS.volunteer.availabilityChanged, (m) =>
        VolunteerAvailabilityChanged.encode({
          meta: metaOf(m, volunteerId, c.version + 1, actor),
          volunteerId,
          windows,
        }).finish(),
      );
      return { state: next, events: [changed] };
    });
    await this.onVolunteerChanged();
    return (await this.withWorkload([change.state], actor))[0] as Volunteer;
  }

  async listVolunteers(req: ListVolunteersRequest, actor: Principal) {
    const at = readPage(req.page);
    const operator = hasAnyRole(actor, ['operator']);
    // Partners see the members of their own organisation only.
    const affiliation = operator ? req.affiliationOrganisationId : actor.organisationId;
    const when = req.availableAt ?? new Date();
    const rows = await this.volunteers.query({}, { 'state.registeredAt': 1 }, LIST_LIMIT);
    const all = rows
      .map((r) => r.state)
      .filter((v) => !affiliation || v.affiliationOrganisationId === affiliation)
      .filter((v) => !req.skill || v.skills.includes(req.skill))
      .filter((v) => !req.district || v.districts.includes(req.district))
      .filter((v) => !req.availableOnly || isAvailable(v, when));
    const { items, nextPageToken } = pageOf(all.slice(at.offset, at.offset + at.limit + 1), at);
    return { volunteers: await this.withWorkload(items, actor), page: { nextPageToken } };
  }

  /** Every volunteer, for choosing whom to offer a task to. */
  async all(): Promise<Volunteer[]> {
    return (await this.volunteers.query({}, { 'state.registeredAt': 1 }, LIST_LIMIT)).map((r) => r.state);
  }

  private async withWorkload(vs: Volunteer[], actor: Principal): Promise<Volunteer[]> {
    const load = await this.workload(vs.map((v) => v.id));
    const operator = hasAnyRole(actor, ['operator']);
    return vs.map((v) =>
      viewVolunteer(
        { ...v, activeTasks: load.get(v.id)?.activeTasks ?? 0, hoursTotal: load.get(v.id)?.hoursTotal ?? 0 },
        operator || v.userId === actor.subject,
      ),
    );
  }
}
