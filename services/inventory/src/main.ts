import { InventoryServiceService } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { runService } from '@nuanyang/service-kit';
import { KeyedAggregateStore } from '@nuanyang/store';
import { loadInventoryConfig } from './config';
import type { LotState } from './domain/ledger';
import type { ReservationState } from './domain/reservations';
import { inventoryHandlers } from './handlers';
import { Reservations } from './reservations';
import { type OfferState, Stock } from './stock';
import { startSweeper } from './sweeper';

runService({
  name: 'inventory',
  loadConfig: loadInventoryConfig,
  streams: ['inventory'],
  setup: ({ config, mongo, bus, log }) => {
    const offers = new KeyedAggregateStore<OfferState>(mongo, { name: 'offer', bus, log });
    const lots = new KeyedAggregateStore<LotState>(mongo, {
      name: 'stock_lot',
      bus,
      log,
      projectionIndexes: [
        { 'state.expirySortKey': 1 },
        { 'state.lot.category': 1, 'state.expirySortKey': 1 },
        { 'state.lot.location.district': 1, 'state.expirySortKey': 1 },
        { 'state.lot.donorOrganisationId': 1, 'state.expirySortKey': 1 },
        { 'state.lot.warehouseId': 1 },
      ],
    });
    const reservationStore = new KeyedAggregateStore<ReservationState>(mongo, {
      name: 'reservation',
      bus,
      log,
      projectionIndexes: [{ 'state.phase': 1, 'state.updatedAt': 1 }],
    });
    const stock = new Stock(offers, lots);
    const reservations = new Reservations(
      reservationStore,
      stock,
      {
        ttl: { defaultMs: config.RESERVATION_TTL_MS, maxMs: config.RESERVATION_TTL_MAX_MS },
        staleAfterMs: config.STALE_AFTER_MS,
        concurrency: config.RESERVATION_CONCURRENCY,
      },
      log,
    );
    return {
      stores: [offers, lots, reservationStore],
      background: [
        {
          name: 'reservation sweeper',
          start: () => startSweeper(reservations, log, config.SWEEP_INTERVAL_MS),
        },
      ],
      services: [
        {
          name: 'nuanyang.inventory.v1.InventoryService',
          protoFile: 'nuanyang/inventory/v1/inventory.proto',
          definition: InventoryServiceService,
          implementation: inventoryHandlers(stock, reservations, log),
        },
      ],
    };
  },
});
