import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { Coverage } from '@nuanyang/proto/nuanyang/matching/v1/events';
import type { Fact, RequestAttributes } from './facts';
import { byUnit, type DeliveryView, type OpenTask, type RequestView, type Row, row, uniq } from './rows';

/**
 * One case: a help request with everything that happens to it (its verification tasks, proposals, delivery
 * tasks and the hours worked on them). Every fact but an organisation's registration belongs to exactly one
 * case, and every join the figures make (a proposal's place from its request, hours' community from their
 * delivery task, a breach's organisation from the request) stays inside it, so a case's rows are a function
 * of its own facts only. Folding them by id, earliest first, makes the rows independent of the order the
 * facts arrived in (a fulfilment seen before its receipt counts the same).
 */
export interface CaseFigures {
  rows: Row[];
  openTasks: OpenTask[];
  /** Undefined for hours whose delivery task is not known yet. */
  request?: RequestView;
  deliveries: DeliveryView[];
  /**
   * Nothing in the ordinary course of the request can change its rows any more: its receipt is known, its
   * verification tasks have outcomes, and it was cancelled, rejected, marked duplicate, unreachable or
   * fulfilled.
   */
  final: boolean;
}

/** What the CSV listings read of a case. */
export type CaseView = Pick<CaseFigures, 'request' | 'deliveries'>;

type Of<K extends Fact['kind']> = Fact & { kind: K };

/** Earliest by time, ties broken by id: the same choice whatever the arrival order. */
const earlier = <F extends Fact>(a: F | undefined, b: F): F =>
  !a || b.at < a.at || (b.at === a.at && b.id < a.id) ? b : a;

function keepEarliest<K extends Fact['kind']>(map: Map<string, Of<K>>, key: string, fact: Of<K>) {
  map.set(key, earlier(map.get(key), fact));
}

/**
 * The request's attributes: place and organisation as received (the verified event's when the receipt is
 * not known), urgency, people and categories as verified when verified (the verifier's corrections win),
 * else as received.
 */
function attributesOf(
  received: Of<'received'> | undefined,
  verified: Of<'verified'> | undefined,
  accepted: Of<'accepted'> | undefined,
): RequestAttributes {
  const place = received ?? verified;
  return {
    org: place?.org || verified?.org || '',
    district: place?.district || accepted?.district || '',
    community: place?.community || accepted?.community || '',
    urgency: verified?.urgency || received?.urgency || Urgency.URGENCY_UNSPECIFIED,
    people: verified?.people || received?.people || 0,
    categories: verified?.categories.length ? verified.categories : (received?.categories ?? []),
  };
}

/** The kinds that make a request known (and give it rows); the others only refer to it. */
const REQUEST_KINDS = new Set<Fact['kind']>([
  'received',
  'cancelled',
  'verified',
  'rejected',
  'duplicate',
  'unreachable',
  'accepted',
  'fulfilled',
  'coverage',
]);

