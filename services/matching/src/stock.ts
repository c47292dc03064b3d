import { status } from '@grpc/grpc-js';
import type { PromiseClient } from '@nuanyang/grpc-kit';
import type { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import type {
  InventoryServiceClient,
  Reservation,
  StockLot,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import type { FreeLot } from './domain/cases';

/** Matching's view of inventory: free lots to plan with, and the reservation calls. */
export class Stock {
  constructor(
    private readonly inventory: PromiseClient<InventoryServiceClient>,
    private readonly reservationTtlMs: number,
  ) {}

  /** Every lot with available units, of one category or of all. */
  async freeLots(category?: ItemCategory): Promise<FreeLot[]> {
    const lots: FreeLot[] = [];
    let pageToken = '';
    do {
      const res = await this.inventory.listStock({
        page: { pageSize: 200, pageToken },
        category: category ?? 0,
        district: '',
        expiringBefore: undefined,
        availableOnly: true,
        donorOrganisationId: '',
      });
      lots.push(...res.lots.filter((l) => l.available > 0).map(toFreeLot));
      pageToken = res.page?.nextPageToken ?? '';
    } while (pageToken !== '');
    return lots;
  }

  /** Reserves the lines; null when stock ran out meanwhile (FAILED_PRECONDITION), so the caller plans again. */
  async reserve(
    id: string,
    helpRequestId: string,
    lines: { lotId: string; quantity: number }[],
  ): Promise<Reservation | null> {
    try {
      const res = await this.inventory.reserve({
        reservationId: id,
        lines,
        matchProposalId: id,
        helpRequestId,
        ttl: { seconds: Math.round(this.reservationTtlMs / 1000), nanos: 0 },
      });
      return res.reservation ?? null;
    } catch (err) {
      if ((err as { code?: status }).code === status.FAILED_PRECONDITION) return null;
      throw err;
    }
  }

  async commit(id: string): Promise<Reservation | undefined> {
    return (await this.inventory.commitReservation({ reservationId: id })).reservation;
  }

  async release(id: string, reason: string): Promise<void> {
    await this.inventory.releaseReservation({ reservationId: id, reason });
  }
}

function toFreeLot(l: StockLot): FreeLot {
  return {
    id: l.id,
    category: l.category,
    unit: l.unit,
    available: l.available,
    expiresAt: l.expiresAt ? new Date(l.expiresAt).getTime() : undefined,
    place: {
      district: l.location?.district ?? '',
      community: l.location?.community ?? '',
      coordinates: l.location?.coordinates,
    },
    supplierId: l.donorOrganisationId,
    line: {
      lotId: l.id,
      unit: l.unit,
      itemName: l.itemName,
      unitValue: l.unitValue,
      expiresAt: l.expiresAt,
      pickupLocation: l.location,
    },
  };
}
