import {
  checkText,
  isKnownDistrict,
  isKnownEnumValue,
  normalisePhone,
  type Violation,
} from '@nuanyang/common';
import { InvalidArgumentError } from '@nuanyang/grpc-kit';
import { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  AdjustmentReason,
  type AdjustStockRequest,
  type RegisterOfferRequest,
  type ReserveRequest,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';

export const LIMITS = {
  lines: 50,
  /** Units of one lot or one reservation line, and of one adjustment. */
  quantity: 1_000_000,
  itemName: 100,
  unit: 20,
  lineNote: 500,
  note: 1_000,
  /** 10 million yuan per unit, in fen. */
  unitValue: 1_000_000_000,
  community: 100,
  address: 200,
  contactName: 50,
  warehouseId: 64,
  organisationId: 128,
  reason: 500,
} as const;

/** Idempotency keys and reservation ids: 1-128 visible ASCII characters. */
const KEY = /^[\x21-\x7e]{1,128}$/;
const KEY_RULE = 'must be 1 to 128 visible ASCII characters (no spaces)';

/** Supplies (1-99) are held in stock; services (100+) are delivered by volunteers, never stocked. */
export function isSupplyCategory(c: ItemCategory): boolean {
  return isKnownEnumValue(ItemCategory, c) && c < 100;
}

function wholeInRange(
  v: Violation[],
  field: string,
  value: number,
  min: number,
  max: number,
  what = `a whole number from ${min} to ${max}`,
) {
  if (!Number.isInteger(value) || value < min || value > max)
    v.push({ field, description: `must be ${what}` });
}

/** Every field-level problem of a RegisterOffer, in field order; empty when it is valid. */
export function validateRegisterOffer(req: RegisterOfferRequest, now: Date): Violation[] {
  const v: Violation[] = [];
  const add = (field: string, description: string) => v.push({ field, description });
  if (!KEY.test(req.idempotencyKey)) add('idempotency_key', KEY_RULE);
  checkText(v, 'donor_organisation_id', req.donorOrganisationId, LIMITS.organisationId, false);
  if (req.lines.length === 0) add('lines', 'at least one line is required');
  if (req.lines.length > LIMITS.lines) add('lines', `at most ${LIMITS.lines} lines`);
  req.lines.forEach((line, i) => {
    const f = `lines[${i}]`;
    if (!isSupplyCategory(line.category)) {
      add(`${f}.category`, 'must be a known supply category (services are not held in stock)');
    }
    checkText(v, `${f}.item_name`, line.itemName, LIMITS.itemName, true);
    if (!line.quantity) add(`${f}.quantity`, 'is required');
    else {
      wholeInRange(v, `${f}.quantity.amount`, line.quantity.amount, 1, LIMITS.quantity);
      checkText(v, `${f}.quantity.unit`, line.quantity.unit, LIMITS.unit, true);
    }
    if (line.unitValue) {
      if (line.unitValue.currencyCode !== 'CNY') add(`${f}.unit_value.currency_code`, 'must be CNY');
      wholeInRange(
        v,
        `${f}.unit_value.minor_units`,
        line.unitValue.minorUnits,
        0,
        LIMITS.unitValue,
        `a whole number of fen from 0 to ${LIMITS.unitValue}`,
      );
    }
    if (line.expiresAt && new Date(line.expiresAt).getTime() <= now.getTime()) {
      add(`${f}.expires_at`, 'must be in the future');
    }
    checkText(v, `${f}.note`, line.note, LIMITS.lineNote, false);
  });
  const loc = req.pickupLocation;
  if (!loc) {
    if (req.warehouseId === '') add('pickup_location', 'is required unless warehouse_id is set');
  } else {
    if (!isKnownDistrict(loc.district)) add('pickup_location.district', `unknown district "${loc.district}"`);
    checkText(v, 'pickup_location.community', loc.community, LIMITS.community, false);
    checkText(v, 'pickup_location.address', loc.address, LIMITS.address, false);
    const c = loc.coordinates;
    if (c && !(Math.abs(c.latitude) <= 90 && Math.abs(c.longitude) <= 180)) {
      add('pickup_location.coordinates', 'latitude must be within ±90 and longitude within ±180');
    }
  }
  if (req.warehouseId !== '' && !/^[A-Za-z0-9_.:-]{1,64}$/.test(req.warehouseId)) {
    add('warehouse_id', `must be at most ${LIMITS.warehouseId} letters, digits, _ . : -`);
  }
  if (req.pickupContact) {
    checkText(v, 'pickup_contact.name', req.pickupContact.name, LIMITS.contactName, false);
    if (req.pickupContact.phone !== '' && normalisePhone(req.pickupContact.phone) === null) {
      add(
        'pickup_contact.phone',
        'must be a mainland mobile (e.g. 13912345678) or a landline with area code',
      );
    }
  }
  checkText(v, 'note', req.note, LIMITS.note, false);
  return v;
}

/** Reasons that need a note saying what happened. */
const NOTE_REQUIRED = new Set([
  AdjustmentReason.ADJUSTMENT_REASON_COUNT_CORRECTION,
  AdjustmentReason.ADJUSTMENT_REASON_LOST,
]);

export function validateAdjust(req: AdjustStockRequest): Violation[] {
  const v: Violation[] = [];
  if (req.lotId.trim() === '') v.push({ field: 'lot_id', description: 'is required' });
  if (!KEY.test(req.idempotencyKey)) v.push({ field: 'idempotency_key', description: KEY_RULE });
  if (!Number.isInteger(req.delta) || req.delta === 0 || Math.abs(req.delta) > LIMITS.quantity) {
    v.push({ field: 'delta', description: `must be a whole number, not 0, within ±${LIMITS.quantity}` });
  }
  if (!isKnownEnumValue(AdjustmentReason, req.reason)) {
    v.push({ field: 'reason', description: 'must be a known adjustment reason' });
  }
  checkText(v, 'note', req.note, LIMITS.reason, NOTE_REQUIRED.has(req.reason));
  return v;
}

export interface TtlPolicy {
  defaultMs: number;
  maxMs: number;
}

export const MIN_TTL_MS = 1_000;

/**
 * Checks a Reserve request and returns how long it will hold once active: the request's ttl (at least
 * 1 s) capped by the service's maximum, or the default. Throws INVALID_ARGUMENT naming every bad field.
 */
export function validateReserve(req: ReserveRequest, ttl: TtlPolicy): number {
  const v: Violation[] = [];
  if (!KEY.test(req.reservationId)) v.push({ field: 'reservation_id', description: KEY_RULE });
  if (req.lines.length === 0) v.push({ field: 'lines', description: 'at least one line is required' });
  if (req.lines.length > LIMITS.lines)
    v.push({ field: 'lines', description: `at most ${LIMITS.lines} lines` });
  const seen = new Set<string>();
  req.lines.forEach((line, i) => {
    if (line.lotId.trim() === '') v.push({ field: `lines[${i}].lot_id`, description: 'is required' });
    else if (seen.has(line.lotId)) {
      v.push({ field: `lines[${i}].lot_id`, description: 'each lot may appear only once' });
    }
    seen.add(line.lotId);
    wholeInRange(v, `lines[${i}].quantity`, line.quantity, 1, LIMITS.quantity);
  });
  checkText(v, 'match_proposal_id', req.matchProposalId, 128, false);
  checkText(v, 'help_request_id', req.helpRequestId, 128, false);
  let ttlMs = Math.min(ttl.defaultMs, ttl.maxMs);
  if (req.ttl) {
    const asked = req.ttl.seconds * 1000 + Math.floor(req.ttl.nanos / 1e6);
    if (!(asked >= MIN_TTL_MS)) v.push({ field: 'ttl', description: 'must be at least 1 second' });
    else ttlMs = Math.min(asked, ttl.maxMs);
  }
  if (v.length > 0) throw new InvalidArgumentError(v);
  return ttlMs;
}
