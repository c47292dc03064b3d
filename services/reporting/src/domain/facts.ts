import { type Producer, SUBJECTS } from '@nuanyang/bus';
import type {
  EventMeta,
  ItemCategory,
  Location,
  Need,
  Urgency,
} from '@nuanyang/proto/nuanyang/common/v1/common';
import { HelpRequestCancelled, HelpRequestReceived } from '@nuanyang/proto/nuanyang/intake/v1/events';
import {
  type Coverage,
  HelpRequestCoverageChanged,
  MatchAccepted,
  MatchFulfilled,
} from '@nuanyang/proto/nuanyang/matching/v1/events';
import type { MatchProposal } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import {
  HelpRequestMarkedDuplicate,
  HelpRequestRejected,
  HelpRequestUnreachable,
  HelpRequestVerified,
  VerificationTaskOpened,
} from '@nuanyang/proto/nuanyang/verification/v1/events';
import {
  DeliveryTaskAccepted,
  DeliveryTaskDelivered,
  DeliveryTaskTimedOut,
  OrganisationRegistered,
  VolunteerHoursRecorded,
} from '@nuanyang/proto/nuanyang/volunteer/v1/events';
import type { DeliveryTask } from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';

/**
 * One fact per event that reporting counts: only the fields the figures need (never a phone or an address),
 * times as epoch milliseconds. `id` is the event id, the fact's unique key: a redelivered event maps to the
 * same fact and is stored once.
 */
interface FactBase {
  id: string;
  /** When the change happened (meta.occurred_at). */
  at: number;
}

/** Where a request is and who it belongs to, as one event saw it. */
export interface RequestAttributes {
  org: string;
  district: string;
  community: string;
  urgency: Urgency;
  people: number;
  categories: ItemCategory[];
}

/** What a fact says about the match proposal it concerns. */
interface ProposalFacts {
  proposalId: string;
  requestId: string;
  supplier: string;
  category: ItemCategory;
  district: string;
  community: string;
}

/** What a fact says about the delivery task it concerns. */
interface TaskFacts {
  taskId: string;
  requestId: string;
  supplier: string;
  district: string;
  community: string;
  categories: ItemCategory[];
}

export type Fact = FactBase &
  (
    | ({ kind: 'received'; requestId: string } & RequestAttributes)
    | { kind: 'cancelled'; requestId: string }
    | { kind: 'taskOpened'; taskId: string; requestId: string; dueAt: number }
    | ({ kind: 'verified'; requestId: string; taskId: string; receivedAt?: number } & RequestAttributes)
    | { kind: 'rejected' | 'duplicate' | 'unreachable'; requestId: string; taskId: string }
    | ({ kind: 'accepted' } & ProposalFacts)
    | ({
        kind: 'fulfilled';
        itemName: string;
        acceptedAt?: number;
        lines: { quantity: number; unit: string; unitValue: number }[];
      } & ProposalFacts)
    | { kind: 'coverage'; requestId: string; coverage: Coverage }
    | ({ kind: 'taskAccepted'; proposalId: string; volunteerId: string } & TaskFacts)
    | { kind: 'delivered'; taskId: string; proposalId: string; requestId: string; volunteerId: string }
    | ({ kind: 'timedOut'; volunteerId: string } & TaskFacts)
    | {
        kind: 'hours';
        volunteerId: string;
        org: string;
        taskId: string;
        hours: number;
        district: string;
      }
    | { kind: 'organisation'; orgId: string; name: string }
  );

export type FactKind = Fact['kind'];

/** The subjects reporting consumes, per producing stream. */
export const CONSUMED: Partial<Record<Producer, string[]>> = {
  intake: [SUBJECTS.intake.received, SUBJECTS.intake.cancelled],
  verification: [
    SUBJECTS.verification.taskOpened,
    SUBJECTS.verification.verified,
    SUBJECTS.verification.rejected,
    SUBJECTS.verification.markedDuplicate,
    SUBJECTS.verification.unreachable,
  ],
  matching: [SUBJECTS.matching.accepted, SUBJECTS.matching.fulfilled, SUBJECTS.matching.coverageChanged],
  volunteer: [
    SUBJECTS.volunteer.organisationRegistered,
    SUBJECTS.volunteer.taskAccepted,
    SUBJECTS.volunteer.taskDelivered,
    SUBJECTS.volunteer.taskTimedOut,
    SUBJECTS.volunteer.hoursRecorded,
  ],
};

const ms = (d: Date | undefined) => (d ? d.getTime() : undefined);

const distinct = (categories: ItemCategory[]) => [...new Set(categories)].sort((a, b) => a - b);
const categoriesOf = (needs: Need[]) => distinct(needs.map((n) => n.category));
const itemCategories = (task: DeliveryTask) => distinct(task.items.map((i) => i.category));
/** District and community only: a location's address and coordinates are never kept. */
const place = (l: Location | undefined) => ({ district: l?.district ?? '', community: l?.community ?? '' });
/** What every proposal fact says about the proposal. */
const ofProposal = (p: MatchProposal): ProposalFacts => ({
  proposalId: p.id,
  requestId: p.helpRequestId,
  supplier: p.supplierOrganisationId,
  category: p.category,
  ...place(p.dropoffLocation),
});
/** What every delivery-task fact says about the task. */
const ofTask = (t: DeliveryTask): TaskFacts => ({
  taskId: t.id,
  requestId: t.helpRequestId,
  supplier: t.supplierOrganisationId,
  ...place(t.dropoffLocation),
  categories: itemCategories(t),
});

type Draft = Fact extends infer F ? (F extends Fact ? Omit<F, 'id' | 'at'> : never) : never;

