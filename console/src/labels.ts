import { DISTRICTS } from '@nuanyang/common/districts';
import { useTranslation } from 'react-i18next';
import { enumKey, type Location, PREFIX, type Quantity } from './api/types';

const byCode = new Map(DISTRICTS.map((d) => [d.code, d]));

/** Labels for enums, districts, places, quantities and times in the current language. */
export function useLabels() {
  const { t, i18n } = useTranslation();
  const en = i18n.language === 'en';
  const district = (code?: string) => {
    if (!code) return '—';
    const d = byCode.get(code);
    return d ? (en ? d.nameEn : d.nameZh) : code;
  };
  return {
    t,
    en,
    district,
    place: (l?: Location) => (l ? [district(l.district), l.community].filter(Boolean).join(' · ') : '—'),
    status: (v?: string) => t(`status.${enumKey(v, PREFIX.status)}`),
    urgency: (v?: string) => t(`urgency.${enumKey(v, PREFIX.urgency)}`),
    category: (v?: string) => t(`category.${enumKey(v, PREFIX.category)}`),
    channel: (v?: string) => t(`channel.${enumKey(v, PREFIX.channel)}`),
    vulnerable: (v?: string) => t(`vulnerable.${enumKey(v, PREFIX.vulnerable)}`),
    quantity: (q?: Quantity) => (q ? `${q.amount} ${q.unit}` : '—'),
    time: (iso?: string) =>
      iso
        ? new Date(iso).toLocaleString(en ? 'en-GB' : 'zh-CN', { dateStyle: 'short', timeStyle: 'short' })
        : '—',
  };
}

export const DISTRICT_CODES = DISTRICTS.map((d) => d.code);

/** Short keys of the enums a form offers (the protobuf names without prefix, lower case). */
export const URGENCIES = ['low', 'medium', 'high', 'critical'];
export const STATUSES = [
  'received',
  'verified',
  'rejected',
  'duplicate',
  'unreachable',
  'matched',
  'partially_matched',
  'fulfilled',
  'cancelled',
];
export const CATEGORIES = [
  'staple_food',
  'instant_food',
  'drinking_water',
  'infant_formula',
  'medicine',
  'medical_supplies',
  'protective_equipment',
  'hygiene',
  'disinfectant',
  'clothing_and_bedding',
  'shelter',
  'heating_and_fuel',
  'elderly_care',
  'other',
  'transport_service',
  'medical_escort',
  'counselling',
  'disinfection_service',
  'testing_support',
];
export const CHANNELS = ['hotline', 'wechat', 'partner_system', 'web_console', 'walk_in'];
export const VULNERABLE = [
  'elderly_living_alone',
  'children',
  'pregnant',
  'disabled',
  'chronically_ill',
  'infants',
  'stranded',
  'low_income',
];
