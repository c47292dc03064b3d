/**
 * The event catalogue: subject of every domain event, `nuanyang.<service>.<entity>.<event>`. The payload of
 * each is the message of the same name in `proto/nuanyang/<service>/v1/events.proto`.
 */
export const SUBJECTS = {
  intake: {
    received: 'nuanyang.intake.request.received',
    cancelled: 'nuanyang.intake.request.cancelled',
    statusChanged: 'nuanyang.intake.request.status_changed',
  },
  verification: {
    taskOpened: 'nuanyang.verification.task.opened',
    taskClaimed: 'nuanyang.verification.task.claimed',
    taskReleased: 'nuanyang.verification.task.released',
    callAttemptFailed: 'nuanyang.verification.task.call_failed',
    verified: 'nuanyang.verification.request.verified',
    rejected: 'nuanyang.verification.request.rejected',
    markedDuplicate: 'nuanyang.verification.request.duplicate',
    unreachable: 'nuanyang.verification.request.unreachable',
  },
  inventory: {
    offerRegistered: 'nuanyang.inventory.offer.registered',
    stockChanged: 'nuanyang.inventory.lot.stock_changed',
    reservationCreated: 'nuanyang.inventory.reservation.created',
    reservationCommitted: 'nuanyang.inventory.reservation.committed',
    reservationReleased: 'nuanyang.inventory.reservation.released',
    reservationExpired: 'nuanyang.inventory.reservation.expired',
  },
  matching: {
    proposed: 'nuanyang.matching.proposal.proposed',
    accepted: 'nuanyang.matching.proposal.accepted',
    rejected: 'nuanyang.matching.proposal.rejected',
    fulfilled: 'nuanyang.matching.proposal.fulfilled',
    unmatched: 'nuanyang.matching.need.unmatched',
    coverageChanged: 'nuanyang.matching.request.coverage_changed',
  },
  volunteer: {
    organisationRegistered: 'nuanyang.volunteer.organisation.registered',
    groupCreated: 'nuanyang.volunteer.group.created',
    volunteerRegistered: 'nuanyang.volunteer.volunteer.registered',
    availabilityChanged: 'nuanyang.volunteer.volunteer.availability_changed',
    taskCreated: 'nuanyang.volunteer.task.created',
    taskOffered: 'nuanyang.volunteer.task.offered',
    taskAccepted: 'nuanyang.volunteer.task.accepted',
    taskDeclined: 'nuanyang.volunteer.task.declined',
    taskTimedOut: 'nuanyang.volunteer.task.timed_out',
    taskPickedUp: 'nuanyang.volunteer.task.picked_up',
    taskDelivered: 'nuanyang.volunteer.task.delivered',
    taskFailed: 'nuanyang.volunteer.task.failed',
    taskCancelled: 'nuanyang.volunteer.task.cancelled',
    hoursRecorded: 'nuanyang.volunteer.hours.recorded',
  },
  reporting: {
    summaryUpdated: 'nuanyang.reporting.summary.updated',
  },
} as const;