/**
 * The fact an event payload stands for, or undefined for an event without an id or a time (nothing can be
 * counted reproducibly from it). Pure: the same bytes give the same fact, whenever and however often.
 */
export function factOf(subject: string, data: Uint8Array): Fact | undefined {
  const [meta, draft] = decode(subject, data);
  const at = ms(meta?.occurredAt);
  if (!meta?.eventId || at === undefined || !draft) return undefined;
  return { id: meta.eventId, at, ...draft } as Fact;
}

const OUTCOMES = {
  [SUBJECTS.verification.rejected]: ['rejected', HelpRequestRejected],
  [SUBJECTS.verification.markedDuplicate]: ['duplicate', HelpRequestMarkedDuplicate],
  [SUBJECTS.verification.unreachable]: ['unreachable', HelpRequestUnreachable],
} as const;

function decode(subject: string, data: Uint8Array): [EventMeta | undefined, Draft | undefined] {
  switch (subject) {
    case SUBJECTS.intake.received: {
      const { meta, helpRequest: r } = HelpRequestReceived.decode(data);
      if (!r) return [meta, undefined];
      return [
        meta,
        {
          kind: 'received',
          requestId: r.id,
          org: r.submittingOrganisationId,
          ...place(r.location),
          urgency: r.urgency,
          people: r.peopleAffected,
          categories: categoriesOf(r.needs),
        },
      ];
    }
    case SUBJECTS.intake.cancelled: {
      const e = HelpRequestCancelled.decode(data);
      return [e.meta, { kind: 'cancelled', requestId: e.helpRequestId }];
    }
    case SUBJECTS.verification.taskOpened: {
      const e = VerificationTaskOpened.decode(data);
      const dueAt = ms(e.dueAt);
      if (dueAt === undefined) return [e.meta, undefined];
      return [e.meta, { kind: 'taskOpened', taskId: e.taskId, requestId: e.helpRequestId, dueAt }];
    }
    case SUBJECTS.verification.verified: {
      const e = HelpRequestVerified.decode(data);
      const draft: Draft = {
        kind: 'verified',
        requestId: e.helpRequestId,
        taskId: e.taskId,
        org: e.submittingOrganisationId,
        ...place(e.location),
        urgency: e.urgency,
        people: e.peopleAffected,
        categories: categoriesOf(e.correctedNeeds),
      };
      const receivedAt = ms(e.receivedAt);
      return [e.meta, receivedAt === undefined ? draft : { ...draft, receivedAt }];
    }
    case SUBJECTS.verification.rejected:
    case SUBJECTS.verification.markedDuplicate:
    case SUBJECTS.verification.unreachable: {
      const [kind, type] = OUTCOMES[subject];
      const e = type.decode(data);
      return [e.meta, { kind, requestId: e.helpRequestId, taskId: e.taskId }];
    }
    case SUBJECTS.matching.accepted: {
      const { meta, proposal: p } = MatchAccepted.decode(data);
      return [meta, p && { kind: 'accepted', ...ofProposal(p) }];
    }
    case SUBJECTS.matching.fulfilled: {
      const { meta, proposal: p } = MatchFulfilled.decode(data);
      if (!p) return [meta, undefined];
      const draft: Draft = {
        kind: 'fulfilled',
        ...ofProposal(p),
        itemName: p.needItemName,
        lines: p.lines.map((l) => ({
          quantity: l.quantity,
          unit: l.unit || p.requested?.unit || '',
          unitValue: l.unitValue?.minorUnits ?? 0,
        })),
      };
      const acceptedAt = ms(p.decidedAt);
      return [meta, acceptedAt === undefined ? draft : { ...draft, acceptedAt }];
    }
    case SUBJECTS.matching.coverageChanged: {
      const e = HelpRequestCoverageChanged.decode(data);
      return [e.meta, { kind: 'coverage', requestId: e.helpRequestId, coverage: e.coverage }];
    }
    case SUBJECTS.volunteer.organisationRegistered: {
      const { meta, organisation: o } = OrganisationRegistered.decode(data);
      return [meta, o && { kind: 'organisation', orgId: o.id, name: o.name }];
    }
    case SUBJECTS.volunteer.taskAccepted: {
      const { meta, task: t, volunteerId } = DeliveryTaskAccepted.decode(data);
      return [
        meta,
        t && {
          kind: 'taskAccepted',
          ...ofTask(t),
          proposalId: t.matchProposalId,
          volunteerId: volunteerId || t.assignedVolunteerId,
        },
      ];
    }
    case SUBJECTS.volunteer.taskDelivered: {
      const { meta, task: t, volunteerId } = DeliveryTaskDelivered.decode(data);
      return [
        meta,
        t && {
          kind: 'delivered',
          taskId: t.id,
          proposalId: t.matchProposalId,
          requestId: t.helpRequestId,
          volunteerId: volunteerId || t.assignedVolunteerId,
        },
      ];
    }
    case SUBJECTS.volunteer.taskTimedOut: {
      const { meta, task: t, volunteerId } = DeliveryTaskTimedOut.decode(data);
      return [meta, t && { kind: 'timedOut', ...ofTask(t), volunteerId }];
    }
    case SUBJECTS.volunteer.hoursRecorded: {
      const e = VolunteerHoursRecorded.decode(data);
      const seconds = e.duration
        ? e.duration.seconds + e.duration.nanos / 1e9
        : ((ms(e.endedAt) ?? 0) - (ms(e.startedAt) ?? 0)) / 1000;
      return [
        e.meta,
        {
          kind: 'hours',
          volunteerId: e.volunteerId,
          org: e.affiliationOrganisationId,
          taskId: e.taskId,
          hours: Math.max(0, seconds) / 3600,
          district: e.district,
        },
      ];
    }
    default:
      return [undefined, undefined];
  }
}
