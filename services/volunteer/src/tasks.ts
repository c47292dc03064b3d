import { hasAnyRole, type Principal } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  type PromiseClient,
  pageOf,
  readPage,
} from '@nuanyang/grpc-kit';
import type { Logger } from '@nuanyang/logger';
import { HelpRequestStatus, type IntakeServiceClient } from '@nuanyang/proto/nuanyang/intake/v1/intake';
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
  type Volunteer,
} from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import type { EventDraft, EventMeta, EventStore } from '@nuanyang/store';
import { volunteerIdOf } from './domain/registry';
import {
  accept,
  byUrgencyThenAge,
  type Candidate,
  cancel,
  decline,
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
import { actorOf, bodyHash } from './events';
import type { TaskViews, TaskVisibility } from './read-model';
import type { Registry } from './registry';

export interface TaskPolicy {
  offerTtlMs: number;
  deliveryDueMs: number;
}

/** The queries the tasks need of their read model (TaskViews). */
export type TaskQueries = Pick<
  TaskViews,
  'list' | 'pending' | 'overdue' | 'ofRequest' | 'activeTasks' | 'caughtUp'
>;

const ACTIVE = [
  S.DELIVERY_TASK_STATUS_PENDING,
  S.DELIVERY_TASK_STATUS_OFFERED,
  S.DELIVERY_TASK_STATUS_ACCEPTED,
  S.DELIVERY_TASK_STATUS_PICKED_UP,
];
/** Live tasks one sweeper pass or one cancellation reads at most. */
const LIVE_LIMIT = 5_000;

/** Task events carry the task after the change, without personal data. */
const taskMeta = (meta: EventMeta, t: DeliveryTask) => ({ meta, task: redactTask(t) });

const draft = (subject: string, encode: (meta: EventMeta) => Uint8Array): EventDraft => ({ subject, encode });

/**
 * Delivery tasks: one per accepted proposal, offered to one suitable volunteer at a time, accepted, picked
 * up, delivered or failed; offers and deliveries that run out of time go to the next volunteer. Every change
 * is an append to the task's aggregate at the version it was decided on, so of two replicas racing to offer
 * one task exactly one succeeds. The sweeper and the selection read the live tasks only (TaskViews).
 */
export class Tasks {
  constructor(
    private readonly store: EventStore<TaskState>,
    private readonly views: TaskQueries,
    private readonly registry: Registry,
    private readonly intake: PromiseClient<IntakeServiceClient>,
    private readonly policy: TaskPolicy,
    private readonly log: Logger,
  ) {}

  /** Tasks offered to or held by each of these volunteers now. */
  workload(ids: string[]): Promise<Map<string, number>> {
    return ids.length === 0 ? Promise.resolve(new Map()) : this.views.activeTasks(ids);
  }

  /**
   * Every registered volunteer with their load now. `fresh` are volunteers just written, whom the read
   * model may not show yet.
   */
  private async candidates(fresh: Volunteer[] = []): Promise<Candidate[]> {
    const [volunteers, active] = await Promise.all([this.registry.all(), this.views.activeTasks()]);
    const byId = new Map(volunteers.map((v) => [v.id, v]));
    for (const v of fresh) byId.set(v.id, v);
    return [...byId.values()].map((volunteer) => ({
      volunteer,
      activeTasks: active.get(volunteer.id) ?? 0,
    }));
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
      if (hr.status === HelpRequestStatus.HELP_REQUEST_STATUS_CANCELLED) {
        this.log.info(
          { helpRequestId: hr.id },
          'help request cancelled before its delivery task: none created',
        );
        return;
      }
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
      const created = draft(SUBJECTS.volunteer.taskCreated, (meta) =>
        DeliveryTaskCreated.encode(taskMeta(meta, state.task)).finish(),
      );
      await this.store.create(id, { state, events: [created] }, { causedBy: eventId || `accepted:${p.id}` });
    }
    await this.offerTask(id, await this.candidates());
  }

  /**
   * Offers a PENDING task to the best suitable volunteer, if there is one; otherwise it stays PENDING. The
   * chosen candidate's load counts the offer at once, so one pass spreads its offers.
   */
  private async offerTask(id: string, candidates: Candidate[]): Promise<void> {
    const now = new Date();
    const { change, applied } = await this.store.update(id, (c) => {
      if (c.state.task.status !== S.DELIVERY_TASK_STATUS_PENDING) return null;
      const chosen = pickVolunteer(c.state.task, candidates, now);
      if (!chosen) return null;
      const expires = new Date(now.getTime() + this.policy.offerTtlMs);
      const next = offer(c.state, chosen.id, expires, now);
      const offered = draft(SUBJECTS.volunteer.taskOffered, (meta) =>
        DeliveryTaskOffered.encode({
          ...taskMeta(meta, next.task),
          volunteerId: chosen.id,
          offerExpiresAt: expires,
        }).finish(),
      );
      return { state: next, events: [offered] };
    });
    if (applied) {
      const chosen = candidates.find((c) => c.volunteer.id === change.state.holderId);
      if (chosen) chosen.activeTasks += 1;
      this.log.info({ taskId: id, volunteerId: change.state.holderId }, 'delivery task offered');
    } else if (change.state.task.status === S.DELIVERY_TASK_STATUS_PENDING)
      this.log.info({ taskId: id }, 'no suitable volunteer available; the task waits');
  }

  /**
   * Pending tasks (and `more`, which the read model may not show as pending yet), most urgent and oldest
   * first, are offered again: a volunteer registered or freed up, or an offer lapsed.
   */
  async offerPending(fresh: Volunteer[] = [], more: DeliveryTask[] = []): Promise<void> {
    const pending = new Map([...more, ...(await this.views.pending(LIVE_LIMIT))].map((t) => [t.id, t]));
    if (pending.size === 0) return;
    const candidates = await this.candidates(fresh);
    for (const t of [...pending.values()].sort(byUrgencyThenAge)) await this.offerTask(t.id, candidates);
  }

  /**
   * One sweeper pass: offers past their expiry and held tasks past their due time go back to PENDING
   * (DeliveryTaskTimedOut) without that volunteer, then every pending task is offered again. Every replica
   * sweeps; two passes racing on one task append one change, since each decides on the latest version.
   */
  async sweep(now = new Date()): Promise<number> {
    const back: DeliveryTask[] = [];
    for (const t of await this.views.overdue(now, LIVE_LIMIT)) {
      const { change, applied } = await this.store.update(t.id, (c) => {
        const out = timeOut(c.state, now);
        if (!out) return null;
        const ev = draft(SUBJECTS.volunteer.taskTimedOut, (meta) =>
          DeliveryTaskTimedOut.encode({
            ...taskMeta(meta, out.next.task),
            volunteerId: out.volunteerId,
            timedOutIn: out.timedOutIn,
          }).finish(),
        );
        return { state: out.next, events: [ev] };
      });
      if (applied) back.push(change.state.task);
    }
    await this.offerPending([], back);
    return back.length;
  }

  private viewer(actor: Principal) {
    return { operator: hasAnyRole(actor, ['operator']), volunteerId: this.volunteerIdOf(actor) };
  }

  private volunteerIdOf(actor: Principal): string {
    return actor.roles.includes('volunteer') ? volunteerIdOf(actor.subject) : '';
  }

  /** Operators see every task; a volunteer those offered to or held by them; suppliers and partners their own. */
  private visibility(actor: Principal): TaskVisibility {
    if (hasAnyRole(actor, ['operator'])) return 'all';
    return {
      volunteerId: this.volunteerIdOf(actor),
      supplierOrganisationId: actor.roles.includes('supplier') ? actor.organisationId : '',
      partnerOrganisationId: actor.roles.includes('partner') ? actor.organisationId : '',
    };
  }

  private maySee(s: TaskState, actor: Principal): boolean {
    const v = this.visibility(actor);
    if (v === 'all') return true;
    const t = s.task;
    return (
      (v.volunteerId !== '' &&
        (t.offeredToVolunteerId === v.volunteerId || t.assignedVolunteerId === v.volunteerId)) ||
      (v.supplierOrganisationId !== '' && t.supplierOrganisationId === v.supplierOrganisationId) ||
      (v.partnerOrganisationId !== '' && s.submittingOrganisationId === v.partnerOrganisationId)
    );
  }

  private async visible(id: string, actor: Principal): Promise<TaskState> {
    const found = await this.store.load(id);
    if (!found || !this.maySee(found.state, actor)) throw new NotFoundError(`delivery task ${id} not found`);
    return found.state;
  }

  async get(id: string, actor: Principal): Promise<DeliveryTask> {
    return viewTask((await this.visible(id, actor)).task, this.viewer(actor));
  }

  /**
   * Open tasks by default (the live read model); a list that asks for delivered, failed or cancelled tasks
   * reads the ended ones too (the history path).
   */
  async list(req: ListDeliveryTasksRequest, actor: Principal) {
    const at = readPage(req.page);
    const rows = await this.views.list(
      {
        statuses: req.statuses.length > 0 ? req.statuses : ACTIVE,
        helpRequestId: req.helpRequestId,
        district: req.district,
        volunteerId: req.volunteerId === 'me' ? this.volunteerIdOf(actor) || '-' : req.volunteerId,
        visibleTo: this.visibility(actor),
      },
      at.offset + at.limit + 1,
    );
    const { items, nextPageToken } = pageOf(rows.slice(at.offset), at);
    const viewer = this.viewer(actor);
    return { tasks: items.map((t) => viewTask(t, viewer)), page: { nextPageToken } };
  }

  async accept(id: string, actor: Principal): Promise<DeliveryTask> {
    await this.visible(id, actor);
    const me = volunteerIdOf(actor.subject);
    const now = new Date();
    const { change } = await this.store.update(
      id,
      (c) => {
        const next = accept(c.state, me, new Date(now.getTime() + this.policy.deliveryDueMs), now);
        if (!next) return null;
        const accepted = draft(SUBJECTS.volunteer.taskAccepted, (meta) =>
          DeliveryTaskAccepted.encode({ ...taskMeta(meta, next.task), volunteerId: me }).finish(),
        );
        return { state: next, events: [accepted] };
      },
      { actor: actorOf(actor) },
    );
    return viewTask(change.state.task, this.viewer(actor));
  }

  async decline(id: string, reason: string, actor: Principal): Promise<DeliveryTask> {
    if ([...reason].length > 500)
      throw InvalidArgumentError.field('reason', 'must be at most 500 characters');
    await this.visible(id, actor);
    const me = volunteerIdOf(actor.subject);
    const now = new Date();
    await this.store.update(
      id,
      (c) => {
        const next = decline(c.state, me, now);
        const declined = draft(SUBJECTS.volunteer.taskDeclined, (meta) =>
          DeliveryTaskDeclined.encode({ ...taskMeta(meta, next.task), volunteerId: me, reason }).finish(),
        );
        return { state: next, events: [declined] };
      },
      { actor: actorOf(actor) },
    );
    await this.offerTask(id, await this.candidates());
    return viewTask((await this.store.loadOrThrow(id)).state.task, this.viewer(actor));
  }

  async updateStatus(req: UpdateTaskStatusRequest, actor: Principal) {
    const update = validUpdate(req);
    const holder = (await this.visible(req.taskId, actor)).task.assignedVolunteerId;
    const operator = hasAnyRole(actor, ['operator']);
    const me = volunteerIdOf(actor.subject);
    const hash = bodyHash(UpdateTaskStatusRequest.encode({ ...req, idempotencyKey: '' }).finish());
    const now = new Date();
    const affiliation = holder
      ? ((await this.registry.volunteers.load(holder))?.state.affiliationOrganisationId ?? '')
      : '';
    // A retry with the key gets the first result; the key with another body is refused (ALREADY_EXISTS).
    const { change, applied } = await this.store.update(
      req.taskId,
      (c) => {
        if (!operator && c.state.task.assignedVolunteerId !== me)
          throw new FailedPreconditionError(`you do not hold task ${req.taskId}`);
        const next = progress(c.state, update, now);
        return { state: next, events: progressEvents(next, update, affiliation) };
      },
      { causedBy: `status:${req.idempotencyKey}`, requestHash: hash, actor: actorOf(actor) },
    );
    return { task: viewTask(change.state.task, this.viewer(actor)), replayed: !applied };
  }

  /**
   * The help request was cancelled: its tasks still under way are cancelled. The live read model is read
   * once it holds every task created so far, so a task created a moment ago is not missed.
   */
  async onRequestCancelled(helpRequestId: string, reason: string): Promise<void> {
    await this.views.caughtUp();
    for (const t of await this.views.ofRequest(helpRequestId, LIVE_LIMIT)) {
      const now = new Date();
      const { applied } = await this.store.update(t.id, (c) => {
        const next = cancel(c.state, now);
        if (!next) return null;
        const cancelled = draft(SUBJECTS.volunteer.taskCancelled, (meta) =>
          DeliveryTaskCancelled.encode({
            ...taskMeta(meta, next.task),
            reason: `help request cancelled: ${reason}`,
          }).finish(),
        );
        return { state: next, events: [cancelled] };
      });
      if (applied)
        this.log.info({ taskId: t.id, helpRequestId }, 'delivery task cancelled with its help request');
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
): EventDraft[] {
  const t = next.task;
  const base = (meta: EventMeta) => ({ ...taskMeta(meta, t), volunteerId: t.assignedVolunteerId });
  const events = [
    update.$case === 'pickedUp'
      ? draft(SUBJECTS.volunteer.taskPickedUp, (meta) =>
          DeliveryTaskPickedUp.encode({ ...base(meta), note: update.value.note }).finish(),
        )
      : update.$case === 'delivered'
        ? draft(SUBJECTS.volunteer.taskDelivered, (meta) =>
            DeliveryTaskDelivered.encode({ ...base(meta), proofNote: update.value.proofNote }).finish(),
          )
        : draft(SUBJECTS.volunteer.taskFailed, (meta) =>
            DeliveryTaskFailed.encode({ ...base(meta), reason: update.value.reason }).finish(),
          ),
  ];
  const h = next.hours;
  if (h && update.$case !== 'pickedUp') {
    const ms = h.endedAt.getTime() - h.startedAt.getTime();
    events.push(
      draft(SUBJECTS.volunteer.hoursRecorded, (meta) =>
        VolunteerHoursRecorded.encode({
          meta,
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
