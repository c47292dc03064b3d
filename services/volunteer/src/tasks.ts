import { hasAnyRole, type Principal } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  type PromiseClient,
  pageOf,
  readPage,
} from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import type { IntakeServiceClient } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import type { MatchAccepted } from '@nuanyang/proto/nuanyang/matching/v1/events';
import {
  DeliveryTaskAccepted,
  DeliveryTaskCancelled,
  DeliveryTaskCreated,
  DeliveryTaskDeclined,
  DeliveryTaskDelivered,
  DeliveryTaskFailed,
  DeliveryTaskOffered,
  DeliveryTaskPickedUp,
  DeliveryTaskTimedOut,
  VolunteerHoursRecorded,
} from '@nuanyang/proto/nuanyang/volunteer/v1/events';
import {
  type DeliveryTask,
  type ListDeliveryTasksRequest,
  DeliveryTaskStatus as S,
  UpdateTaskStatusRequest,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import type { AggregateStore, EventDraft } from '@nuanyang/store';
import { volunteerIdOf } from './domain/registry';
import {
  accept,
  byUrgencyThenAge,
  type Candidate,
  cancel,
  decline,
  FINAL,
  newTask,
  offer,
  pickVolunteer,
  progress,
  redactTask,
  type TaskState,
  taskIdOf,
  timeOut,
  viewTask,
} from './domain/tasks';
import { bodyHash, type EventStamp, event, metaOf } from './events';
import type { Registry } from './registry';

export interface TaskPolicy {
  offerTtlMs: number;
  deliveryDueMs: number;
}

const ACTIVE = [
  S.DELIVERY_TASK_STATUS_PENDING,
  S.DELIVERY_TASK_STATUS_OFFERED,
  S.DELIVERY_TASK_STATUS_ACCEPTED,
  S.DELIVERY_TASK_STATUS_PICKED_UP,
];
const LIST_LIMIT = 5_000;

/** Task events carry the task after the change, without personal data. */
const taskMeta = (m: EventStamp, t: DeliveryTask, actor?: Principal) => ({
  meta: metaOf(m, t.id, t.version, actor),
  task: redactTask(t),
});

/**
 * Delivery tasks: one per accepted proposal, offered to one suitable volunteer at a time, accepted, picked
 * up, delivered or failed; offers and deliveries that run out of time go to the next volunteer. Every change
 * is an append to the task's aggregate, so two replicas racing to offer one task cannot both succeed.
 */
export class Tasks {
  constructor(
    private readonly store: AggregateStore<TaskState>,
    private readonly registry: Registry,
    private readonly intake: PromiseClient<IntakeServiceClient>,
    private readonly policy: TaskPolicy,
    private readonly log: Logger,
  ) {}

  /** Tasks offered to or held by each volunteer now, and the hours recorded for them. */
  async workload(ids: string[]): Promise<Map<string, { activeTasks: number; hoursTotal: number }>> {
    const out = new Map(ids.map((id) => [id, { activeTasks: 0, hoursTotal: 0 }]));
    if (ids.length === 0) return out;
    const held = await this.store.query({ 'state.holderId': { $in: ids } }, { _id: 1 }, LIST_LIMIT * 10);
    for (const r of held) {
      const w = out.get(r.state.holderId);
      if (w) w.activeTasks += 1;
    }
    const worked = await this.store.query(
      { 'state.hours.volunteerId': { $in: ids } },
      { _id: 1 },
      LIST_LIMIT * 10,
    );
    for (const r of worked) {
      const w = r.state.hours && out.get(r.state.hours.volunteerId);
      if (w && r.state.hours) w.hoursTotal += r.state.hours.hours;
    }
    return out;
  }

  private async candidates(): Promise<Candidate[]> {
    const volunteers = await this.registry.all();
    const held = await this.store.query({ 'state.holderId': { $gt: '' } }, { _id: 1 }, LIST_LIMIT * 10);
    const active = new Map<string, number>();
    for (const r of held) active.set(r.state.holderId, (active.get(r.state.holderId) ?? 0) + 1);
    return volunteers.map((volunteer) => ({ volunteer, activeTasks: active.get(volunteer.id) ?? 0 }));
  }

  /**
   * A supplier accepted a proposal: its delivery task is created once (the id derives from the proposal's)
   * with the requester's contact and drop-off from intake, then offered.
   */
  async onAccepted(e: MatchAccepted, eventId: string): Promise<void> {
    const p = e.proposal;
    if (!p) return;
    const id = taskIdOf(p.id);
    if (!(await this.store.load(id))) {
      const { helpRequest: hr } = await this.intake.getHelpRequest({ id: p.helpRequestId });
      if (!hr) throw new Error(`intake returned no help request ${p.helpRequestId}`);
      const supplier = (await this.registry.organisations.load(p.supplierOrganisationId))?.state;
      const state = newTask(
        p,
        {
          name: hr.requester?.name ?? '',
          phone: hr.requester?.phone ?? '',
          location: hr.location,
          submittingOrganisationId: hr.submittingOrganisationId,
        },
        supplier?.contacts[0],
        new Date(),
      );
      const created = event(SUBJECTS.volunteer.taskCreated, (m) =>
        DeliveryTaskCreated.encode(taskMeta(m, state.task)).finish(),
      );
      await this.store.create(id, { state, events: [created] }, { causedBy: eventId || `accepted:${p.id}` });
    }
    await this.offerTask(id);
  }

  /** Offers a PENDING task to the best suitable volunteer, if there is one; otherwise it stays PENDING. */
  async offerTask(id: string): Promise<void> {
    const current = await this.store.load(id);
    if (current?.state.task.status !== S.DELIVERY_TASK_STATUS_PENDING) return;
    const candidates = await this.candidates();
    const now = new Date();
    const { change, applied } = await this.store.update(id, (c) => {
      if (c.state.task.status !== S.DELIVERY_TASK_STATUS_PENDING) return null;
      const chosen = pickVolunteer(c.state.task, candidates, now);
      if (!chosen) return null;
      const expires = new Date(now.getTime() + this.policy.offerTtlMs);
      const next = offer(c.state, chosen.id, expires, now);
      const offered = event(SUBJECTS.volunteer.taskOffered, (m) =>
        DeliveryTaskOffered.encode({
          ...taskMeta(m, next.task),
          volunteerId: chosen.id,
          offerExpiresAt: expires,
        }).finish(),
      );
      return { state: next, events: [offered] };
    });
    if (applied) this.log.info({ taskId: id, volunteerId: change.state.holderId }, 'delivery task offered');
    else if (change.state.task.status === S.DELIVERY_TASK_STATUS_PENDING)
      this.log.info({ taskId: id }, 'no suitable volunteer available; the task waits');
  }

  /** Pending tasks, most urgent and oldest first, are offered again (a volunteer registered or freed up). */
  async offerPending(): Promise<void> {
    const pending = await this.store.query(
      { 'state.task.status': S.DELIVERY_TASK_STATUS_PENDING },
      { _id: 1 },
      LIST_LIMIT,
    );
    for (const t of pending.map((r) => r.state.task).sort(byUrgencyThenAge)) await this.offerTask(t.id);
  }

  /**
   * One sweeper pass: offers past their expiry and held tasks past their due time go back to PENDING
   * (DeliveryTaskTimedOut) without that volunteer, then every pending task is offered again. Every replica
   * sweeps; two passes racing on one task append one change, since each re-checks the latest version.
   */
  async sweep(now = new Date()): Promise<number> {
    const live = await this.store.query(
      {
        'state.task.status': {
          $in: [
            S.DELIVERY_TASK_STATUS_OFFERED,
            S.DELIVERY_TASK_STATUS_ACCEPTED,
            S.DELIVERY_TASK_STATUS_PICKED_UP,
          ],
        },
      },
      { _id: 1 },
      LIST_LIMIT,
    );
    let timedOut = 0;
    for (const r of live.filter((x) => timeOut(x.state, now))) {
      const { applied } = await this.store.update(r.id, (c) => {
        const out = timeOut(c.state, now);
        if (!out) return null;
        const ev = event(SUBJECTS.volunteer.taskTimedOut, (m) =>
          DeliveryTaskTimedOut.encode({
            ...taskMeta(m, out.next.task),
            volunteerId: out.volunteerId,
            timedOutIn: out.timedOutIn,
          }).finish(),
        );
        return { state: out.next, events: [ev] };
      });
      if (applied) timedOut += 1;
    }
    await this.offerPending();
    return timedOut;
  }

  private viewer(actor: Principal) {
    return { operator: hasAnyRole(actor, ['operator']), volunteerId: this.volunteerIdOf(actor) };
  }

  private volunteerIdOf(actor: Principal): string {
    return actor.roles.includes('volunteer') ? volunteerIdOf(actor.subject) : '';
  }

  /** Operators see every task; a volunteer those offered to or held by them; suppliers and partners their own. */
  private maySee(s: TaskState, actor: Principal): boolean {
    if (hasAnyRole(actor, ['operator'])) return true;
    const me = this.volunteerIdOf(actor);
    if (me && (s.task.offeredToVolunteerId === me || s.task.assignedVolunteerId === me)) return true;
    if (actor.roles.includes('supplier') && s.task.supplierOrganisationId === actor.organisationId)
      return true;
    return actor.roles.includes('partner') && s.submittingOrganisationId === actor.organisationId;
  }

  private async visible(id: string, actor: Principal): Promise<TaskState> {
    const found = await this.store.load(id);
    if (!found || !this.maySee(found.state, actor)) throw new NotFoundError(`delivery task ${id} not found`);
    return found.state;
  }

  async get(id: string, actor: Principal): Promise<DeliveryTask> {
    return viewTask((await this.visible(id, actor)).task, this.viewer(actor));
  }

  async list(req: ListDeliveryTasksRequest, actor: Principal) {
    const at = readPage(req.page);
    const statuses = req.statuses.length > 0 ? req.statuses : ACTIVE;
    const filter: Record<string, unknown> = { 'state.task.status': { $in: statuses } };
    if (req.helpRequestId) filter['state.task.helpRequestId'] = req.helpRequestId;
    if (req.district) filter['state.task.dropoffLocation.district'] = req.district;
    const forVolunteer = req.volunteerId === 'me' ? this.volunteerIdOf(actor) || '-' : req.volunteerId;
    const rows = await this.store.query(filter, { _id: 1 }, LIST_LIMIT);
    const all = rows
      .map((r) => r.state)
      .filter((s) => statuses.includes(s.task.status) && this.maySee(s, actor))
      .filter(
        (s) =>
          !forVolunteer ||
          s.task.offeredToVolunteerId === forVolunteer ||
          s.task.assignedVolunteerId === forVolunteer,
      )
      .map((s) => s.task)
      .sort(byUrgencyThenAge);
    const { items, nextPageToken } = pageOf(all.slice(at.offset, at.offset + at.limit + 1), at);
    const viewer = this.viewer(actor);
    return { tasks: items.map((t) => viewTask(t, viewer)), page: { nextPageToken } };
  }

  async accept(id: string, actor: Principal): Promise<DeliveryTask> {
    await this.visible(id, actor);
    const me = volunteerIdOf(actor.subject);
    const now = new Date();
    const { change } = await this.store.update(id, (c) => {
      const next = accept(c.state, me, new Date(now.getTime() + this.policy.deliveryDueMs), now);
      if (!next) return null;
      const accepted = event(SUBJECTS.volunteer.taskAccepted, (m) =>
        DeliveryTaskAccepted.encode({ ...taskMeta(m, next.task, actor), volunteerId: me }).finish(),
      );
      return { state: next, events: [accepted] };
    });
    return viewTask(change.state.task, this.viewer(actor));
  }

  async decline(id: string, reason: string, actor: Principal): Promise<DeliveryTask> {
    if ([...reason].length > 500)
      throw InvalidArgumentError.field('reason', 'must be at most 500 characters');
    await this.visible(id, actor);
    const me = volunteerIdOf(actor.subject);
    const now = new Date();
    await this.store.update(id, (c) => {
      const next = decline(c.state, me, now);
      const declined = event(SUBJECTS.volunteer.taskDeclined, (m) =>
        DeliveryTaskDeclined.encode({ ...taskMeta(m, next.task, actor), volunteerId: me, reason }).finish(),
      );
      return { state: next, events: [declined] };
    });
    await this.offerTask(id);
    return viewTask((await this.store.loadOrThrow(id)).state.task, this.viewer(actor));
  }

  async updateStatus(req: UpdateTaskStatusRequest, actor: Principal) {
    const update = validUpdate(req);
    await this.visible(req.taskId, actor);
    const operator = hasAnyRole(actor, ['operator']);
    const me = volunteerIdOf(actor.subject);
    const hash = bodyHash(UpdateTaskStatusRequest.encode({ ...req, idempotencyKey: '' }).finish());
    const now = new Date();
    const holder = (await this.store.loadOrThrow(req.taskId)).state.task.assignedVolunteerId;
    const affiliation = holder
      ? ((await this.registry.volunteers.load(holder))?.state.affiliationOrganisationId ?? '')
      : '';
    const { change, applied } = await this.store.update(
      req.taskId,
      (c) => {
        if (!operator && c.state.task.assignedVolunteerId !== me)
          throw new FailedPreconditionError(`you do not hold task ${req.taskId}`);
        const next = progress(c.state, update, now);
        return { state: next, events: progressEvents(next, update, affiliation, actor) };
      },
      { causedBy: `status:${req.idempotencyKey}`, requestHash: hash, actor: actor.subject },
    );
    if (!applied && change.requestHash !== hash)
      throw new AlreadyExistsError('idempotency_key was already used for a different update of this task');
    return { task: viewTask(change.state.task, this.viewer(actor)), replayed: !applied };
  }

  /** The help request was cancelled: its tasks still under way are cancelled. */
  async onRequestCancelled(helpRequestId: string, reason: string): Promise<void> {
    const rows = await this.store.query({ 'state.task.helpRequestId': helpRequestId }, { _id: 1 }, 100);
    for (const r of rows.filter(
      (x) => x.state.task.helpRequestId === helpRequestId && !FINAL.has(x.state.task.status),
    )) {
      const now = new Date();
      await this.store.update(r.id, (c) => {
        const next = cancel(c.state, now);
        if (!next) return null;
        const cancelled = event(SUBJECTS.volunteer.taskCancelled, (m) =>
          DeliveryTaskCancelled.encode({
            ...taskMeta(m, next.task),
            reason: `help request cancelled: ${reason}`,
          }).finish(),
        );
        return { state: next, events: [cancelled] };
      });
      this.log.info({ taskId: r.id, helpRequestId }, 'delivery task cancelled with its help request');
    }
  }
}

/** Exactly one update, with its required text within bounds, and an idempotency key. */
function validUpdate(req: UpdateTaskStatusRequest) {
  if (req.idempotencyKey.length < 1 || req.idempotencyKey.length > 128)
    throw InvalidArgumentError.field('idempotency_key', 'must be 1 to 128 characters');
  const u = req.update;
  if (!u) throw InvalidArgumentError.field('update', 'one of picked_up, delivered or failed is required');
  const text = (field: string, value: string, max: number, required: boolean) => {
    if (required && value.trim() === '') throw InvalidArgumentError.field(field, 'is required');
    if ([...value].length > max) throw InvalidArgumentError.field(field, `must be at most ${max} characters`);
  };
  if (u.$case === 'pickedUp') text('picked_up.note', u.value.note, 500, false);
  if (u.$case === 'delivered') text('delivered.proof_note', u.value.proofNote, 1000, true);
  if (u.$case === 'failed') text('failed.reason', u.value.reason, 500, true);
  return u;
}

function progressEvents(
  next: TaskState,
  update: NonNullable<UpdateTaskStatusRequest['update']>,
  affiliation: string,
  actor: Principal,
): EventDraft[] {
  const t = next.task;
  const base = (m: EventStamp) => ({ ...taskMeta(m, t, actor), volunteerId: t.assignedVolunteerId });
  const events = [
    update.$case === 'pickedUp'
      ? event(SUBJECTS.volunteer.taskPickedUp, (m) =>
          DeliveryTaskPickedUp.encode({ ...base(m), note: update.value.note }).finish(),
        )
      : update.$case === 'delivered'
        ? event(SUBJECTS.volunteer.taskDelivered, (m) =>
            DeliveryTaskDelivered.encode({ ...base(m), proofNote: update.value.proofNote }).finish(),
          )
        : event(SUBJECTS.volunteer.taskFailed, (m) =>
            DeliveryTaskFailed.encode({ ...base(m), reason: update.value.reason }).finish(),
          ),
  ];
  const h = next.hours;
  if (h && update.$case !== 'pickedUp') {
    const ms = h.endedAt.getTime() - h.startedAt.getTime();
    events.push(
      event(SUBJECTS.volunteer.hoursRecorded, (m) =>
        VolunteerHoursRecorded.encode({
          meta: metaOf(m, t.id, t.version, actor),
          volunteerId: h.volunteerId,
          affiliationOrganisationId: affiliation,
          taskId: t.id,
          skill: h.skill,
          startedAt: h.startedAt,
          endedAt: h.endedAt,
          duration: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 },
          district: h.district,
        }).finish(),
      ),
    );
  }
  return events;
}