/** The facts of one case, each once, by kind and key (the earliest of each where only one counts). */
function index(facts: Iterable<Fact>) {
  const x = {
    received: undefined as Of<'received'> | undefined,
    verified: undefined as Of<'verified'> | undefined,
    rejected: undefined as Of<'rejected'> | undefined,
    duplicate: undefined as Of<'duplicate'> | undefined,
    unreachable: undefined as Of<'unreachable'> | undefined,
    cancelled: undefined as Of<'cancelled'> | undefined,
    firstAccepted: undefined as Of<'accepted'> | undefined,
    fulfilledCoverage: undefined as Of<'coverage'> | undefined,
    requestId: undefined as string | undefined,
    suppliers: new Set<string>(),
    acceptedProposal: new Map<string, Of<'accepted'>>(),
    fulfilledProposal: new Map<string, Of<'fulfilled'>>(),
    deliveredProposal: new Map<string, Of<'delivered'>>(),
    tasksOpened: new Map<string, Of<'taskOpened'>>(),
    taskOutcome: new Map<string, Fact>(),
    timedOut: new Map<string, Of<'timedOut'>>(),
    taskAccepted: [] as Of<'taskAccepted'>[],
    deliveryTasks: new Map<string, Of<'taskAccepted'>>(),
    hours: [] as Of<'hours'>[],
  };
  const seen = new Set<string>();
  for (const f of facts) {
    if (seen.has(f.id)) continue;
    seen.add(f.id);
    if (REQUEST_KINDS.has(f.kind) && 'requestId' in f) x.requestId = f.requestId;
    switch (f.kind) {
      case 'received':
        x.received = earlier(x.received, f);
        break;
      case 'cancelled':
        x.cancelled = earlier(x.cancelled, f);
        break;
      case 'verified':
        x.verified = earlier(x.verified, f);
        keepEarliest(x.taskOutcome, f.taskId, f);
        break;
      case 'rejected':
      case 'duplicate':
      case 'unreachable':
        x[f.kind] = earlier(x[f.kind] as Fact | undefined, f) as never;
        keepEarliest(x.taskOutcome, f.taskId, f);
        break;
      case 'taskOpened':
        keepEarliest(x.tasksOpened, f.taskId, f);
        break;
      case 'accepted':
        x.firstAccepted = earlier(x.firstAccepted, f);
        keepEarliest(x.acceptedProposal, f.proposalId, f);
        x.suppliers.add(f.supplier);
        break;
      case 'fulfilled':
        keepEarliest(x.fulfilledProposal, f.proposalId, f);
        x.suppliers.add(f.supplier);
        break;
      case 'coverage':
        if (f.coverage === Coverage.COVERAGE_FULFILLED) x.fulfilledCoverage = earlier(x.fulfilledCoverage, f);
        break;
      case 'delivered':
        keepEarliest(x.deliveredProposal, f.proposalId, f);
        break;
      case 'timedOut':
        keepEarliest(x.timedOut, f.taskId, f);
        break;
      case 'taskAccepted':
        x.taskAccepted.push(f);
        keepEarliest(x.deliveryTasks, f.taskId, f);
        break;
      case 'hours':
        x.hours.push(f);
        break;
      case 'organisation':
        break;
    }
  }
  return x;
}

