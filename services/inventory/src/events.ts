import { SUBJECTS } from '@nuanyang/bus';
import {
  OfferRegistered,
  ReservationCommitted,
  ReservationCreated,
  ReservationExpired,
  ReservationReleased,
  StockChanged,
} from '@nuanyang/proto/nuanyang/inventory/v1/events';
import type { Offer, StockLot } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import type { EventDraft } from '@nuanyang/store';
import type { Actor, LotState } from './domain/ledger';
import type { ReservationState } from './domain/reservations';

type Stamp = { eventId: string; occurredAt: Date };

const metaOf = (aggregateId: string, aggregateVersion: number, stamp: Stamp, actor: Actor) => ({
  ...stamp,
  aggregateId,
  aggregateVersion,
  actorOrganisationId: actor.organisationId,
  actorUserId: actor.userId,
});

/** One per ledger entry, with the lot after it. */
export function stockChanged(s: LotState, actor: Actor): EventDraft {
  return {
    subject: SUBJECTS.inventory.stockChanged,
    encode: (m) =>
      StockChanged.encode({
        meta: metaOf(s.lot.id, s.lot.version, m, actor),
        lot: s.lot,
        entry: s.entry,
      }).finish(),
  };
}

export function offerRegistered(offer: Offer, lots: StockLot[], actor: Actor): EventDraft {
  return {
    subject: SUBJECTS.inventory.offerRegistered,
    encode: (m) => OfferRegistered.encode({ meta: metaOf(offer.id, 1, m, actor), offer, lots }).finish(),
  };
}

/** What a reservation reaching `s.phase` tells the rest of the platform; a refused one tells nothing. */
export function reservationEvents(s: ReservationState, actor: Actor): EventDraft[] {
  const r = s.reservation;
  const meta = (m: Stamp) => metaOf(r.id, r.version, m, actor);
  const inv = SUBJECTS.inventory;
  switch (s.phase) {
    case 'active':
      return [
        {
          subject: inv.reservationCreated,
          encode: (m) => ReservationCreated.encode({ meta: meta(m), reservation: r }).finish(),
        },
      ];
    case 'committed':
      return [
        {
          subject: inv.reservationCommitted,
          encode: (m) => ReservationCommitted.encode({ meta: meta(m), reservation: r }).finish(),
        },
      ];
    case 'released':
      return [
        {
          subject: inv.reservationReleased,
          encode: (m) =>
            ReservationReleased.encode({ meta: meta(m), reservation: r, reason: r.releaseReason }).finish(),
        },
      ];
    case 'expired':
      return [
        {
          subject: inv.reservationExpired,
          encode: (m) => ReservationExpired.encode({ meta: meta(m), reservation: r }).finish(),
        },
      ];
    default:
      return [];
  }
}
