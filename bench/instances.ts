/**
 * Seeded matching instances shaped like the Xi'an relief action of December 2021 – January 2022: requests
 * from communities in the city's 17 districts, denser in the centre; donated stock held in a few dozen
 * warehouses and pickup points; the 14 supply categories of common.proto with one or two units each (24
 * groups); urgency weights on intake's priority scale; expiry dates spread over weeks for food and medicine;
 * stock for most but not all of the need (some categories short, some in surplus).
 */
import { type Place, type PlanLot, type PlanNeed, prng } from '@nuanyang/planner';

/** The benchmark's clock: every instance is planned "now", on 5 January 2022, 08:00 Xi'an time. */
export const NOW = Date.UTC(2022, 0, 5, 0, 0, 0);
const DAY = 86_400_000;

interface District {
  code: string;
  lat: number;
  lon: number;
  /** Radius (km) within which its communities lie. */
  radiusKm: number;
  /** Relative share of requests (population in the lockdown). */
  share: number;
}

/** Centres from libs/common/src/districts.ts (copied: the bench depends on the planner only). */
const DISTRICTS: District[] = [
  { code: 'xincheng', lat: 34.2662, lon: 108.9608, radiusKm: 3, share: 6 },
  { code: 'beilin', lat: 34.2567, lon: 108.934, radiusKm: 3, share: 6 },
  { code: 'lianhu', lat: 34.2651, lon: 108.944, radiusKm: 4, share: 7 },
  { code: 'baqiao', lat: 34.2727, lon: 109.0643, radiusKm: 8, share: 6 },
  { code: 'weiyang', lat: 34.2929, lon: 108.9469, radiusKm: 7, share: 9 },
  { code: 'yanta', lat: 34.2135, lon: 108.9487, radiusKm: 6, share: 12 },
  { code: 'yanliang', lat: 34.6622, lon: 109.2261, radiusKm: 10, share: 2 },
  { code: 'lintong', lat: 34.3672, lon: 109.2141, radiusKm: 12, share: 3 },
  { code: 'changan', lat: 34.1585, lon: 108.9071, radiusKm: 12, share: 9 },
  { code: 'gaoling', lat: 34.5349, lon: 109.0882, radiusKm: 8, share: 2 },
  { code: 'huyi', lat: 34.1086, lon: 108.6051, radiusKm: 12, share: 2 },
  { code: 'lantian', lat: 34.1513, lon: 109.3233, radiusKm: 15, share: 2 },
  { code: 'zhouzhi', lat: 34.1636, lon: 108.2222, radiusKm: 15, share: 2 },
  { code: 'chanba', lat: 34.3244, lon: 109.0303, radiusKm: 5, share: 4 },
  { code: 'gaoxin', lat: 34.1924, lon: 108.8829, radiusKm: 5, share: 10 },
  { code: 'jingkai', lat: 34.3361, lon: 108.9395, radiusKm: 5, share: 6 },
  { code: 'qujiang', lat: 34.1997, lon: 108.9866, radiusKm: 4, share: 5 },
];

interface Category {
  id: number;
  /** Relative share of need lines. */
  share: number;
  /** Units with their relative shares and the typical size of one need line in that unit. */
  units: { unit: string; share: number; typical: number }[];
  /** Shelf life range in days for donated lots; undefined for goods that keep. */
  shelfLifeDays?: [number, number];
}

