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
import type { LotState } from './domain/ledger';
import type { ReservationState } from './domain/reservations';

// The store stamps each event's metadata (id, time, aggregate id and version, actor) as it appends.

/** One per ledger entry, with the lot after it. */
export function stockChanged(s: LotState): EventDraft {
  return {
    subject: SUBJECTS.inventory.stockChanged,
    encode: (meta) => StockChanged.encode({ meta, lot: s.lot, entry: s.entry }).finish(),
  };
}

export function offerRegistered(offer: Offer, lots: StockLot[]): EventDraft {
  return {
    subject: SUBJECTS.inventory.offerRegistered,
    encode: (meta) => OfferRegistered.encode({ meta, offer, lots }).finish(),
  };
}

/** What a reservation reaching `s.phase` tells the rest of the platform; a refused one tells nothing. */
export function reservationEvents(s: ReservationState): EventDraft[] {
  const reservation = s.reservation;
  const inv = SUBJECTS.inventory;
  switch (s.phase) {
    case 'active':
      return [
        {
          subject: inv.reservationCreated,
          encode: (meta) => ReservationCreated.encode({ meta, reservation }).finish(),
        },
      ];
    case 'committed':
      return [
        {
          subject: inv.reservationCommitted,
          encode: (meta) => ReservationCommitted.encode({ meta, reservation }).finish(),
        },
      ];
    case 'released':
      return [
        {
          subject: inv.reservationReleased,
          encode: (meta) =>
            ReservationReleased.encode({ meta, reservation, reason: reservation.releaseReason }).finish(),
        },
      ];
    case 'expired':
      return [
        {
          subject: inv.reservationExpired,
          encode: (meta) => ReservationExpired.encode({ meta, reservation }).finish(),
        },
      ];
    default:
      return [];
  }
}
