import { type Bus, SUBJECTS } from '@nuanyang/bus';
import type { EventMeta } from '@nuanyang/proto/nuanyang/common/v1/common';
import { HelpRequestStatus } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { Coverage, HelpRequestCoverageChanged } from '@nuanyang/proto/nuanyang/matching/v1/events';
import {
  HelpRequestMarkedDuplicate,
  HelpRequestRejected,
  HelpRequestUnreachable,
  HelpRequestVerified,
} from '@nuanyang/proto/nuanyang/verification/v1/events';
import type { HelpRequests } from './help-requests';

/** An event's identity is the id in its payload; the message id header is the fallback. */
const eventIdOf = (e: { meta?: EventMeta | undefined }, header: string) => e.meta?.eventId || header;

/** Intake follows verification's outcome: the request becomes verified, rejected, duplicate or unreachable. */
async function followVerification(bus: Bus, requests: HelpRequests): Promise<void> {
  const v = SUBJECTS.verification;
  await bus.consume({
    from: 'verification',
    durable: 'intake-verification-outcomes',
    subjects: [v.verified, v.rejected, v.markedDuplicate, v.unreachable],
    handler: async (m) => {
      switch (m.subject) {
        case v.verified: {
          const e = HelpRequestVerified.decode(m.data);
          const patch = e.correctedNeeds.length > 0 ? { needs: e.correctedNeeds } : {};
          await requests.follow(
            e.helpRequestId,
            eventIdOf(e, m.eventId),
            HelpRequestStatus.HELP_REQUEST_STATUS_VERIFIED,
            '',
            patch,
          );
          break;
        }
        case v.rejected: {
          const e = HelpRequestRejected.decode(m.data);
          await requests.follow(
            e.helpRequestId,
            eventIdOf(e, m.eventId),
            HelpRequestStatus.HELP_REQUEST_STATUS_REJECTED,
            e.reason,
          );
          break;
        }
        case v.markedDuplicate: {
          const e = HelpRequestMarkedDuplicate.decode(m.data);
          await requests.follow(
            e.helpRequestId,
            eventIdOf(e, m.eventId),
            HelpRequestStatus.HELP_REQUEST_STATUS_DUPLICATE,
            `duplicate of ${e.duplicateOfHelpRequestId}`,
          );
          break;
        }
        case v.unreachable: {
          const e = HelpRequestUnreachable.decode(m.data);
          await requests.follow(
            e.helpRequestId,
            eventIdOf(e, m.eventId),
            HelpRequestStatus.HELP_REQUEST_STATUS_UNREACHABLE,
            `not reached after ${e.attempts} call attempts`,
          );
          break;
        }
      }
    },
  });
}

const FOLLOWS: Partial<Record<Coverage, HelpRequestStatus>> = {
  [Coverage.COVERAGE_PARTIALLY_MATCHED]: HelpRequestStatus.HELP_REQUEST_STATUS_PARTIALLY_MATCHED,
  [Coverage.COVERAGE_MATCHED]: HelpRequestStatus.HELP_REQUEST_STATUS_MATCHED,
  [Coverage.COVERAGE_FULFILLED]: HelpRequestStatus.HELP_REQUEST_STATUS_FULFILLED,
};

/** Intake follows matching: accepted proposals make a request (partially) matched, deliveries fulfilled. */
async function followMatching(bus: Bus, requests: HelpRequests): Promise<void> {
  await bus.consume({
    from: 'matching',
    durable: 'intake-matching-coverage',
    subjects: [SUBJECTS.matching.coverageChanged],
    handler: async (m) => {
      const e = HelpRequestCoverageChanged.decode(m.data);
      const to = FOLLOWS[e.coverage];
      if (to === undefined) return;
      await requests.follow(
        e.helpRequestId,
        eventIdOf(e, m.eventId),
        to,
        `${e.needsCovered} of ${e.needsTotal} needs covered`,
      );
    },
  });
}

/** Intake's consumers: the request's status follows verification's outcome and matching's coverage. */
export async function consume(bus: Bus, requests: HelpRequests): Promise<void> {
  await followVerification(bus, requests);
  await followMatching(bus, requests);
}
