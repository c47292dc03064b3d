import * as inventory from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import type { ServiceRoutes } from './route';

const READERS = ['operator', 'supplier', 'partner', 'viewer'] as const;

export const inventoryRoutes: ServiceRoutes = {
  service: 'inventory',
  protoPackage: 'nuanyang.inventory.v1',
  codecs: inventory,
  tag: 'stock',
  routes: [
    {
      method: 'POST',
      url: '/offers',
      rpc: 'RegisterOffer',
      summary: "Register a donor's offer",
      description: 'Each line becomes one stock lot. Idempotent by idempotencyKey per organisation.',
      roles: ['supplier', 'operator'],
      required: ['idempotencyKey', 'lines'],
      creates: true,
    },
    {
      method: 'GET',
      url: '/stock-lots',
      rpc: 'ListStock',
      summary: 'List stock lots, first expiry first',
      roles: READERS,
    },
    {
      method: 'GET',
      url: '/stock-lots/:id',
      rpc: 'GetLot',
      summary: 'Get a stock lot, with its ledger when includeLedger=true',
      roles: READERS,
    },
    {
      method: 'POST',
      url: '/stock-lots/:lotId/adjustments',
      rpc: 'AdjustStock',
      summary: "Correct a lot's count or record a loss",
      description: 'Audited in the ledger; 409 when it would make available negative.',
      roles: ['operator', 'supplier'],
      required: ['idempotencyKey', 'delta', 'reason'],
    },
    {
      method: 'GET',
      url: '/reservations/:reservationId',
      rpc: 'GetReservation',
      summary: 'Get a stock reservation',
      description: 'Reservations are made, committed and released by matching, not through the API.',
      roles: ['operator', 'supplier'],
    },
  ],
};