/** The supply categories of common.proto (ItemCategory 1–13, 99). */
const CATEGORIES: Category[] = [
  {
    id: 1,
    share: 20,
    units: [
      { unit: 'kg', share: 3, typical: 10 },
      { unit: 'bag', share: 1, typical: 2 },
    ],
    shelfLifeDays: [5, 90],
  },
  {
    id: 2,
    share: 14,
    units: [
      { unit: 'box', share: 2, typical: 2 },
      { unit: 'pack', share: 1, typical: 12 },
    ],
    shelfLifeDays: [20, 180],
  },
  {
    id: 3,
    share: 8,
    units: [
      { unit: 'bottle', share: 2, typical: 24 },
      { unit: 'case', share: 1, typical: 2 },
    ],
    shelfLifeDays: [90, 365],
  },
  { id: 4, share: 5, units: [{ unit: 'can', share: 1, typical: 3 }], shelfLifeDays: [30, 300] },
  {
    id: 5,
    share: 12,
    units: [
      { unit: 'box', share: 3, typical: 2 },
      { unit: 'bottle', share: 1, typical: 1 },
    ],
    shelfLifeDays: [30, 365],
  },
  {
    id: 6,
    share: 5,
    units: [
      { unit: 'piece', share: 2, typical: 5 },
      { unit: 'box', share: 1, typical: 1 },
    ],
    shelfLifeDays: [60, 365],
  },
  {
    id: 7,
    share: 6,
    units: [
      { unit: 'piece', share: 2, typical: 20 },
      { unit: 'box', share: 1, typical: 1 },
    ],
  },
  {
    id: 8,
    share: 7,
    units: [
      { unit: 'pack', share: 2, typical: 4 },
      { unit: 'piece', share: 1, typical: 6 },
    ],
  },
  { id: 9, share: 4, units: [{ unit: 'bottle', share: 1, typical: 3 }], shelfLifeDays: [90, 365] },
  {
    id: 10,
    share: 4,
    units: [
      { unit: 'piece', share: 2, typical: 3 },
      { unit: 'set', share: 1, typical: 1 },
    ],
  },
  { id: 11, share: 1, units: [{ unit: 'piece', share: 1, typical: 1 }] },
  {
    id: 12,
    share: 4,
    units: [
      { unit: 'kg', share: 1, typical: 20 },
      { unit: 'piece', share: 1, typical: 1 },
    ],
  },
  {
    id: 13,
    share: 4,
    units: [
      { unit: 'pack', share: 2, typical: 3 },
      { unit: 'piece', share: 1, typical: 1 },
    ],
    shelfLifeDays: [30, 365],
  },
  { id: 99, share: 2, units: [{ unit: 'piece', share: 1, typical: 2 }] },
];

export interface Instance {
  name: string;
  seed: number;
  needs: PlanNeed[];
  lots: PlanLot[];
}

function pickWeighted<T>(rnd: () => number, items: readonly T[], weight: (t: T) => number): T {
  let total = 0;
  for (const it of items) total += weight(it);
  let r = rnd() * total;
  for (const it of items) {
    r -= weight(it);
    if (r < 0) return it;
  }
  return items[items.length - 1] as T;
}

/** A point up to `radiusKm` from (lat, lon), uniformly over the disc. */
function around(
  rnd: () => number,
  lat: number,
  lon: number,
  radiusKm: number,
): { latitude: number; longitude: number } {
  const r = radiusKm * Math.sqrt(rnd());
  const a = rnd() * 2 * Math.PI;
  const dLat = (r * Math.cos(a)) / 111.195;
  const dLon = (r * Math.sin(a)) / (111.195 * Math.cos((lat * Math.PI) / 180));
  return { latitude: lat + dLat, longitude: lon + dLon };
}

/** A quantity around `typical` (log-normal-ish, at least 1). */
function quantity(rnd: () => number, typical: number): number {
  const f = Math.exp((rnd() + rnd() + rnd() - 1.5) * 1.2);
  return Math.max(1, Math.round(typical * f));
}

interface Community {
  district: District;
  name: string;
  centre: { latitude: number; longitude: number };
}

/**
 * One instance with `needCount` need lines and `lotCount` lots. Needs: a community weighted by district share,
 * coordinates for 70 % of them (a geocoded address near the community centre), urgency low/medium/high/critical
 * 30/40/20/10 % turned into a priority weight like intake's (urgency points + vulnerable groups + people +
 * waiting, one decimal), received over the last week. Lots: 80 % in one of ~needCount/100 warehouses (always
 * geocoded), 20 % at a donor's community (coordinates half the time); stock per (category, unit) group between
 * 50 % and 130 % of its demand (80–100 % overall).
 */
