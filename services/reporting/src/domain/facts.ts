import { type Producer, SUBJECTS } from '@nuanyang/bus';
import type { EventMeta, ItemCategory, Need, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { HelpRequestCancelled, HelpRequestReceived } from '@nuanyang/proto/nuanyang/intake/v1/events';
import {
  type Coverage,
  HelpRequestCoverageChanged,
  MatchAccepted,
  MatchFulfilled,
} from '@nuanyang/proto/nuanyang/matching/v1/events';
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

export type Fact = FactBase &
  (
    | ({ kind: 'received'; requestId: string } & RequestAttributes)
    | { kind: 'cancelled'; requestId: string }
    | { kind: 'taskOpened'; taskId: string; requestId: string; dueAt: number }
    | ({ kind: 'verified'; requestId: string; taskId: string; receivedAt?: number } & RequestAttributes)
    | { kind: 'rejected' | 'duplicate' | 'unreachable'; requestId: string; taskId: string }
    | {
        kind: 'accepted';
        proposalId: string;
        requestId: string;
        supplier: string;
        category: ItemCategory;
        district: string;
        community: string;
      }
    | {
        kind: 'fulfilled';
        proposalId: string;
        requestId: string;
        supplier: string;
        category: ItemCategory;
        itemName: string;
        district: string;
        community: string;
        acceptedAt?: number;
        lines: { quantity: number; unit: string; unitValue: number }[];
      }
    | { kind: 'coverage'; requestId: string; coverage: Coverage }
    | {
        kind: 'taskAccepted';
        taskId: string;
        proposalId: string;
        requestId: string;
        volunteerId: string;
        supplier: string;
        district: string;
        community: string;
        categories: ItemCategory[];
      }
    | { kind: 'delivered'; taskId: string; proposalId: string; requestId: string; volunteerId: string }
    | {
        kind: 'timedOut';
        taskId: string;
        requestId: string;
        volunteerId: string;
        supplier: string;
        district: string;
        community: string;
        categories: ItemCategory[];
      }
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
          district: r.location?.district ?? '',
          community: r.location?.community ?? '',
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
        district: e.location?.district ?? '',
        community: e.location?.community ?? '',
        urgency: e.urgency,
        people: e.peopleAffected,
        categories: categoriesOf(e.correctedNeeds),
      };
      const receivedAt = ms(e.receivedAt);
      return [e.meta, receivedAt === undefined ? draft : { ...draft, receivedAt }];
    }
    case SUBJECTS.verification.rejected: {
      const e = HelpRequestRejected.decode(data);
      return [e.meta, { kind: 'rejected', requestId: e.helpRequestId, taskId: e.taskId }];
    }
    case SUBJECTS.verification.markedDuplicate: {
      const e = HelpRequestMarkedDuplicate.decode(data);
      return [e.meta, { kind: 'duplicate', requestId: e.helpRequestId, taskId: e.taskId }];
    }
    case SUBJECTS.verification.unreachable: {
      const e = HelpRequestUnreachable.decode(data);
      return [e.meta, { kind: 'unreachable', requestId: e.helpRequestId, taskId: e.taskId }];
    }
    case SUBJECTS.matching.accepted: {
      const { meta, proposal: p } = MatchAccepted.decode(data);
      if (!p) return [meta, undefined];
      return [
        meta,
        {
          kind: 'accepted',
          proposalId: p.id,
          requestId: p.helpRequestId,
          supplier: p.supplierOrganisationId,
          category: p.category,
          district: p.dropoffLocation?.district ?? '',
          community: p.dropoffLocation?.community ?? '',
        },
      ];
    }
    case SUBJECTS.matching.fulfilled: {
      const { meta, proposal: p } = MatchFulfilled.decode(data);
      if (!p) return [meta, undefined];
      const draft: Draft = {
        kind: 'fulfilled',
        proposalId: p.id,
        requestId: p.helpRequestId,
        supplier: p.supplierOrganisationId,
        category: p.category,
        itemName: p.needItemName,
        district: p.dropoffLocation?.district ?? '',
        community: p.dropoffLocation?.community ?? '',
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
      if (!o) return [meta, undefined];
      return [meta, { kind: 'organisation', orgId: o.id, name: o.name }];
    }
    case SUBJECTS.volunteer.taskAccepted: {
      const { meta, task: t, volunteerId } = DeliveryTaskAccepted.decode(data);
      if (!t) return [meta, undefined];
      return [
        meta,
        {
          kind: 'taskAccepted',
          taskId: t.id,
          proposalId: t.matchProposalId,
          requestId: t.helpRequestId,
          volunteerId: volunteerId || t.assignedVolunteerId,
          supplier: t.supplierOrganisationId,
          district: t.dropoffLocation?.district ?? '',
          community: t.dropoffLocation?.community ?? '',
          categories: itemCategories(t),
        },
      ];
    }
    case SUBJECTS.volunteer.taskDelivered: {
      const { meta, task: t, volunteerId } = DeliveryTaskDelivered.decode(data);
      if (!t) return [meta, undefined];
      return [
        meta,
        {
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
      if (!t) return [meta, undefined];
      return [
        meta,
        {
          kind: 'timedOut',
          taskId: t.id,
          requestId: t.helpRequestId,
          volunteerId,
          supplier: t.supplierOrganisationId,
          district: t.dropoffLocation?.district ?? '',
          community: t.dropoffLocation?.community ?? '',
          categories: itemCategories(t),
        },
      ];
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
