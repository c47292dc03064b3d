import type { Principal } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import { FailedPreconditionError, NotFoundError } from '@nuanyang/grpc-kit';
import { createLogger } from '@nuanyang/logger';
import { ItemCategory, Need, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { MatchAccepted } from '@nuanyang/proto/nuanyang/matching/v1/events';
import { ProposalStatus, UnmatchedReason } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { HelpRequestVerified } from '@nuanyang/proto/nuanyang/verification/v1/events';
import { MemoryStore } from '@nuanyang/store';
import type { MatchCase } from '../src/domain/cases';
import type { Hold, HoldPoint } from '../src/hold';
import { createMatching } from '../src/matching';
import { CasesInMemory, FakeInventory } from './fakes';

const FOOD = ItemCategory.ITEM_CATEGORY_INSTANT_FOOD;
const S = ProposalStatus;
const M = SUBJECTS.matching;
const log = createLogger('matching-test', 'silent');

const operator: Principal = { subject: 'op-1', organisationId: 'nuanyang-platform', roles: ['operator'] };
const supplier = (org: string): Principal => ({
  subject: `${org}-staff`,
  organisationId: org,
  roles: ['supplier'],
});

/** The point where the next call "crashes": the call throws there and never takes the next step. */
class Crash extends Error {}

function setup() {
  const store = new MemoryStore<MatchCase>('match_case');
  const inventory = new FakeInventory();
  const views = new CasesInMemory(store);
  const crashAt = new Set<HoldPoint>();
  const hold: Hold = async (point) => {
    if (crashAt.delete(point)) throw new Crash(point);
  };
  let leased = false;
  const lease = {
    acquire: async () => {
      if (leased) return false;
      leased = true;
      return true;
    },
    release: async () => {
      leased = false;
    },
  };
  const matching = createMatching({
    store,
    stock: inventory,
    views,
    lease,
    policy: { proposalTtlMs: 3600_000 },
    log,
    hold,
  });
  let requests = 0;
  /** A verified request with one need, its case opened and planned. */
  const verified = async (amount: number, category = FOOD) => {
    const helpRequestId = `hr-${++requests}`;
    views.ids.add(helpRequestId);
    await matching.lifecycle.onVerified(
      HelpRequestVerified.fromPartial({
        helpRequestId,
        submittingOrganisationId: 'org-hub',
        urgency: Urgency.URGENCY_HIGH,
        priorityScore: 10,
        location: { district: 'huyi', community: '龙窝村', address: '3号楼' },
        correctedNeeds: [
          Need.fromPartial({
            needId: `${helpRequestId}-n1`,
            category,
            itemName: 'x',
            quantity: { amount, unit: 'box' },
          }),
        ],
      }),
    );
    return helpRequestId;
  };
  const caseOf = async (id: string) => (await store.loadOrThrow(id)).state;
  const events = (subject: string) => store.events.filter((e) => e.subject === subject);
  return { store, inventory, matching, crashAt, verified, caseOf, events };
}

describe('matching on the in-memory store', () => {
  it('proposes free stock for a verified need across suppliers and waits for the rest', async () => {
    const t = setup();
    t.inventory.add('lot-a', FOOD, 30, 'org-a');
    const id = await t.verified(40);
    const c = await t.caseOf(id);
    expect(c.proposals).toHaveLength(1);
    expect(c.proposals[0]).toMatchObject({ supplierOrganisationId: 'org-a', proposedQuantity: 30 });
    expect(c.needs[0]?.unmatchedReason).toBe(UnmatchedReason.UNMATCHED_REASON_INSUFFICIENT_STOCK);
    expect(t.inventory.held('active')).toBe(30);

    // New stock, seen in its event before inventory's list shows it: the waiting need is planned again.
    t.inventory.add('lot-b', FOOD, 25, 'org-b');
    const lotB = (await t.inventory.freeLots(FOOD)).find((l) => l.id === 'lot-b')!;
    t.inventory.lots.delete('lot-b');
    await t.matching.planning.onStock([{ ...lotB, version: 2 }]);
    // The list did not show lot-b, so the reservation failed and the need waits: no proposal beyond stock.
    expect((await t.caseOf(id)).proposals).toHaveLength(1);
    t.inventory.lots.set('lot-b', lotB);
    await t.matching.planning.onStock([lotB]);
    const after = await t.caseOf(id);
    expect(after.proposals.map((p) => [p.supplierOrganisationId, p.proposedQuantity])).toEqual([
      ['org-a', 30],
      ['org-b', 10],
    ]);
    expect(after.needs[0]?.unmatchedReason).toBe(UnmatchedReason.UNMATCHED_REASON_UNSPECIFIED);
    expect(t.events(M.proposed)).toHaveLength(2);

    // The verification again opens nothing and plans nothing new.
    await t.matching.lifecycle.onVerified(HelpRequestVerified.fromPartial({ helpRequestId: id }));
    expect((await t.caseOf(id)).proposals).toHaveLength(2);
  });

  it('finishes a proposal that crashed between its reservation and its record: reserved once, proposed once', async () => {
    const t = setup();
    t.inventory.add('lot-a', FOOD, 30, 'org-a');
    t.crashAt.add('propose.reserved');
    await expect(t.verified(20)).rejects.toThrow(Crash);
    const id = 'hr-1';
    let c = await t.caseOf(id);
    expect(c.proposals).toEqual([]);
    expect(c.reserving).toHaveLength(1);
    const reserved = c.reserving[0]!.draft.id;
    expect(t.inventory.held('active')).toBe(20);
    expect(await t.matching.planning.resume(id, new Date(0))).toBe(0); // recent: left to its call
    expect(await t.matching.planning.resume(id, new Date())).toBe(1);
    c = await t.caseOf(id);
    expect(c.reserving).toEqual([]);
    expect(c.proposals.map((p) => [p.id, p.proposedQuantity])).toEqual([[reserved, 20]]);
    expect(t.inventory.held('active')).toBe(20);
    expect(t.inventory.reservations.size).toBe(1);
    expect(t.events(M.proposed)).toHaveLength(1);
  });

  it('forgets a reservation inventory refused, and one whose need was covered meanwhile is released', async () => {
    const t = setup();
    t.inventory.add('lot-a', FOOD, 30, 'org-a');
    t.crashAt.add('propose.reserved');
    await expect(t.verified(20)).rejects.toThrow(Crash);
    // Meanwhile an operator covers the need by hand from another lot.
    t.inventory.add('lot-b', FOOD, 20, 'org-b');
    await t.matching.manual.propose(
      {
        idempotencyKey: 'cover-it-1',
        helpRequestId: 'hr-1',
        needId: 'hr-1-n1',
        lines: [{ lotId: 'lot-b', quantity: 20 }],
        note: '',
      },
      operator,
    );
    await t.matching.planning.resume('hr-1', new Date());
    const c = await t.caseOf('hr-1');
    expect(c.reserving).toEqual([]);
    expect(c.proposals.map((p) => p.supplierOrganisationId)).toEqual(['org-b']);
    expect(t.inventory.lots.get('lot-a')?.available).toBe(30);
    expect(t.inventory.held('active')).toBe(20);
  });

  it('marks a need without stock unmatched, with the reason, once', async () => {
    const t = setup();
    const id = await t.verified(3, ItemCategory.ITEM_CATEGORY_SHELTER);
    expect((await t.caseOf(id)).needs[0]?.unmatchedReason).toBe(UnmatchedReason.UNMATCHED_REASON_NO_STOCK);
    await t.matching.planning.plan(id);
    expect(t.events(M.unmatched)).toHaveLength(1);
    const needs = await t.matching.queries.listOpenNeeds({ category: 0, district: '', unmatchedOnly: true });
    expect(needs.needs.map((n) => n.helpRequestId)).toEqual([id]);
  });

  it('accepts: commits the stock once, announces it once, and answers a retry with the same proposal', async () => {
    const t = setup();
    t.inventory.add('lot-a', FOOD, 40, 'org-a');
    const id = await t.verified(40);
    const [p] = (await t.caseOf(id)).proposals;
    await expect(t.matching.acceptance.accept(p!.id, '', supplier('org-b'))).rejects.toThrow(NotFoundError);
    const accepted = await t.matching.acceptance.accept(p!.id, 'loading', supplier('org-a'));
    expect(accepted).toMatchObject({
      status: S.PROPOSAL_STATUS_ACCEPTED,
      version: 2,
      decidedBy: 'org-a-staff',
    });
    const again = await t.matching.acceptance.accept(p!.id, 'loading', supplier('org-a'));
    expect(again.version).toBe(2);
    expect(t.inventory.held('committed')).toBe(40);
    expect(t.events(M.accepted)).toHaveLength(1);
    expect(MatchAccepted.decode(t.events(M.accepted)[0]!.data).meta).toMatchObject({
      actorOrganisationId: 'org-a',
      actorUserId: 'org-a-staff',
    });
    expect(t.events(M.coverageChanged)).toHaveLength(1);
    expect((await t.caseOf(id)).pending).toEqual([]);
    await expect(t.matching.acceptance.reject(p!.id, 'no', supplier('org-a'))).rejects.toThrow(/is ACCEPTED/);
  });

  it.each(['accept.recorded', 'accept.committed'] as const)(
    'finishes an acceptance that crashed at %s: stock committed once, accepted once',
    async (point) => {
      const t = setup();
      t.inventory.add('lot-a', FOOD, 40, 'org-a');
      const id = await t.verified(40);
      const [p] = (await t.caseOf(id)).proposals;
      t.crashAt.add(point);
      await expect(t.matching.acceptance.accept(p!.id, 'ok', supplier('org-a'))).rejects.toThrow(Crash);
      expect((await t.caseOf(id)).pending).toMatchObject([
        { proposalId: p!.id, action: 'accept', by: 'org-a-staff' },
      ]);
      // Another decision waits for this one; a recent one is left to the call making it.
      await expect(t.matching.acceptance.reject(p!.id, 'no', supplier('org-a'))).rejects.toThrow(
        /being accepted/,
      );
      expect(await t.matching.acceptance.resume(id, new Date(0))).toBe(0);

      expect(await t.matching.acceptance.resume(id, new Date())).toBe(1);
      const c = await t.caseOf(id);
      expect(c.proposals[0]).toMatchObject({
        status: S.PROPOSAL_STATUS_ACCEPTED,
        decidedBy: 'org-a-staff',
        statusReason: 'ok',
      });
      expect(c.pending).toEqual([]);
      expect(t.inventory.held('committed')).toBe(40);
      expect(t.inventory.held('active')).toBe(0);
      expect(t.events(M.accepted)).toHaveLength(1);
      // The supplier's retry finds it done.
      expect((await t.matching.acceptance.accept(p!.id, 'ok', supplier('org-a'))).status).toBe(
        S.PROPOSAL_STATUS_ACCEPTED,
      );
      expect(t.events(M.accepted)).toHaveLength(1);
    },
  );

  it('expires a proposal whose reservation lapsed before the acceptance, and plans again', async () => {
    const t = setup();
    t.inventory.add('lot-a', FOOD, 10, 'org-a');
    const id = await t.verified(10);
    const [p] = (await t.caseOf(id)).proposals;
    t.inventory.expire(p!.id);
    await expect(t.matching.acceptance.accept(p!.id, '', supplier('org-a'))).rejects.toThrow(
      FailedPreconditionError,
    );
    const c = await t.caseOf(id);
    expect(c.proposals[0]?.status).toBe(S.PROPOSAL_STATUS_EXPIRED);
    expect(c.pending).toEqual([]);
    await t.matching.acceptance.onReservationExpired(p!.id); // inventory's event, later: nothing more
    expect(
      (await t.caseOf(id)).proposals.filter((x) => x.status === S.PROPOSAL_STATUS_PROPOSED),
    ).toHaveLength(1);
  });

  it('rejects: releases the stock and plans again without that supplier, also after a crash', async () => {
    const t = setup();
    t.inventory.add('lot-near', FOOD, 5, 'org-near', 'huyi');
    t.inventory.add('lot-far', FOOD, 5, 'org-far', 'lintong');
    const id = await t.verified(5);
    const [near] = (await t.caseOf(id)).proposals;
    expect(near?.supplierOrganisationId).toBe('org-near');
    await expect(t.matching.acceptance.reject(near!.id, ' ', supplier('org-near'))).rejects.toThrow(/reason/);
    t.crashAt.add('reject.recorded');
    await expect(
      t.matching.acceptance.reject(near!.id, 'van broke down', supplier('org-near')),
    ).rejects.toThrow(Crash);
    expect(t.inventory.held('active')).toBe(5);
    await t.matching.acceptance.resume(id, new Date());
    const c = await t.caseOf(id);
    expect(c.proposals.map((p) => [p.supplierOrganisationId, p.status])).toEqual([
      ['org-near', S.PROPOSAL_STATUS_REJECTED],
      ['org-far', S.PROPOSAL_STATUS_PROPOSED],
    ]);
    expect(c.needs[0]?.declinedBy).toEqual(['org-near']);
    expect(t.inventory.lots.get('lot-near')?.available).toBe(5);
    expect(t.events(M.rejected)).toHaveLength(1);
    // The other supplier declines too: nothing left to propose.
    await t.matching.acceptance.reject(c.proposals[1]!.id, 'closed', supplier('org-far'));
    expect((await t.caseOf(id)).needs[0]?.unmatchedReason).toBe(
      UnmatchedReason.UNMATCHED_REASON_ALL_REJECTED,
    );
  });

  it('on cancellation withdraws what is proposed and releases it, but lets an acceptance under way finish', async () => {
    const t = setup();
    t.inventory.add('lot-a', FOOD, 10, 'org-a');
    t.inventory.add('lot-b', FOOD, 10, 'org-b', 'lintong');
    const id = await t.verified(20);
    const [a, b] = (await t.caseOf(id)).proposals;
    t.crashAt.add('accept.recorded');
    await expect(
      t.matching.acceptance.accept(a!.id, '', supplier(a!.supplierOrganisationId)),
    ).rejects.toThrow(Crash);
    await t.matching.lifecycle.onCancelled(id, 'resolved by neighbours');
    await t.matching.lifecycle.onCancelled(id, 'resolved by neighbours'); // redelivered
    let c = await t.caseOf(id);
    expect(c.open).toBe(false);
    expect(c.proposals.map((p) => p.status)).toEqual([
      S.PROPOSAL_STATUS_PROPOSED,
      S.PROPOSAL_STATUS_WITHDRAWN,
    ]);
    expect(t.inventory.reservations.get(b!.id)?.status).toBe('released');
    await t.matching.acceptance.resume(id, new Date());
    c = await t.caseOf(id);
    expect(c.proposals[0]?.status).toBe(S.PROPOSAL_STATUS_ACCEPTED);
    expect(t.inventory.reservations.get(a!.id)?.status).toBe('committed');
    // A closed case plans nothing.
    await t.matching.planning.plan(id);
    expect((await t.caseOf(id)).proposals).toHaveLength(2);
  });

  it('fulfils an accepted proposal once per delivery, and leaves one nobody accepted', async () => {
    const t = setup();
    t.inventory.add('lot-a', FOOD, 10, 'org-a');
    const id = await t.verified(10);
    const [p] = (await t.caseOf(id)).proposals;
    await t.matching.fulfilment.onDelivered(p!.id, 'vol-1');
    expect((await t.caseOf(id)).proposals[0]?.status).toBe(S.PROPOSAL_STATUS_PROPOSED);
    await t.matching.acceptance.accept(p!.id, '', supplier('org-a'));
    t.crashAt.add('delivered.recorded');
    await expect(t.matching.fulfilment.onDelivered(p!.id, 'vol-1')).rejects.toThrow(Crash);
    await t.matching.fulfilment.onDelivered(p!.id, 'vol-1'); // the event redelivered after the crash
    expect((await t.caseOf(id)).proposals[0]).toMatchObject({
      status: S.PROPOSAL_STATUS_FULFILLED,
      decidedBy: 'org-a-staff',
    });
    expect(t.events(M.fulfilled)).toHaveLength(1);
    expect(t.events(M.coverageChanged)).toHaveLength(2); // matched, then fulfilled
    await t.matching.fulfilment.onDelivered('mp-unknown-0a1b2c3d', 'vol-1');
  });

  it('matches by hand with ids from the key, and lists what each caller may see', async () => {
    const t = setup();
    t.inventory.add('lot-a', FOOD, 10, 'org-a');
    const id = await t.verified(15);
    const needId = `${id}-n1`;
    t.inventory.add('lot-b', FOOD, 10, 'org-b');
    const req = {
      idempotencyKey: 'manual-key-1',
      helpRequestId: id,
      needId,
      lines: [{ lotId: 'lot-b', quantity: 5 }],
      note: 'by hand',
    };
    const first = await t.matching.manual.propose(req, operator);
    expect(first.replayed).toBe(false);
    expect(first.proposals).toHaveLength(1);
    const again = await t.matching.manual.propose(req, operator);
    expect(again).toMatchObject({ replayed: true, proposals: first.proposals });
    await expect(
      t.matching.manual.propose({ ...req, lines: [{ lotId: 'lot-b', quantity: 4 }] }, operator),
    ).rejects.toThrow(/already used/);
    await expect(
      t.matching.manual.propose(
        { ...req, idempotencyKey: 'manual-key-2', lines: [{ lotId: 'lot-b', quantity: 1 }] },
        operator,
      ),
    ).rejects.toThrow(/only 0 is still open/);

    const mine = await t.matching.queries.listProposals(
      { statuses: [], supplierOrganisationId: '', helpRequestId: '' },
      supplier('org-b'),
    );
    expect(mine.proposals.map((p) => p.supplierOrganisationId)).toEqual(['org-b']);
    const all = await t.matching.queries.listProposals(
      { statuses: [S.PROPOSAL_STATUS_PROPOSED], supplierOrganisationId: '', helpRequestId: id },
      operator,
    );
    expect(all.proposals).toHaveLength(2);
  });

  it('plans in batch under the lease, never for a supplier that declined', async () => {
    const t = setup();
    const id = await t.verified(5);
    t.inventory.add('lot-a', FOOD, 5, 'org-a');
    const dry = await t.matching.batch.run(true, operator);
    expect(dry).toMatchObject({ needsConsidered: 1, lotsConsidered: 1, proposalsCreated: 0 });
    const run = await t.matching.batch.run(false, operator);
    expect(run.proposalsCreated).toBe(1);
    const [p] = (await t.caseOf(id)).proposals;
    expect(p).toMatchObject({ proposedBy: 'op-1', supplierOrganisationId: 'org-a' });
    await t.matching.acceptance.reject(p!.id, 'no', supplier('org-a'));
    expect((await t.matching.batch.run(false, operator)).proposalsCreated).toBe(0);
  });
});
