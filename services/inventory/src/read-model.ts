import type { Bus } from '@nuanyang/bus';
import type { Logger } from '@nuanyang/logger';
import type { ListStockRequest, StockLot } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { type EventStore, Projection, type ReadDocument, readModel } from '@nuanyang/store';
import type { Connection, Model } from 'mongoose';
import { isLive, type LotState } from './domain/ledger';
import { isFinal, type Phase, type ReservationState } from './domain/reservations';

/** What ListStock reads: the lots matching a request, first expiry first. */
export interface LotListing {
  list(req: ListStockRequest, offset: number, limit: number, now: Date): Promise<StockLot[]>;
}

/** What the sweeper reads: reservations it has work with (see domain isDue). */
export interface OpenReservations {
  due(now: Date, staleBefore: Date, limit: number): Promise<string[]>;
}

/** A lot as ListStock queries it: every filtered or sorted field at the top level. */
interface LotDocument extends ReadDocument {
  category: number;
  district: string;
  donorOrganisationId: string;
  available: number;
  expirySortKey: Date;
  lot: StockLot;
}

const LOT_ORDER = { expirySortKey: 1, _id: 1 } as const;

/**
 * The lots' read model, `stock_lots_live`: lots with units available or held (live work: what matching
 * plans with and ListStock lists). A lot with neither leaves it (an adjustment that adds units brings it
 * back); its ledger stays in the stream, read by GetLot.
 */
export class LotViews implements LotListing {
  readonly projection: Projection<LotState>;
  private readonly live: Model<ReadDocument>;

  constructor(connection: Connection, bus: Bus, store: EventStore<LotState>, log: Logger) {
    this.live = readModel(connection, 'stock_lots_live', [
      LOT_ORDER,
      { category: 1, expirySortKey: 1 },
      { district: 1, expirySortKey: 1 },
      { donorOrganisationId: 1, expirySortKey: 1 },
    ]);
    this.projection = new Projection<LotState>({
      bus,
      store,
      service: 'inventory',
      aggregate: 'stock_lot',
      durable: 'inventory-stock-lot-projector',
      live: this.live,
      document: ({ state }) => ({
        fields: {
          category: state.lot.category,
          district: state.lot.location?.district ?? '',
          donorOrganisationId: state.lot.donorOrganisationId,
          available: state.lot.available,
          expirySortKey: state.expirySortKey,
          lot: state.lot,
        },
        final: !isLive(state.lot),
      }),
      log,
    });
  }

  async list(req: ListStockRequest, offset: number, limit: number, now: Date): Promise<StockLot[]> {
    const query: Record<string, unknown> = {};
    if (req.category) query.category = req.category;
    if (req.district) query.district = req.district;
    if (req.donorOrganisationId) query.donorOrganisationId = req.donorOrganisationId;
    const expiry: Record<string, Date> = {};
    // Lots without expiry carry a far-future sort key, so "expiring before" leaves them out.
    if (req.expiringBefore) expiry.$lt = new Date(req.expiringBefore);
    if (req.availableOnly) {
      query.available = { $gt: 0 };
      expiry.$gt = now;
    }
    if (Object.keys(expiry).length > 0) query.expirySortKey = expiry;
    const docs = await this.live
      .find(query)
      .sort(LOT_ORDER)
      .skip(offset)
      .limit(limit)
      .lean<LotDocument[]>()
      .exec();
    return docs.map((d) => d.lot);
  }
}

/** The phases the sweeper finishes once they are stale. */
const UNFINISHED: Phase[] = ['pending', 'failing', 'committing', 'releasing', 'expiring'];

/**
 * Open reservations, `reservations_open`: every reservation not final (live work: what the sweeper reads).
 * Finished ones leave; GetReservation reads the stream by id.
 */
export class ReservationViews implements OpenReservations {
  readonly projection: Projection<ReservationState>;
  private readonly open: Model<ReadDocument>;

  constructor(connection: Connection, bus: Bus, store: EventStore<ReservationState>, log: Logger) {
    this.open = readModel(connection, 'reservations_open', [{ phase: 1, expiresAt: 1 }, { updatedAt: 1 }]);
    this.projection = new Projection<ReservationState>({
      bus,
      store,
      service: 'inventory',
      aggregate: 'reservation',
      durable: 'inventory-reservation-projector',
      live: this.open,
      document: ({ state }) => ({
        fields: {
          phase: state.phase,
          expiresAt: state.reservation.expiresAt ? new Date(state.reservation.expiresAt) : null,
          updatedAt: new Date(state.updatedAt),
        },
        final: isFinal(state.phase),
      }),
      log,
    });
  }

  async due(now: Date, staleBefore: Date, limit: number): Promise<string[]> {
    const docs = await this.open
      .find({
        $or: [
          { phase: 'active', expiresAt: { $lte: now } },
          { phase: { $in: UNFINISHED }, updatedAt: { $lte: staleBefore } },
        ],
      })
      .sort({ updatedAt: 1, _id: 1 })
      .limit(limit)
      .select({ _id: 1 })
      .lean<{ _id: string }[]>()
      .exec();
    return docs.map((d) => d._id);
  }
}
