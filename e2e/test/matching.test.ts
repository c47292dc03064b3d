import { status } from '@grpc/grpc-js';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { createClient } from '@nuanyang/grpc-kit';
import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { type CreateHelpRequestRequest, HelpRequestStatus } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import {
  InventoryServiceClient,
  RegisterOfferRequest,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import {
  MatchingServiceClient,
  type MatchProposal,
  ProposalStatus,
  UnmatchedReason,
} from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { type ServiceProcess, spawnService, startNatsServer } from '@nuanyang/testkit';
import {
  codeOf,
  drained,
  eventually,
  helpRequest,
  intakeClient,
  operatorToken,
  partnerToken,
  redeliver,
  token,
  verificationClient,
  verifyRequest,
} from './helpers';

const donor = (org: string) => token(`${org}-user`, org, 'supplier');

/** The whole loop so far: intake → verification → matching ⇄ inventory, real processes. */
describe('verified needs meet donated stock', () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  const services: ServiceProcess[] = [];
  let intake: ReturnType<typeof intakeClient>;
  let verification: ReturnType<typeof verificationClient>;
  let inventory: ReturnType<typeof createClient<InventoryServiceClient>>;
  let matching: ReturnType<typeof createClient<MatchingServiceClient>>;

  beforeAll(async () => {
    nats = await startNatsServer();
    const env = { NATS_URL: nats.url };
    const [i, v, inv] = await Promise.all([
      spawnService('intake', env),
      spawnService('verification', env),
      spawnService('inventory', env),
    ]);
    const m = await spawnService('matching', { ...env, INVENTORY_ADDRESS: inv.address });
    services.push(i, v, inv, m);
    intake = intakeClient(i.address);
    verification = verificationClient(v.address);
    inventory = createClient(InventoryServiceClient, inv.address, { deadlineMs: 10_000 });
    matching = createClient(MatchingServiceClient, m.address, { deadlineMs: 20_000 });
  });

  afterAll(async () => {
    for (const c of [intake, verification, inventory, matching]) c?.close();
    await Promise.all(services.map((s) => s.stop()));
    await nats?.stop();
  });

  let offers = 0;
  const offer = (org: string, category: ItemCategory, amount: number, district: string, community: string) =>
    inventory.registerOffer(
      RegisterOfferRequest.fromPartial({
        idempotencyKey: `offer-${process.pid}-${++offers}`,
        donorOrganisationId: org,
        lines: [
          {
            category,
            itemName: 'stock',
            quantity: { amount, unit: 'box' },
            unitValue: { currencyCode: 'CNY', minorUnits: 2500 },
            expiresAt: new Date(Date.now() + 30 * 86400_000),
          },
        ],
        pickupLocation: { district, community, address: '仓库1号' },
        pickupContact: { name: '李', phone: '13800000000' },
      }),
      { token: donor(org) },
    );

  /** Submits a request and takes it through the call-back to verified. */
  async function verified(overrides: Partial<CreateHelpRequestRequest>): Promise<string> {
    const { helpRequest: hr } = await intake.createHelpRequest(helpRequest(overrides), {
      token: partnerToken,
    });
    await verifyRequest(verification, hr!.id);
    return hr!.id;
  }

  const need = (category: ItemCategory, amount: number) => [
    { needId: '', category, itemName: 'needed', quantity: { amount, unit: 'box' }, note: '' },
  ];

  const proposalsOf = async (helpRequestId: string, count: number) =>
    eventually(
      async () => {
        const res = await matching.listProposals(
          { statuses: [], supplierOrganisationId: '', helpRequestId },
          { token: operatorToken },
        );
        return res.proposals.length >= count ? res.proposals : undefined;
      },
      30_000,
      `${count} proposal(s) for ${helpRequestId}`,
    );

  const lotOf = async (id: string) =>
    (await inventory.getLot({ id, includeLedger: false }, { token: operatorToken })).lot!;

  it('covers a need across two donors, waits for stock when short, and commits stock on acceptance', async () => {
    const first = await offer('org-donor-a', ItemCategory.ITEM_CATEGORY_INSTANT_FOOD, 30, 'huyi', '龙窝村');
    const id = await verified({
      needs: need(ItemCategory.ITEM_CATEGORY_INSTANT_FOOD, 40),
      urgency: Urgency.URGENCY_CRITICAL,
    });

    const [fromA] = await proposalsOf(id, 1);
    expect(fromA).toMatchObject({
      supplierOrganisationId: 'org-donor-a',
      proposedQuantity: 30,
      status: ProposalStatus.PROPOSAL_STATUS_PROPOSED,
    });
    const lotA = first.lots[0]!.id;
    expect(await lotOf(lotA)).toMatchObject({ available: 0, reserved: 30 });
    const waiting = await eventually(async () => {
      const res = await matching.listOpenNeeds(
        { category: 0, district: '', unmatchedOnly: true },
        { token: operatorToken },
      );
      return res.needs.find((n) => n.helpRequestId === id);
    });
    expect(waiting).toMatchObject({
      remainingQuantity: 10,
      unmatchedReason: UnmatchedReason.UNMATCHED_REASON_INSUFFICIENT_STOCK,
    });

    // More stock arrives: the waiting need is planned again.
    const second = await offer('org-donor-b', ItemCategory.ITEM_CATEGORY_INSTANT_FOOD, 25, 'huyi', '龙窝村');
    const proposals = await proposalsOf(id, 2);
    const fromB = proposals.find((p) => p.supplierOrganisationId === 'org-donor-b')!;
    expect(fromB.proposedQuantity).toBe(10);
    expect(await lotOf(second.lots[0]!.id)).toMatchObject({ available: 15, reserved: 10 });

    // Each donor accepts its own proposal; to another donor it does not exist (as GetProposal answers).
    expect(
      await codeOf(matching.acceptProposal({ id: fromA!.id, note: '' }, { token: donor('org-donor-b') })),
    ).toBe(status.NOT_FOUND);
    for (const [p, org] of [
      [fromA!, 'org-donor-a'],
      [fromB, 'org-donor-b'],
    ] as const) {
      const { proposal } = await matching.acceptProposal(
        { id: p.id, note: 'loading now' },
        { token: donor(org) },
      );
      expect(proposal?.status).toBe(ProposalStatus.PROPOSAL_STATUS_ACCEPTED);
    }
    expect(await lotOf(lotA)).toMatchObject({ available: 0, reserved: 0, committed: 30 });
    expect(await lotOf(second.lots[0]!.id)).toMatchObject({ available: 15, reserved: 0, committed: 10 });
    // Accepting again changes nothing.
    const again = await matching.acceptProposal({ id: fromB.id, note: '' }, { token: donor('org-donor-b') });
    expect(again.proposal?.version).toBe(2);

    // The verification delivered again plans nothing new.
    await redeliver(nats.url, 'NUANYANG_VERIFICATION', 'nuanyang.verification.request.verified', id);
    await drained(nats.url, [['NUANYANG_VERIFICATION', 'matching-verified']]);
    expect(await proposalsOf(id, 2)).toHaveLength(2);

    const matched = await eventually(async () => {
      const r = (await intake.getHelpRequest({ id }, { token: operatorToken })).helpRequest;
      return r?.status === HelpRequestStatus.HELP_REQUEST_STATUS_MATCHED ? r : undefined;
    });
    expect(matched.statusReason).toContain('1 of 1');
  });

  it('plans again without a donor that declined', async () => {
    await offer('org-near', ItemCategory.ITEM_CATEGORY_MEDICINE, 5, 'yanta', '小寨');
    await offer('org-far', ItemCategory.ITEM_CATEGORY_MEDICINE, 5, 'lintong', '骊山');
    const location = { district: 'yanta', community: '小寨', address: '1号楼', coordinates: undefined };
    const id = await verified({ needs: need(ItemCategory.ITEM_CATEGORY_MEDICINE, 5), location });
    const [near] = await proposalsOf(id, 1);
    expect(near?.supplierOrganisationId).toBe('org-near');
    expect(
      await codeOf(matching.rejectProposal({ id: near!.id, reason: '' }, { token: donor('org-near') })),
    ).toBe(status.INVALID_ARGUMENT);
    const { proposal: rejected } = await matching.rejectProposal(
      { id: near!.id, reason: 'van broke down' },
      { token: donor('org-near') },
    );
    expect(rejected?.status).toBe(ProposalStatus.PROPOSAL_STATUS_REJECTED);
    const all = await proposalsOf(id, 2);
    const replacement = all.find((p: MatchProposal) => p.id !== near!.id)!;
    expect(replacement).toMatchObject({
      supplierOrganisationId: 'org-far',
      proposedQuantity: 5,
      status: ProposalStatus.PROPOSAL_STATUS_PROPOSED,
    });
    expect(
      await codeOf(matching.acceptProposal({ id: near!.id, note: '' }, { token: donor('org-near') })),
    ).toBe(status.FAILED_PRECONDITION);
  });

  it('marks a need without stock unmatched with the reason', async () => {
    const id = await verified({ needs: need(ItemCategory.ITEM_CATEGORY_SHELTER, 3) });
    const unmatched = await eventually(async () => {
      const res = await matching.listOpenNeeds(
        { category: ItemCategory.ITEM_CATEGORY_SHELTER, district: '', unmatchedOnly: true },
        { token: operatorToken },
      );
      return res.needs.find((n) => n.helpRequestId === id);
    });
    expect(unmatched.unmatchedReason).toBe(UnmatchedReason.UNMATCHED_REASON_NO_STOCK);
    const res = await matching.listProposals(
      { statuses: [], supplierOrganisationId: '', helpRequestId: id },
      { token: operatorToken },
    );
    expect(res.proposals).toHaveLength(0);
  });

  it('lets an operator run the batch planner and match by hand', async () => {
    const plan = await matching.runBatchPlan({ dryRun: true }, { token: operatorToken });
    expect(plan.needsConsidered).toBeGreaterThan(0);
    expect(plan.proposalsCreated).toBe(0);
    expect(await codeOf(matching.runBatchPlan({ dryRun: true }, { token: partnerToken }))).toBe(
      status.PERMISSION_DENIED,
    );
    // While another replica holds the lease (a key in NATS KV), a plan is refused with ABORTED.
    const nc = await connect({ servers: nats.url });
    const leases = await new Kvm(nc).open('nuanyang_matching_leases');
    await leases.create('batch-plan', 'another-replica');
    expect(await codeOf(matching.runBatchPlan({ dryRun: true }, { token: operatorToken }))).toBe(
      status.ABORTED,
    );
    await leases.delete('batch-plan');
    await nc.close();
    expect(
      (await matching.runBatchPlan({ dryRun: true }, { token: operatorToken })).needsConsidered,
    ).toBeGreaterThan(0);

    const id = await verified({ needs: need(ItemCategory.ITEM_CATEGORY_HYGIENE, 4) });
    await eventually(async () => {
      const res = await matching.listOpenNeeds(
        { category: ItemCategory.ITEM_CATEGORY_HYGIENE, district: '', unmatchedOnly: true },
        { token: operatorToken },
      );
      return res.needs.find((n) => n.helpRequestId === id);
    });
    // Stock arrives and is matched automatically; a manual match for more than is open is refused.
    const { lots } = await offer('org-hygiene', ItemCategory.ITEM_CATEGORY_HYGIENE, 10, 'huyi', '龙窝村');
    const [auto] = await proposalsOf(id, 1);
    expect(auto?.proposedQuantity).toBe(4);
    const needId = auto!.needId;
    const manual = {
      idempotencyKey: `manual-${id}`,
      helpRequestId: id,
      needId,
      lines: [{ lotId: lots[0]!.id, quantity: 2 }],
      note: 'by hand',
    };
    expect(await codeOf(matching.proposeManualMatch(manual, { token: operatorToken }))).toBe(
      status.INVALID_ARGUMENT,
    );
  });
});