/** Folds one case's facts (any order, each counted once) into its rows and views. */
export function foldCase(facts: Iterable<Fact>): CaseFigures {
  const x = index(facts);
  const rows: Row[] = [];
  let request: RequestView | undefined;
  let b: Partial<Row> = {};
  if (x.requestId !== undefined) {
    const attrs = attributesOf(x.received, x.verified, x.firstAccepted);
    const v = x.verified;
    request = {
      id: x.requestId,
      ...attrs,
      receivedAt: x.received?.at ?? v?.receivedAt,
      verifiedAt: v?.at,
      rejectedAt: x.rejected?.at,
      duplicateAt: x.duplicate?.at,
      unreachableAt: x.unreachable?.at,
      cancelledAt: x.cancelled?.at,
      matchedAt: x.firstAccepted?.at,
      fulfilledAt: x.fulfilledCoverage?.at,
      suppliers: uniq([...x.suppliers]),
    };
    b = {
      district: attrs.district,
      community: attrs.community,
      categories: attrs.categories,
      org: attrs.org,
      orgs: uniq([attrs.org, ...request.suppliers]),
      people: attrs.people,
    };
    if (x.received) rows.push(row('collected', x.received.at, b));
    for (const [kind, at] of [
      ['verified', request.verifiedAt],
      ['rejected', request.rejectedAt],
      ['duplicate', request.duplicateAt],
      ['unreachable', request.unreachableAt],
      ['cancelled', request.cancelledAt],
      ['matched', request.matchedAt],
      ['fulfilled', request.fulfilledAt],
    ] as const) {
      if (at !== undefined) rows.push(row(kind, at, b));
    }
    const { receivedAt, verifiedAt, matchedAt } = request;
    if (verifiedAt !== undefined && attrs.urgency === Urgency.URGENCY_CRITICAL)
      rows.push(row('emergency', verifiedAt, b));
    if (receivedAt !== undefined && verifiedAt !== undefined)
      rows.push(row('timeToVerify', verifiedAt, { ...b, ms: Math.max(0, verifiedAt - receivedAt) }));
    if (verifiedAt !== undefined && matchedAt !== undefined)
      rows.push(row('timeToMatch', matchedAt, { ...b, ms: Math.max(0, matchedAt - verifiedAt) }));
  }

  // Deliveries: one per fulfilled proposal; time to deliver from acceptance to the volunteer's delivery.
  const deliveries: DeliveryView[] = [];
  const proposalIds = new Set([
    ...x.acceptedProposal.keys(),
    ...x.fulfilledProposal.keys(),
    ...x.deliveredProposal.keys(),
  ]);
  for (const pid of [...proposalIds].sort()) {
    const accepted = x.acceptedProposal.get(pid);
    const fulfilled = x.fulfilledProposal.get(pid);
    const delivered = x.deliveredProposal.get(pid);
    const requestId = fulfilled?.requestId ?? accepted?.requestId ?? delivered?.requestId ?? '';
    const supplier = fulfilled?.supplier ?? accepted?.supplier ?? '';
    const category = fulfilled?.category ?? accepted?.category ?? ItemCategory.ITEM_CATEGORY_UNSPECIFIED;
    const place = {
      district: fulfilled?.district || accepted?.district || b.district || '',
      community: fulfilled?.community || accepted?.community || b.community || '',
    };
    const pb: Partial<Row> = {
      ...place,
      categories: category ? [category] : [],
      org: supplier,
      orgs: uniq([supplier, b.org ?? '']),
    };
    if (fulfilled) {
      const quantities = byUnit(fulfilled.lines);
      const value = fulfilled.lines.reduce((sum, l) => sum + l.quantity * l.unitValue, 0);
      rows.push(row('delivery', fulfilled.at, { ...pb, quantities, value }));
      deliveries.push({
        proposalId: pid,
        requestId,
        at: fulfilled.at,
        supplier,
        category,
        itemName: fulfilled.itemName,
        ...place,
        quantities,
        value,
        perUnit: quantities.map((q) => ({
          ...q,
          value: fulfilled.lines.reduce(
            (sum, l) => (l.unit === q.unit ? sum + l.quantity * l.unitValue : sum),
            0,
          ),
        })),
      });
    }
    const acceptedAt = accepted?.at ?? fulfilled?.acceptedAt;
    const deliveredAt = delivered?.at ?? fulfilled?.at;
    if (acceptedAt !== undefined && deliveredAt !== undefined)
      rows.push(row('timeToDeliver', deliveredAt, { ...pb, ms: Math.max(0, deliveredAt - acceptedAt) }));
  }

  // Verification SLA: an outcome after due_at is a breach when it happened; a task still open is one from
  // due_at on (decided at query time). A cancelled request's task is closed without an outcome.
  const openTasks: OpenTask[] = [];
  for (const [taskId, t] of [...x.tasksOpened.entries()].sort(([a], [c]) => (a < c ? -1 : 1))) {
    const done = x.taskOutcome.get(taskId);
    if (done) {
      if (done.at > t.dueAt) rows.push(row('verificationBreach', done.at, b));
    } else if (!x.cancelled) {
      openTasks.push({ dueAt: t.dueAt, row: row('verificationBreach', t.dueAt, b) });
    }
  }

  for (const t of x.timedOut.values()) {
    rows.push(
      row('deliveryTimeout', t.at, {
        district: t.district,
        community: t.community,
        categories: t.categories,
        org: t.supplier,
        orgs: uniq([t.supplier, b.org ?? '']),
        volunteerId: t.volunteerId,
      }),
    );
  }

  for (const t of x.taskAccepted) {
    rows.push(
      row('volunteerActive', t.at, {
        district: t.district,
        community: t.community,
        categories: t.categories,
        orgs: uniq([t.supplier]),
        volunteerId: t.volunteerId,
      }),
    );
  }
  for (const h of x.hours) {
    const task = x.deliveryTasks.get(h.taskId);
    rows.push(
      row('hours', h.at, {
        district: h.district || task?.district || '',
        community: task && task.district === h.district ? task.community : '',
        categories: task?.categories ?? [],
        org: h.org,
        orgs: uniq([h.org]),
        volunteerId: h.volunteerId,
        hours: h.hours,
      }),
    );
  }

  const final =
    x.received !== undefined &&
    openTasks.length === 0 &&
    (x.cancelled ?? x.rejected ?? x.duplicate ?? x.unreachable ?? x.fulfilledCoverage) !== undefined;
  return { rows, openTasks, request, deliveries, final };
}
