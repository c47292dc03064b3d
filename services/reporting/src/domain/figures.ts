import { type CaseFigures, foldCase } from './case';
import { type Cell, Cells, cellOf } from './cells';
import { ClosedIds } from './closed-ids';
import type { Fact } from './facts';
import {
  type DeliveryView,
  type Filter,
  inRange,
  matchesPlace,
  type OpenTask,
  type RequestView,
  type RowKind,
} from './rows';

/**
 * The figures kept incrementally. Facts are grouped into cases (case.ts: a help request and everything about
 * it); applying a fact folds its case's few facts again, so the cost of a fact does not grow with history.
 *
 * What is held, and what bounds it:
 * - Open cases, with their facts: live work (requests not yet final, plus a grace of `closeAfter` applied
 *   facts after a case's last one, for stragglers).
 * - Cells (cells.ts): closed cases' rows summed per hour and dimensions: bounded by the dimensions.
 * - Volunteers' affiliations and organisations' names: one entry per volunteer or organisation.
 * - A Bloom filter of the closed cases' ids and their delivery tasks' (closed-ids.ts), about 5 bytes per
 *   closed request: the only memory that grows with history. It tells, without a database look-up, that a fact's case is new;
 *   when it says "maybe closed" the caller loads the case from its archive (MongoDB, keyed by id) and hands
 *   it to `reopen` before applying the fact.
 *
 * A closed case leaves its facts in `takeClosed()` for the archive. A case opened again by a late fact stays
 * open (such facts come only after a case was idle for `closeAfter` facts, so they are few), which keeps each
 * archived case written once and the same on every replica: the replicas apply the same facts in the same
 * order (the relay), so they close the same cases at the same point.
 */
export interface ClosedCase {
  id: string;
  facts: Fact[];
  /** Its delivery tasks, so hours recorded later find the case. */
  tasks: string[];
}

interface OpenCase {
  id: string;
  facts: Fact[];
  ids: Set<string>;
  figures: CaseFigures;
  cells: Cell[];
  /** `applied` when a fact last changed it. */
  touched: number;
  /** Opened again after it closed: stays open. */
  reopened: boolean;
}

interface Earliest {
  at: number;
  id: string;
}
const isEarlier = (a: Earliest | undefined, b: Earliest) =>
  !a || b.at < a.at || (b.at === a.at && b.id < a.id);

/** The id of the case of hours whose delivery task is not known yet. */
export const taskCaseId = (taskId: string) => `task:${taskId}`;

const deliveryTaskOf = (f: Fact): string | undefined =>
  f.kind === 'taskAccepted' || f.kind === 'timedOut' || f.kind === 'delivered' ? f.taskId : undefined;

export interface FiguresStats {
  openCases: number;
  openFacts: number;
  cells: number;
  volunteers: number;
  organisations: number;
  taskIndex: number;
  closedIdBytes: number;
}

export class Figures {
  private readonly open = new Map<string, OpenCase>();
  /** Delivery task → its open case (hours carry the task only). */
  private readonly taskCase = new Map<string, string>();
  readonly cells = new Cells();
  private readonly affiliation = new Map<string, Earliest & { org: string }>();
  private readonly names = new Map<string, Earliest & { name: string }>();
  private readonly closedIds = new ClosedIds();
  /** Final cases in the order they were last touched, each checked `closeAfter` facts later. */
  private readonly idle: { id: string; touched: number }[] = [];
  private idleHead = 0;
  private closed: ClosedCase[] = [];
  private applied = 0;
  /** Newest fact time of all, for as_of. */
  newest: number | undefined;

  constructor(private readonly opts: { closeAfter: number } = { closeAfter: 10_000 }) {
    if (!(opts.closeAfter >= 0)) throw new Error('closeAfter must be a number ≥ 0');
  }

  /** The case a fact belongs to (undefined: an organisation's registration, which belongs to none). */
  caseOf(f: Fact): string | undefined {
    if (f.kind === 'organisation') return undefined;
    if (f.kind === 'hours') return this.taskCase.get(f.taskId) ?? taskCaseId(f.taskId);
    return f.requestId;
  }

  /** Whether the case may have closed (false: certainly not; true: closed, or rarely a false alarm). */
  mayBeClosed(caseId: string): boolean {
    return !this.open.has(caseId) && this.closedIds.has(caseId);
  }

  /** Applies a fact; a fact already applied changes nothing. */
  apply(f: Fact): void {
    this.newest = this.newest === undefined ? f.at : Math.max(this.newest, f.at);
    if (f.kind === 'organisation') {
      // The latest registration names the organisation.
      const known = this.names.get(f.orgId);
      if (!known || f.at > known.at || (f.at === known.at && f.id > known.id))
        this.names.set(f.orgId, { at: f.at, id: f.id, name: f.name });
      return;
    }
    if (f.kind === 'hours' && isEarlier(this.affiliation.get(f.volunteerId), f))
      this.affiliation.set(f.volunteerId, { at: f.at, id: f.id, org: f.org });
    const id = this.caseOf(f) as string;
    let c = this.open.get(id);
    if (c?.ids.has(f.id)) return;
    c ??= this.openCase(id, [], false);
    c.ids.add(f.id);
    c.facts.push(f);
    const task = deliveryTaskOf(f);
    if (task !== undefined) this.adopt(c, task);
    this.refold(c);
    this.applied += 1;
    this.touch(c);
    this.closeIdle();
  }

