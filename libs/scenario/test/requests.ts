import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import type { PlannedRequest } from '../src';

/** Needs and a planned request for the tables of cases. */
export const food = { category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD, itemName: '方便面', unit: 'box' };
export const rice = { category: ItemCategory.ITEM_CATEGORY_STAPLE_FOOD, itemName: '大米', unit: 'bag' };
export const insulin = { category: ItemCategory.ITEM_CATEGORY_MEDICINE, itemName: '胰岛素', unit: 'box' };

export function request(key: string, overrides: Partial<PlannedRequest>): PlannedRequest {
  return {
    key,
    district: 'yanta',
    community: '丈八街道',
    coordinates: { latitude: 34.2, longitude: 108.9 },
    needs: [{ ...food, amount: 10 }],
    urgency: Urgency.URGENCY_HIGH,
    peopleAffected: 2,
    partner: 0,
    verification: 'verified',
    delivery: 'delivered',
    ...overrides,
  };
}
