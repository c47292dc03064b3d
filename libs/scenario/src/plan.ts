import { DISTRICTS } from '@nuanyang/common';
import { prng } from '@nuanyang/planner';
import { ItemCategory, type Need, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';

/**
 * A relief scenario shaped like DESIGN.md's story: partner organisations collect help requests across several
 * districts, verifiers phone back (most are genuine; some are rejected, duplicate or never answer), donors hold
 * stock for most categories but not all, and volunteers deliver (some decline an offer first, some fail).
 * Everything is decided up front from a seed, so the figures that the platform must report are known before it
 * runs: `truth` below. Only what people choose at run time (which volunteer the service offers a task to, how
 * long they take) is left to the run, which records it.
 */

export type VerificationFate = 'verified' | 'rejected' | 'duplicate' | 'unreachable';
export type DeliveryFate = 'delivered' | 'declined-then-delivered' | 'failed';

export interface PlannedNeed {
  category: ItemCategory;
  itemName: string;
  amount: number;
  unit: string;
}

/** A planned need as CreateHelpRequest takes it (intake assigns the need ids). */
export function needOf(n: PlannedNeed): Need {
  return {
    needId: '',
    category: n.category,
    itemName: n.itemName,
    quantity: { amount: n.amount, unit: n.unit },
    note: '',
  };
}

export interface PlannedRequest {
  /** Stable key within the scenario (also the idempotency key's suffix). */
  key: string;
  district: string;
  community: string;
  coordinates: { latitude: number; longitude: number };
  needs: PlannedNeed[];
  urgency: Urgency;
  peopleAffected: number;
  /** Index of the partner organisation that collected it. */
  partner: number;
  verification: VerificationFate;
  /** For duplicates: the key of the (earlier, verified) request this one repeats. */
  duplicateOf?: string;
  /** What happens to each delivery task of this request. */
  delivery: DeliveryFate;
  /** Left in progress (demo data): the first step of its path that the run does not take. */
  stopBefore?: StopBefore;
}

/**
 * Where a request left in progress waits: for a verifier's call, for the supplier to accept its proposals,
 * or for a volunteer to take the delivery task offered to them.
 */
export type StopBefore = 'verification' | 'acceptance' | 'delivery';

export interface PlannedOffer {
  donor: number;
  category: ItemCategory;
  itemName: string;
  unit: string;
  amount: number;
  /** CNY fen per unit. */
  unitValue: number;
  district: string;
}

export interface PlannedVolunteer {
  key: string;
  name: string;
  districts: string[];
}

export interface CategoryTruth {
  category: ItemCategory;
  unit: string;
  quantity: number;
  /** CNY fen. */
  value: number;
  deliveries: number;
}

/** The figures reporting must show once the scenario has run. */
export interface ScenarioTruth {
  collected: number;
  verified: number;
  rejected: number;
  duplicates: number;
  unreachable: number;
  /** Requests with at least one accepted proposal. */
  matched: number;
  /** Requests whose every need was delivered. */
  fulfilled: number;
  peopleHelped: number;
  /** People in verified CRITICAL requests. */
  emergencyResponses: number;
  /** Delivered, by category. */
  supplies: CategoryTruth[];
  /** CNY fen. */
  suppliesValue: number;
  districtsReached: number;
  communitiesReached: number;
  /** Accepted proposals, one delivery task each. */
  deliveryTasks: number;
  deliveriesCompleted: number;
  deliveriesFailed: number;
  declines: number;
}

export interface Scenario {
  seed: number;
  partners: string[];
  donors: string[];
  volunteerTeam: string;
  offers: PlannedOffer[];
  volunteers: PlannedVolunteer[];
  requests: PlannedRequest[];
  truth: ScenarioTruth;
}

interface Stocked {
  category: ItemCategory;
  itemName: string;
  unit: string;
  unitValue: number;
  perRequest: [number, number];
}

/** Categories donors hold, each with its unit (needs and lots must agree on it) and value. */
const STOCKED: Stocked[] = [
  {
    category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
    itemName: '方便面',
    unit: 'box',
    unitValue: 3500,
    perRequest: [2, 12],
  },
  {
    category: ItemCategory.ITEM_CATEGORY_STAPLE_FOOD,
    itemName: '大米',
    unit: 'bag',
    unitValue: 6000,
    perRequest: [1, 6],
  },
  {
    category: ItemCategory.ITEM_CATEGORY_HYGIENE,
    itemName: '卫生用品',
    unit: 'pack',
    unitValue: 1800,
    perRequest: [1, 8],
  },
  {
    category: ItemCategory.ITEM_CATEGORY_INFANT_FORMULA,
    itemName: '婴儿奶粉',
    unit: 'can',
    unitValue: 22000,
    perRequest: [1, 4],
  },
];

/** Asked for, never donated in the scenario: these needs wait unmatched. */
const UNSTOCKED = { category: ItemCategory.ITEM_CATEGORY_MEDICINE, itemName: '胰岛素', unit: 'box' };

const SCENARIO_DISTRICTS = ['yanta', 'beilin', 'lianhu', 'changan', 'huyi', 'weiyang', 'baqiao', 'lintong'];
const COMMUNITIES = ['龙窝村', '丈八街道', '电子城社区', '小寨社区', '曲江新区', '大雁塔社区', '枣园社区'];

export interface ScenarioOptions {
  /** Number of help requests; at least 20. */
  requests: number;
  seed?: number;
}

export function planScenario({ requests: count, seed = 20211223 }: ScenarioOptions): Scenario {
  if (!Number.isInteger(count) || count < 20)
    throw new Error(`requests must be an integer ≥ 20, got ${count}`);
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = ([lo, hi]: [number, number]) => lo + Math.floor(random() * (hi - lo + 1));

  const partners = ['西安市社区志愿者联合会', '雁塔区社工服务中心', '鄠邑区乡村振兴协会'];
  const donors = STOCKED.map(
    (_, i) => ['陕西食品商会', '秦川粮油集团', '西安日化协会', '母婴关爱基金会'][i]!,
  );
  const volunteerTeam = '暖阳车队';

  const requests: PlannedRequest[] = [];
  for (let i = 0; i < count; i++) {
    const district = pick(SCENARIO_DISTRICTS);
    const centre = DISTRICTS.find((d) => d.code === district)!.centre;
    const roll = random();
    const verification: VerificationFate =
      roll < 0.08 ? 'rejected' : roll < 0.13 ? 'unreachable' : roll < 0.18 ? 'duplicate' : 'verified';
    const needs: PlannedNeed[] = [];
    const first = pick(STOCKED);
    needs.push({
      category: first.category,
      itemName: first.itemName,
      amount: between(first.perRequest),
      unit: first.unit,
    });
    const shape = random();
    if (shape < 0.25) {
      const second = pick(STOCKED.filter((s) => s.category !== first.category));
      needs.push({
        category: second.category,
        itemName: second.itemName,
        amount: between(second.perRequest),
        unit: second.unit,
      });
    } else if (shape < 0.35) {
      // Stock for part of the request only: matched, never fulfilled.
      needs.push({ ...UNSTOCKED, amount: between([1, 3]) });
    } else if (shape < 0.4) {
      // Nothing donated for it at all: never matched.
      needs.splice(0, 1, { ...UNSTOCKED, amount: between([1, 3]) });
    }
    const fateRoll = random();
    requests.push({
      key: `r${String(i + 1).padStart(4, '0')}`,
      district,
      community: pick(COMMUNITIES),
      coordinates: {
        latitude: round(centre.latitude + (random() - 0.5) * 0.04),
        longitude: round(centre.longitude + (random() - 0.5) * 0.04),
      },
      needs,
      urgency: pick([
        Urgency.URGENCY_CRITICAL,
        Urgency.URGENCY_HIGH,
        Urgency.URGENCY_HIGH,
        Urgency.URGENCY_MEDIUM,
        Urgency.URGENCY_MEDIUM,
        Urgency.URGENCY_LOW,
      ]),
      peopleAffected: between([1, 6]),
      partner: Math.floor(random() * partners.length),
      verification,
      delivery: fateRoll < 0.06 ? 'failed' : fateRoll < 0.2 ? 'declined-then-delivered' : 'delivered',
    });
  }
  // A duplicate repeats an earlier genuine request; the first requests have none before them.
  for (const [i, r] of requests.entries()) {
    if (r.verification !== 'duplicate') continue;
    const original = requests
      .slice(0, i)
      .find((o) => o.verification === 'verified' && o.district === r.district);
    if (original) r.duplicateOf = original.key;
    else r.verification = 'verified';
  }

  // Enough stock for every stocked need, held by one donor per category near the middle of the city.
  const offers: PlannedOffer[] = STOCKED.map((s, donor) => ({
    donor,
    category: s.category,
    itemName: s.itemName,
    unit: s.unit,
    unitValue: s.unitValue,
    amount:
      requests
        .flatMap((r) => r.needs)
        .reduce((sum, n) => sum + (n.category === s.category ? n.amount : 0), 0) + 10,
    district: 'beilin',
  }));

  // Three volunteers per district, so a decline always has someone next.
  const volunteers: PlannedVolunteer[] = SCENARIO_DISTRICTS.flatMap((district, d) =>
    [0, 1, 2].map((n) => ({
      key: `v${d}${n}`,
      name: `志愿者${d * 3 + n + 1}号`,
      districts: [district],
    })),
  );

  return { seed, partners, donors, volunteerTeam, offers, volunteers, requests, truth: truthOf(requests) };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

const isStocked = (n: PlannedNeed) => STOCKED.some((s) => s.category === n.category);

/** The steps a request's path takes after it is submitted: verification, then (if matched) the rest. */
export function stepsOf(r: PlannedRequest): StopBefore[] {
  return r.verification === 'verified' && r.needs.some(isStocked)
    ? ['verification', 'acceptance', 'delivery']
    : ['verification'];
}

/**
 * The scenario with about `fraction` of its requests left in progress, for demo data with work in every
 * stage. Which requests, and where each stops, follows from its key alone (so a second run with the same
 * fraction leaves the same ones); the stop is spread evenly over the steps its path has. The figures are
 * those the platform shows once such a run has finished.
 */
export function leaveInProgress(scenario: Scenario, fraction: number): Scenario {
  if (!(fraction >= 0 && fraction <= 1)) throw new Error(`fraction must be within 0 and 1, got ${fraction}`);
  const requests = scenario.requests.map((r): PlannedRequest => {
    const { stopBefore: _, ...rest } = r;
    const u = unitHash(r.key);
    if (u >= fraction) return rest;
    const steps = stepsOf(r);
    return { ...rest, stopBefore: steps[Math.floor((u / fraction) * steps.length)]! };
  });
  return { ...scenario, requests, truth: truthOf(requests) };
}

/** FNV-1a of the text, mapped to [0, 1). */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  // One more mixing round: keys differ only in their last characters.
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return ((h ^ (h >>> 15)) >>> 0) / 2 ** 32;
}

/** Whether the run takes this step of the request's path (it stops before `stopBefore`, if set). */
export function takesStep(r: PlannedRequest, step: StopBefore): boolean {
  if (!r.stopBefore) return true;
  const order: StopBefore[] = ['verification', 'acceptance', 'delivery'];
  return order.indexOf(step) < order.indexOf(r.stopBefore);
}

/**
 * The figures that follow from the plan, by the definitions in reporting.proto. Requests left in progress
 * count for the stages they reached: a delivery task exists once its proposal is accepted, even while it
 * waits for a volunteer.
 */
export function truthOf(requests: PlannedRequest[]): ScenarioTruth {
  const called = requests.filter((r) => takesStep(r, 'verification'));
  const verified = called.filter((r) => r.verification === 'verified');
  const matched = verified.filter((r) => r.needs.some(isStocked) && takesStep(r, 'acceptance'));
  const ended = matched.filter((r) => takesStep(r, 'delivery'));
  const delivering = ended.filter((r) => r.delivery !== 'failed');
  const fulfilled = delivering.filter((r) => r.needs.every(isStocked));
  const supplies = STOCKED.map((s) => {
    const delivered = delivering.flatMap((r) => r.needs).filter((n) => n.category === s.category);
    const quantity = delivered.reduce((sum, n) => sum + n.amount, 0);
    return {
      category: s.category,
      unit: s.unit,
      quantity,
      value: quantity * s.unitValue,
      deliveries: delivered.length,
    };
  }).filter((c) => c.deliveries > 0);
  const tasksOf = (rs: PlannedRequest[]) => rs.reduce((sum, r) => sum + r.needs.filter(isStocked).length, 0);
  const count = (fate: VerificationFate) => called.filter((r) => r.verification === fate).length;
  return {
    collected: requests.length,
    verified: verified.length,
    rejected: count('rejected'),
    duplicates: count('duplicate'),
    unreachable: count('unreachable'),
    matched: matched.length,
    fulfilled: fulfilled.length,
    peopleHelped: fulfilled.reduce((sum, r) => sum + r.peopleAffected, 0),
    emergencyResponses: verified
      .filter((r) => r.urgency === Urgency.URGENCY_CRITICAL)
      .reduce((sum, r) => sum + r.peopleAffected, 0),
    supplies,
    suppliesValue: supplies.reduce((sum, c) => sum + c.value, 0),
    // Reached: at least one delivery arrived (a fulfilled proposal), even if the request waits for more.
    districtsReached: new Set(delivering.map((r) => r.district)).size,
    communitiesReached: new Set(delivering.map((r) => `${r.district}/${r.community}`)).size,
    deliveryTasks: tasksOf(matched),
    deliveriesCompleted: tasksOf(delivering),
    deliveriesFailed: tasksOf(ended.filter((r) => r.delivery === 'failed')),
    declines: tasksOf(ended.filter((r) => r.delivery === 'declined-then-delivered')),
  };
}
