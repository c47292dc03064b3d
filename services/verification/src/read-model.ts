import type { Bus } from '@nuanyang/bus';
import type { Logger } from '@nuanyang/logger';
import {
  type ListTasksRequest,
  TaskStatus,
  type VerificationTask,
} from '@nuanyang/proto/nuanyang/verification/v1/verification';
import { type EventStore, Projection, type ReadDocument, readModel } from '@nuanyang/store';
import type { Connection } from 'mongoose';
import type { TaskState } from './domain/tasks';

/** A task as ListTasks reads it: status and times at the top level. */
interface TaskDocument extends ReadDocument {
  status: TaskStatus;
  dueAt: Date;
  claimExpiresAt: Date | null;
  task: VerificationTask;
}

const SORT: Record<string, 1 | -1> = { dueAt: 1, _id: 1 };
const INDEXES: Record<string, 1 | -1>[] = [SORT, { status: 1, dueAt: 1 }];

/**
 * Verification's read model: open and claimed tasks in `verification_tasks_open` (the verifiers' queue:
 * what every ListTasks of live work reads, bounded by the calls still to make), completed ones in the
 * insert-once `verification_tasks_completed` (the history path, read only when completed tasks are asked for).
 */
export class TaskViews {
  readonly projection: Projection<TaskState>;

  constructor(connection: Connection, bus: Bus, store: EventStore<TaskState>, log: Logger) {
    this.projection = new Projection<TaskState>({
      bus,
      store,
      service: 'verification',
      aggregate: 'verification_task',
      durable: 'verification-task-projector',
      live: readModel(connection, 'verification_tasks_open', INDEXES),
      archive: readModel(connection, 'verification_tasks_completed', INDEXES),
      document: ({ state: { task } }) => ({
        fields: {
          status: task.status,
          dueAt: new Date(task.dueAt ?? 0),
          claimExpiresAt: task.claimExpiresAt ? new Date(task.claimExpiresAt) : null,
          task,
        },
        final: task.status === TaskStatus.TASK_STATUS_COMPLETED,
      }),
      log,
    });
  }

  /**
   * The first `n` tasks of a ListTasks request, by due time. A claim that lapsed counts as open again;
   * overdue means due before now and not completed.
   */
  async list(req: ListTasksRequest, now: Date, n: number): Promise<VerificationTask[]> {
    const wanted = new Set(req.statuses);
    const wants = (s: TaskStatus) => wanted.size === 0 || wanted.has(s);
    const {
      TASK_STATUS_OPEN: OPEN,
      TASK_STATUS_CLAIMED: CLAIMED,
      TASK_STATUS_COMPLETED: COMPLETED,
    } = TaskStatus;
    const or: Record<string, unknown>[] = [];
    if (wants(OPEN)) or.push({ status: OPEN }, { status: CLAIMED, claimExpiresAt: { $lte: now } });
    if (wants(CLAIMED)) or.push({ status: CLAIMED, claimExpiresAt: { $gt: now } });
    const live = or.length > 0;
    const archive = wants(COMPLETED) && !req.overdueOnly;
    if (archive) or.push({ status: COMPLETED });
    const filter: Record<string, unknown> = { $or: or };
    if (req.overdueOnly) filter.dueAt = { $lt: now };
    const docs = await this.projection.find<TaskDocument>(filter, SORT, n, { live, archive });
    return docs.map((d) => d.task);
  }
}
