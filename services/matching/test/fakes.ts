import { FailedPreconditionError } from '@nuanyang/grpc-kit';
import type { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import { ProposalOrigin } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import type { MemoryStore } from '@nuanyang/store';
import type { FreeLot, MatchCase, ProposalDraft } from '../src/domain/cases';
import { openNeeds } from '../src/domain/cases';
import type { ProposalFilter } from '../src/read-model';
import type { StockPort } from '../src/stock';

type ReservationStatus = 'active' | 'committed' | 'released' | 'expired';

/** Inventory's reservation contract in memory: idempotent by reservation id, all or nothing. */
export class FakeInventory implements StockPort {
  readonly lots = new Map<string, FreeLot>();
  readonly reservations = new Map<
    string,
    { lines: { lotId: string; quantity: number }[]; status: ReservationStatus }
  >();
  /** How many calls of each kind inventory answered. */
  readonly calls = { reserve: 0, commit: 0, release: 0 };

  add(id: string, category: ItemCategory, available: number, supplierId: string, district = 'huyi'): void {
    this.lots.set(id, {
      id,
      version: 1,
      category,
      unit: 'box',
      available,
      place: { district, community: '', coordinates: undefined },
      supplierId,
      line: {
        lotId: id,
        unit: 'box',
        itemName: 'stock',
        unitValue: undefined,
        expiresAt: undefined,
        pickupLocation: undefined,
      },
    });
  }

  async freeLots(category?: ItemCategory): Promise<FreeLot[]> {
    return [...this.lots.values()]
      .filter((l) => l.available > 0 && (category === undefined || l.category === category))
      .map((l) => ({ ...l }));
  }

  async reserve(id: string, _helpRequestId: string, lines: { lotId: string; quantity: number }[]) {
    this.calls.reserve += 1;
    if (this.reservations.has(id)) return true;
    if (lines.some((l) => (this.lots.get(l.lotId)?.available ?? 0) < l.quantity)) return false;
    for (const l of lines) this.lot(l.lotId).available -= l.quantity;
    this.reservations.set(id, { lines, status: 'active' });
    return true;
  }

  async commit(id: string): Promise<'committed' | 'lapsed'> {
    this.calls.commit += 1;
    const r = this.reservation(id);
    if (r.status === 'active') r.status = 'committed';
    return r.status === 'committed' ? 'committed' : 'lapsed';
  }

  async release(id: string): Promise<void> {
    this.calls.release += 1;
    const r = this.reservation(id);
    if (r.status === 'committed') throw new FailedPreconditionError(`reservation ${id} is committed`);
    if (r.status !== 'active') return;
    r.status = 'released';
    for (const l of r.lines) this.lot(l.lotId).available += l.quantity;
  }

  /** The reservation lapses, as inventory's sweeper would let it. */
  expire(id: string): void {
    const r = this.reservation(id);
    r.status = 'expired';
    for (const l of r.lines) this.lot(l.lotId).available += l.quantity;
  }

  /** Units held by reservations in each status. */
  held(status: ReservationStatus): number {
    return [...this.reservations.values()]
      .filter((r) => r.status === status)
      .reduce((s, r) => s + r.lines.reduce((t, l) => t + l.quantity, 0), 0);
  }

  private lot(id: string): FreeLot {
    const lot = this.lots.get(id);
    if (!lot) throw new Error(`no lot ${id}`);
    return lot;
  }

  private reservation(id: string) {
    const r = this.reservations.get(id);
    if (!r) throw new Error(`no reservation ${id}`);
    return r;
  }
}

/** The read model's queries answered from the store's current states of the cases it was told about. */
export class CasesInMemory {
  readonly ids = new Set<string>();

  constructor(private readonly store: MemoryStore<MatchCase>) {}

  private async all(): Promise<MatchCase[]> {
    const cases = await Promise.all([...this.ids].map((id) => this.store.load(id)));
    return cases
      .filter((c) => c !== null)
      .map((c) => c.state)
      .sort((a, b) => b.priorityScore - a.priorityScore);
  }

  async waiting(categories: number[], limit: number): Promise<string[]> {
    return (await this.withOpenNeeds())
      .filter((c) => c.openCategories.some((k) => categories.includes(k)))
      .slice(0, limit)
      .map((c) => c.helpRequestId);
  }

  async withOpenNeeds(): Promise<MatchCase[]> {
    return (await this.all()).filter((c) => openNeeds(c).length > 0);
  }

  async openNeeds(filter: { category: number; district: string }): Promise<MatchCase[]> {
    return (await this.withOpenNeeds()).filter(
      (c) =>
        (!filter.category || c.openCategories.includes(filter.category)) &&
        (!filter.district || c.location?.district === filter.district),
    );
  }

  async withProposals(filter: ProposalFilter): Promise<MatchCase[]> {
    return (await this.all()).filter((c) =>
      c.proposals.some(
        (p) =>
          (filter.statuses.length === 0 || filter.statuses.includes(p.status)) &&
          (!filter.supplierOrganisationId || p.supplierOrganisationId === filter.supplierOrganisationId),
      ),
    );
  }
}

/** The tables' clock: the evening of DESIGN.md's story. */
export const now = new Date('2021-12-28T18:10:00+08:00');

/** An automatic proposal of `quantity` boxes of one lot for one need, to be decided by `now`. */
export const draft = (id: string, needId: string, quantity: number, supplier = 'org-a'): ProposalDraft => ({
  id,
  needId,
  supplierOrganisationId: supplier,
  lines: [
    {
      lotId: `lot-${id}`,
      quantity,
      unit: 'box',
      itemName: 'x',
      unitValue: undefined,
      expiresAt: undefined,
      pickupLocation: undefined,
    },
  ],
  origin: ProposalOrigin.PROPOSAL_ORIGIN_AUTOMATIC,
  distanceKm: 1,
  score: 1,
  proposedBy: 'matching',
  note: '',
  decideBy: now,
});
