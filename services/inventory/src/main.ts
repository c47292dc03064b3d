import { InventoryServiceService } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { every, runService } from '@nuanyang/service-kit';
import { JetStreamStore } from '@nuanyang/store';
import { loadInventoryConfig } from './config';
import type { LotState } from './domain/ledger';
import type { ReservationState } from './domain/reservations';
import { inventoryHandlers } from './handlers';
import { LotViews, ReservationViews } from './read-model';
import { Reservations, type StepHook } from './reservations';
import { type OfferState, Stock, type WarehouseState } from './stock';

runService({
  name: 'inventory',
  loadConfig: loadInventoryConfig,
  streams: ['inventory'],
  setup: ({ config, mongo, bus, log }) => {
    const store = <S extends object>(aggregate: string) =>
      new JetStreamStore<S>(bus, { service: 'inventory', aggregate });
    const lots = store<LotState>('stock_lot');
    const reservationStore = store<ReservationState>('reservation');
    const lotViews = new LotViews(mongo, bus, lots, log);
    const reservationViews = new ReservationViews(mongo, bus, reservationStore, log);
    const stock = new Stock(
      { offers: store<OfferState>('offer'), lots, warehouses: store<WarehouseState>('warehouse') },
      lotViews,
    );
    const pauseAt = config.PAUSE_AT_STEP;
    const step: StepHook | undefined = pauseAt
      ? async (name) => {
          if (name !== pauseAt) return;
          log.warn({ step: name }, `paused at step ${name}`);
          await new Promise<never>(() => undefined);
        }
      : undefined;
    const reservations = new Reservations(
      reservationStore,
      stock,
      reservationViews,
      {
        ttl: { defaultMs: config.RESERVATION_TTL_MS, maxMs: config.RESERVATION_TTL_MAX_MS },
        staleAfterMs: config.STALE_AFTER_MS,
        concurrency: config.RESERVATION_CONCURRENCY,
      },
      log,
      step,
    );
    return {
      projections: [lotViews.projection, reservationViews.projection],
      background: [
        // Reservations past their expiry lapse, and those a crash left half done are finished (every replica
        // sweeps; every step is idempotent).
        every(
          'reservation sweeper',
          config.SWEEP_INTERVAL_MS,
          async () => {
            const { expired, finished } = await reservations.sweep();
            if (expired + finished > 0) log.info({ expired, finished }, 'reservation sweeper pass');
          },
          log,
          { startAfterInterval: true },
        ),
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
