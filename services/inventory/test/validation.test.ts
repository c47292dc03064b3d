import { InvalidArgumentError } from '@nuanyang/grpc-kit';
import { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  AdjustmentReason,
  AdjustStockRequest,
  RegisterOfferRequest,
  ReserveRequest,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { validateAdjust, validateRegisterOffer, validateReserve } from '../src/domain/validation';

const now = new Date('2021-12-28T17:51:00Z');
const later = new Date('2022-06-30T00:00:00Z');

const offer = (o: Partial<RegisterOfferRequest> = {}) =>
  RegisterOfferRequest.fromPartial({
    idempotencyKey: 'offer-0001',
    lines: [
      {
        category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
        itemName: '方便面',
        quantity: { amount: 200, unit: 'box' },
        unitValue: { currencyCode: 'CNY', minorUnits: 4500 },
        expiresAt: later,
      },
    ],
    pickupLocation: { district: 'yanta', community: '小寨', address: '长安中路 1 号' },
    pickupContact: { name: '李经理', phone: '13912345678' },
    ...o,
  });
const line = (o: object) => ({ ...offer().lines[0]!, ...o });

describe('validateRegisterOffer', () => {
  it('accepts a valid offer, with or without value and expiry', () => {
    expect(validateRegisterOffer(offer(), now)).toEqual([]);
    expect(
      validateRegisterOffer(offer({ lines: [line({ unitValue: undefined, expiresAt: undefined })] }), now),
    ).toEqual([]);
    expect(
      validateRegisterOffer(offer({ pickupLocation: undefined, warehouseId: 'wh-qujiang-1' }), now),
    ).toEqual([]);
  });

  it.each([
    { name: 'no lines', o: { lines: [] }, fields: ['lines'] },
    { name: 'a key too long', o: { idempotencyKey: 'k'.repeat(129) }, fields: ['idempotency_key'] },
    { name: 'an empty key', o: { idempotencyKey: '' }, fields: ['idempotency_key'] },
    {
      name: 'quantity 0',
      o: { lines: [line({ quantity: { amount: 0, unit: 'box' } })] },
      fields: ['lines[0].quantity.amount'],
    },
    {
      name: 'a fractional quantity',
      o: { lines: [line({ quantity: { amount: 1.5, unit: 'kg' } })] },
      fields: ['lines[0].quantity.amount'],
    },
    { name: 'no quantity', o: { lines: [line({ quantity: undefined })] }, fields: ['lines[0].quantity'] },
    {
      name: 'no unit',
      o: { lines: [line({ quantity: { amount: 1, unit: ' ' } })] },
      fields: ['lines[0].quantity.unit'],
    },
    { name: 'unknown category', o: { lines: [line({ category: 0 })] }, fields: ['lines[0].category'] },
    {
      name: 'a service category',
      o: { lines: [line({ category: ItemCategory.ITEM_CATEGORY_TRANSPORT_SERVICE })] },
      fields: ['lines[0].category'],
    },
    { name: 'no item name', o: { lines: [line({ itemName: '' })] }, fields: ['lines[0].item_name'] },
    {
      name: 'a negative value',
      o: { lines: [line({ unitValue: { currencyCode: 'CNY', minorUnits: -1 } })] },
      fields: ['lines[0].unit_value.minor_units'],
    },
    {
      name: 'a value in another currency',
      o: { lines: [line({ unitValue: { currencyCode: 'USD', minorUnits: 100 } })] },
      fields: ['lines[0].unit_value.currency_code'],
    },
    { name: 'expiry in the past', o: { lines: [line({ expiresAt: now })] }, fields: ['lines[0].expires_at'] },
    {
      name: 'no location and no warehouse',
      o: { pickupLocation: undefined },
      fields: ['pickup_location'],
    },
    {
      name: 'an unknown district',
      o: { pickupLocation: { district: 'atlantis', community: '', address: '', coordinates: undefined } },
      fields: ['pickup_location.district'],
    },
    {
      name: 'a bad contact phone',
      o: { pickupContact: { name: 'x', phone: '12345' } },
      fields: ['pickup_contact.phone'],
    },
    { name: 'a bad warehouse id', o: { warehouseId: 'wh 1' }, fields: ['warehouse_id'] },
    {
      name: 'several problems, each named',
      o: { lines: [line({ quantity: { amount: -3, unit: 'box' } }), line({ category: 0, expiresAt: now })] },
      fields: ['lines[0].quantity.amount', 'lines[1].category', 'lines[1].expires_at'],
    },
  ] as { name: string; o: Partial<RegisterOfferRequest>; fields: string[] }[])(
    '$name → $fields',
    ({ o, fields }) => {
      expect(validateRegisterOffer(offer(o), now).map((v) => v.field)).toEqual(fields);
    },
  );
});

describe('validateAdjust', () => {
  const adj = (o: Partial<AdjustStockRequest> = {}) =>
    AdjustStockRequest.fromPartial({
      lotId: 'of-1-l1',
      idempotencyKey: 'adj-1',
      delta: -3,
      reason: AdjustmentReason.ADJUSTMENT_REASON_DAMAGED,
      ...o,
    });
  it.each([
    { name: 'a loss', o: {}, fields: [] },
    {
      name: 'a recount with a note',
      o: { delta: 2, reason: AdjustmentReason.ADJUSTMENT_REASON_COUNT_CORRECTION, note: 'recounted' },
      fields: [],
    },
    {
      name: 'a recount without a note',
      o: { delta: 2, reason: AdjustmentReason.ADJUSTMENT_REASON_COUNT_CORRECTION },
      fields: ['note'],
    },
    { name: 'lost without a note', o: { reason: AdjustmentReason.ADJUSTMENT_REASON_LOST }, fields: ['note'] },
    { name: 'delta 0', o: { delta: 0 }, fields: ['delta'] },
    { name: 'no reason', o: { reason: AdjustmentReason.ADJUSTMENT_REASON_UNSPECIFIED }, fields: ['reason'] },
    { name: 'no lot, no key', o: { lotId: '', idempotencyKey: '' }, fields: ['lot_id', 'idempotency_key'] },
    { name: 'a note too long', o: { note: 'x'.repeat(501) }, fields: ['note'] },
  ] as { name: string; o: Partial<AdjustStockRequest>; fields: string[] }[])(
    '$name → $fields',
    ({ o, fields }) => {
      expect(validateAdjust(adj(o)).map((v) => v.field)).toEqual(fields);
    },
  );
});

describe('validateReserve', () => {
  const policy = { defaultMs: 30 * 60_000, maxMs: 3600_000 };
  const res = (o: Partial<ReserveRequest> = {}) =>
    ReserveRequest.fromPartial({
      reservationId: 'mp-1',
      lines: [
        { lotId: 'of-1-l1', quantity: 3 },
        { lotId: 'of-2-l1', quantity: 1 },
      ],
      ...o,
    });
  const fields = (r: ReserveRequest) => {
    try {
      validateReserve(r, policy);
      return [];
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidArgumentError);
      return (e as InvalidArgumentError).violations.map((v) => v.field);
    }
  };

  it('returns the ttl it will hold for: the default, the one asked, or the maximum', () => {
    expect(validateReserve(res(), policy)).toBe(30 * 60_000);
    expect(validateReserve(res({ ttl: { seconds: 90, nanos: 500_000_000 } }), policy)).toBe(90_500);
    expect(validateReserve(res({ ttl: { seconds: 86_400, nanos: 0 } }), policy)).toBe(3600_000);
  });

  it.each([
    { name: 'no id', o: { reservationId: '' }, want: ['reservation_id'] },
    { name: 'an id with spaces', o: { reservationId: 'mp 1' }, want: ['reservation_id'] },
    { name: 'no lines', o: { lines: [] }, want: ['lines'] },
    {
      name: 'a lot twice',
      o: {
        lines: [
          { lotId: 'a', quantity: 1 },
          { lotId: 'a', quantity: 2 },
        ],
      },
      want: ['lines[1].lot_id'],
    },
    { name: 'quantity 0', o: { lines: [{ lotId: 'a', quantity: 0 }] }, want: ['lines[0].quantity'] },
    { name: 'no lot id', o: { lines: [{ lotId: '', quantity: 1 }] }, want: ['lines[0].lot_id'] },
    { name: 'a ttl under a second', o: { ttl: { seconds: 0, nanos: 5 } }, want: ['ttl'] },
    { name: 'a negative ttl', o: { ttl: { seconds: -5, nanos: 0 } }, want: ['ttl'] },
  ] as { name: string; o: Partial<ReserveRequest>; want: string[] }[])('$name → $want', ({ o, want }) => {
    expect(fields(res(o))).toEqual(want);
  });
});