export function generate(name: string, needCount: number, lotCount: number, seed: number): Instance {
  const rnd = prng(seed);
  const communities: Community[] = [];
  for (const d of DISTRICTS) {
    const count = Math.max(3, Math.round(d.share * 4));
    for (let c = 0; c < count; c++) {
      communities.push({
        district: d,
        name: `${d.code}-${c + 1}`,
        centre: around(rnd, d.lat, d.lon, d.radiusKm),
      });
    }
  }
  const communityShare = (c: Community) => c.district.share / Math.max(3, Math.round(c.district.share * 4));

  const groups: { category: Category; unit: Category['units'][number] }[] = [];
  for (const category of CATEGORIES) for (const unit of category.units) groups.push({ category, unit });
  const groupShare = (g: (typeof groups)[number]) =>
    (g.category.share * g.unit.share) / g.category.units.reduce((s, u) => s + u.share, 0);

  const needs: PlanNeed[] = [];
  const demand = new Map<(typeof groups)[number], number>();
  for (let i = 0; i < needCount; i++) {
    const g = pickWeighted(rnd, groups, groupShare);
    const c = pickWeighted(rnd, communities, communityShare);
    const place: Place = { district: c.district.code, community: c.name };
    if (rnd() < 0.7) place.coordinates = around(rnd, c.centre.latitude, c.centre.longitude, 0.6);
    const urgency = pickWeighted(
      rnd,
      [
        { points: 10, p: 30 },
        { points: 25, p: 40 },
        { points: 45, p: 20 },
        { points: 70, p: 10 },
      ],
      (u) => u.p,
    ).points;
    const waitedHours = rnd() * 7 * 24;
    const vulnerable = rnd() < 0.4 ? Math.round(rnd() * 15) : 0;
    const people = Math.min(10, 3 * Math.log2(1 + Math.floor(rnd() * 6)));
    const weight =
      Math.round(Math.min(100, urgency + vulnerable + people + Math.min(20, waitedHours * (20 / 48))) * 10) /
      10;
    const q = quantity(rnd, g.unit.typical);
    demand.set(g, (demand.get(g) ?? 0) + q);
    needs.push({
      id: `need-${String(i).padStart(6, '0')}`,
      category: g.category.id,
      unit: g.unit.unit,
      quantity: q,
      weight,
      place,
      receivedAt: NOW - Math.round(waitedHours * 3_600_000),
    });
  }

  const warehouseCount = Math.max(3, Math.round(needCount / 100));
  const warehouses: Place[] = [];
  for (let w = 0; w < warehouseCount; w++) {
    const c = pickWeighted(rnd, communities, communityShare);
    warehouses.push({
      district: c.district.code,
      community: c.name,
      coordinates: around(rnd, c.centre.latitude, c.centre.longitude, 1),
    });
  }

  // Each lot goes to a group with probability proportional to the group's demand (so a rare group may get
  // none); a group's stock is a random 50–130 % of its demand, split unevenly over its lots (a few large
  // donations, many small ones).
  const activeGroups = groups.filter((g) => (demand.get(g) ?? 0) > 0);
  const lotGroups = Array.from({ length: lotCount }, () =>
    pickWeighted(rnd, activeGroups, (g) => demand.get(g) ?? 0),
  );
  const lots: PlanLot[] = [];
  for (const g of activeGroups) {
    const count = lotGroups.filter((x) => x === g).length;
    if (count === 0) continue;
    const stock = Math.max(count, Math.round((demand.get(g) ?? 0) * (0.5 + 0.8 * rnd())));
    const shares = Array.from({ length: count }, () => -Math.log(1 - rnd() * 0.999));
    const shareSum = shares.reduce((s, x) => s + x, 0);
    for (let k = 0; k < count; k++) {
      const available = Math.max(1, Math.round((stock * (shares[k] ?? 0)) / shareSum));
      let place: Place;
      if (rnd() < 0.8) {
        place = warehouses[Math.floor(rnd() * warehouses.length)] as Place;
      } else {
        const c = pickWeighted(rnd, communities, communityShare);
        place = { district: c.district.code, community: c.name };
        if (rnd() < 0.5) place.coordinates = around(rnd, c.centre.latitude, c.centre.longitude, 0.6);
      }
      const life = g.category.shelfLifeDays;
      const expiresAt = life ? NOW + Math.round((life[0] + rnd() * (life[1] - life[0])) * DAY) : undefined;
      lots.push({
        id: `lot-${String(lots.length).padStart(6, '0')}`,
        category: g.category.id,
        unit: g.unit.unit,
        available,
        expiresAt,
        place,
        supplierId: `donor-${Math.floor(rnd() * Math.max(5, lotCount / 4))}`,
      });
    }
  }
  return { name, seed, needs, lots };
}
