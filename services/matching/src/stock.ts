import { status } from '@grpc/grpc-js';
import type { PromiseClient } from '@nuanyang/grpc-kit';
import type { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import type { InventoryServiceClient, StockLot } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import type { FreeLot } from './domain/cases';

/**
 * What matching asks of inventory. Every call is idempotent by the reservation id (inventory's contract), so
 * a step repeated after a crash neither reserves, commits nor releases twice.
 */
export interface StockPort {
  /** Every lot with available units, of one category or of all. */
  freeLots(category?: ItemCategory): Promise<FreeLot[]>;
  /** Reserves the lines under `id`; false when stock ran out meanwhile, so the caller plans again. */
  reserve(id: string, helpRequestId: string, lines: { lotId: string; quantity: number }[]): Promise<boolean>;
  /** Commits the reservation (again: unchanged); `lapsed` when it was released or expired. */
  commit(id: string): Promise<'committed' | 'lapsed'>;
  /** Returns the reserved stock (again: unchanged). */
  release(id: string, reason: string): Promise<void>;
}

/** Matching's view of inventory over gRPC. */
export class Stock implements StockPort {
  constructor(
    private readonly inventory: PromiseClient<InventoryServiceClient>,
    private readonly reservationTtlMs: number,
  ) {}

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

  async reserve(
    id: string,
    helpRequestId: string,
    lines: { lotId: string; quantity: number }[],
  ): Promise<boolean> {
    try {
      await this.inventory.reserve({
        reservationId: id,
        lines,
        matchProposalId: id,
        helpRequestId,
        ttl: { seconds: Math.round(this.reservationTtlMs / 1000), nanos: 0 },
      });
      return true;
    } catch (err) {
      if (codeOf(err) === status.FAILED_PRECONDITION) return false;
      throw err;
    }
  }

  async commit(id: string): Promise<'committed' | 'lapsed'> {
    try {
      await this.inventory.commitReservation({ reservationId: id });
      return 'committed';
    } catch (err) {
      if (codeOf(err) === status.FAILED_PRECONDITION) return 'lapsed';
      throw err;
    }
  }

  async release(id: string, reason: string): Promise<void> {
    await this.inventory.releaseReservation({ reservationId: id, reason });
  }
}

const codeOf = (err: unknown) => (err as { code?: status }).code;

/** A lot as the planner sees it. */
export function toFreeLot(l: StockLot): FreeLot {
  return {
    id: l.id,
    version: l.version,
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