  /** Opens a closed case again from its archived facts, before a late fact about it is applied. */
  reopen(closed: ClosedCase): void {
    if (this.open.has(closed.id)) throw new Error(`case ${closed.id} is open`);
    // The same facts fold to the same rows the cells received when it closed.
    for (const r of foldCase(closed.facts).rows) this.cells.remove(r);
    const c = this.openCase(closed.id, closed.facts, true);
    for (const task of closed.tasks) this.adopt(c, task);
    this.refold(c);
  }

  /** The cases closed since the last call, for the archive. */
  takeClosed(): ClosedCase[] {
    const out = this.closed;
    this.closed = [];
    return out;
  }

  /** Every cell: the closed cases' and one per row of each open case. */
  *allCells(): Iterable<Cell> {
    yield* this.cells.values();
    for (const c of this.open.values()) yield* c.cells;
  }

  /** The cells a query reads: in its time range and places (the organisation is the query's to check). */
  *select(f: Filter, kinds?: Set<RowKind>): Iterable<Cell> {
    for (const c of this.allCells()) {
      if (kinds && !kinds.has(c.kind)) continue;
      if (inRange(c.first, c.last, f) && matchesPlace(c, f)) yield c;
    }
  }

  *openTasks(): Iterable<OpenTask> {
    for (const c of this.open.values()) yield* c.figures.openTasks;
  }

  /** Open cases' requests and deliveries (the closed ones are in the archive). */
  *openViews(): Iterable<{ id: string; request?: RequestView; deliveries: DeliveryView[] }> {
    for (const c of this.open.values())
      yield { id: c.id, request: c.figures.request, deliveries: c.figures.deliveries };
  }

  isOpen(caseId: string): boolean {
    return this.open.has(caseId);
  }

  /** A volunteer's organisation: that of their earliest recorded hours ('' before any). */
  affiliationOf(volunteerId: string): string {
    return this.affiliation.get(volunteerId)?.org ?? '';
  }

  orgName(orgId: string): string | undefined {
    return this.names.get(orgId)?.name;
  }

  get stats(): FiguresStats {
    let openFacts = 0;
    for (const c of this.open.values()) openFacts += c.facts.length;
    return {
      openCases: this.open.size,
      openFacts,
      cells: this.cells.size,
      volunteers: this.affiliation.size,
      organisations: this.names.size,
      taskIndex: this.taskCase.size,
      closedIdBytes: this.closedIds.bytes,
    };
  }

  private openCase(id: string, facts: Fact[], reopened: boolean): OpenCase {
    const c: OpenCase = {
      id,
      facts: [...facts],
      ids: new Set(facts.map((f) => f.id)),
      figures: { rows: [], openTasks: [], deliveries: [], final: false },
      cells: [],
      touched: this.applied,
      reopened,
    };
    this.open.set(id, c);
    return c;
  }

  /** Takes in the hours that came before their delivery task was known. */
  private adopt(c: OpenCase, task: string): void {
    this.taskCase.set(task, c.id);
    const waiting = this.open.get(taskCaseId(task));
    if (!waiting || waiting === c) return;
    this.open.delete(waiting.id);
    for (const f of waiting.facts) {
      if (c.ids.has(f.id)) continue;
      c.ids.add(f.id);
      c.facts.push(f);
    }
  }

  private refold(c: OpenCase): void {
    c.figures = foldCase(c.facts);
    c.cells = c.figures.rows.map(cellOf);
  }

  private touch(c: OpenCase): void {
    c.touched = this.applied;
    if (c.figures.final && !c.reopened) this.idle.push({ id: c.id, touched: c.touched });
  }

  /** Closes the final cases no fact has touched for `closeAfter` facts: their rows go into the cells. */
  private closeIdle(): void {
    while (this.idleHead < this.idle.length) {
      const next = this.idle[this.idleHead] as { id: string; touched: number };
      if (next.touched + this.opts.closeAfter > this.applied) break;
      this.idleHead += 1;
      const c = this.open.get(next.id);
      if (c && c.touched === next.touched && c.figures.final && !c.reopened) this.close(c);
    }
    // Drop the consumed head now and then, so the queue holds live entries only.
    if (this.idleHead > 1024 && this.idleHead * 2 > this.idle.length) {
      this.idle.splice(0, this.idleHead);
      this.idleHead = 0;
    }
  }

  private close(c: OpenCase): void {
    for (const r of c.figures.rows) this.cells.add(r);
    this.open.delete(c.id);
    const tasks = [...new Set(c.facts.map(deliveryTaskOf).filter((t): t is string => t !== undefined))];
    for (const t of tasks) {
      this.taskCase.delete(t);
      this.closedIds.add(taskCaseId(t));
    }
    this.closedIds.add(c.id);
    this.closed.push({ id: c.id, facts: c.facts, tasks });
  }
}
