import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { canonicalSubject, SUBJECTS } from '@nuanyang/bus';
import { createClient } from '@nuanyang/grpc-kit';
import { ItemCategory, Need, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { InventoryServiceClient } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { MatchingServiceClient, ProposalStatus } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { HelpRequestVerified } from '@nuanyang/proto/nuanyang/verification/v1/events';
import { DeliveryTaskDelivered } from '@nuanyang/proto/nuanyang/volunteer/v1/events';
import { type ServiceProcess, spawnService, startNatsServer } from '@nuanyang/testkit';
import { codeOf, eventually, offerRequest, operatorToken, supplierToken } from './helpers';

const FOOD = ItemCategory.ITEM_CATEGORY_INSTANT_FOOD;
const DONOR = 'org-crash-donor';

/**
 * kill -9 between the steps of matching's cross-service operations (hold points, MATCHING_HOLD_AT): a
 * proposal after inventory reserved its stock, an acceptance after its intent is recorded and again after
 * inventory committed the stock, and a delivery's fulfilment after its append but before its event is
 * acknowledged. After each restart nothing is lost, nothing doubled and no stock is stuck.
 */
describe('matching killed between the steps of an acceptance and of a delivery', () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let inventoryProcess: ServiceProcess;
  let matchingProcess: ServiceProcess | undefined;
  let inventory: ReturnType<typeof createClient<InventoryServiceClient>>;
  let matching: ReturnType<typeof createClient<MatchingServiceClient>> | undefined;

  beforeAll(async () => {
    nats = await startNatsServer();
    inventoryProcess = await spawnService('inventory', { NATS_URL: nats.url });
    inventory = createClient(InventoryServiceClient, inventoryProcess.address, { deadlineMs: 10_000 });
  });

  afterAll(async () => {
    matching?.close();
    inventory?.close();
    await matchingProcess?.stop();
    await inventoryProcess?.stop();
    await nats?.stop();
  });

  /**
   * (Re)starts matching on the same database, stopping at `holdAt`. A restarted one resumes what a crash left
   * after two seconds; the first never (its own sweep would finish what it holds at before the kill).
   */
  async function startMatching(
    holdAt: string,
  ): Promise<ReturnType<typeof createClient<MatchingServiceClient>>> {
    matching?.close();
    matchingProcess = await spawnService('matching', {
      NATS_URL: nats.url,
      INVENTORY_ADDRESS: inventoryProcess.address,
      MATCHING_HOLD_AT: holdAt,
      SWEEP_INTERVAL_MS: '300',
      // Long enough for a step this test holds at to stay unfinished until the kill.
      RESUME_AFTER_MS: matchingProcess ? '2000' : '600000',
      ...(matchingProcess ? { MONGO_DATABASE: matchingProcess.database } : {}),
    });
    matching = createClient(MatchingServiceClient, matchingProcess.address, { deadlineMs: 20_000 });
    return matching;
  }

  /** Waits until the running matching process stops at `point`, then kills it with SIGKILL. */
  async function killAt(point: string): Promise<void> {
    const process = matchingProcess as ServiceProcess;
    await eventually(
      async () => process.logs().includes(`"hold":"${point}"`) || undefined,
      30_000,
      `hold at ${point}`,
    );
    await process.kill();
  }

  /** Publishes an event of another service under its plain subject, as a service not yet moved would. */
  async function publish(subject: string, data: Uint8Array, id: string): Promise<void> {
    const nc = await connect({ servers: nats.url });
    try {
      await (await jetstreamManager(nc)).jetstream().publish(subject, data, { msgID: id });
    } finally {
      await nc.close();
    }
  }

  /** How many events of one canonical subject matching stored about `about`. */
  async function count(subject: string, about: string): Promise<number> {
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const { state } = await jsm.streams.info('NUANYANG_MATCHING');
      let n = 0;
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        const m = await jsm.streams.getMessage('NUANYANG_MATCHING', { seq }).catch(() => null);
        if (m && canonicalSubject(m.subject) === subject && Buffer.from(m.data).includes(Buffer.from(about)))
          n++;
      }
      return n;
    } finally {
      await nc.close();
    }
  }

  const lot = async (id: string) =>
    (await inventory.getLot({ id, includeLedger: false }, { token: operatorToken })).lot!;
  const proposal = async (id: string) =>
    (await (matching as NonNullable<typeof matching>).getProposal({ id }, { token: operatorToken }))
      .proposal!;

  it('proposes once, accepts once and fulfils once across four crashes', async () => {
    const offered = await inventory.registerOffer(
      offerRequest([{ category: FOOD, quantity: { amount: 30, unit: 'box' } }], {
        donorOrganisationId: DONOR,
      }),
      { token: supplierToken(DONOR) },
    );
    const lotId = offered.lots[0]!.id;
    await startMatching('propose.reserved');
    const helpRequestId = `hr-crash${process.pid}`;
    await publish(
      SUBJECTS.verification.verified,
      HelpRequestVerified.encode(
        HelpRequestVerified.fromPartial({
          meta: { eventId: `verified-${helpRequestId}` },
          helpRequestId,
          submittingOrganisationId: 'org-hub',
          urgency: Urgency.URGENCY_HIGH,
          priorityScore: 20,
          location: { district: 'yanta', community: '小寨社区', address: '' },
          correctedNeeds: [
            Need.fromPartial({
              needId: `${helpRequestId}-n1`,
              category: FOOD,
              itemName: '方便面',
              quantity: { amount: 10, unit: 'box' },
            }),
          ],
        }),
      ).finish(),
      `verified-${helpRequestId}`,
    );
    // 1. Killed after inventory reserved the proposal's stock, before matching recorded the proposal.
    await killAt('propose.reserved');
    expect(await lot(lotId)).toMatchObject({ available: 20, reserved: 10 });

    // The restarted process records it (reserving again finds the same reservation).
    let client = await startMatching('accept.recorded');
    const proposed = await eventually(async () => {
      const res = await client.listProposals(
        { statuses: [], supplierOrganisationId: '', helpRequestId },
        { token: operatorToken },
      );
      return res.proposals[0];
    });
    expect(await lot(lotId)).toMatchObject({ available: 20, reserved: 10, committed: 0 });
    expect(await count(SUBJECTS.matching.proposed, proposed.id)).toBe(1);

    // 2. Killed after the acceptance is recorded, before inventory commits.
    const call = codeOf(
      client.acceptProposal({ id: proposed.id, note: 'loading' }, { token: supplierToken(DONOR) }),
    );
    await killAt('accept.recorded');
    expect(await call).not.toBe('resolved');
    expect(await lot(lotId)).toMatchObject({ available: 20, reserved: 10, committed: 0 });

    // 3. The restarted process resumes it and is killed after inventory committed, before matching settles.
    client = await startMatching('accept.committed');
    await killAt('accept.committed');
    expect(await lot(lotId)).toMatchObject({ available: 20, reserved: 0, committed: 10 });

    // 4. The next one finishes: accepted once, committed once, announced once.
    client = await startMatching('delivered.recorded');
    const accepted = await eventually(async () => {
      const p = await proposal(proposed.id);
      return p.status === ProposalStatus.PROPOSAL_STATUS_ACCEPTED ? p : undefined;
    });
    expect(accepted).toMatchObject({ version: 2, decidedBy: `supplier-${DONOR}-1`, statusReason: 'loading' });
    expect(await lot(lotId)).toMatchObject({ available: 20, reserved: 0, committed: 10 });
    expect(await count(SUBJECTS.matching.accepted, proposed.id)).toBe(1);
    // The supplier's retry finds it done.
    const retried = await client.acceptProposal(
      { id: proposed.id, note: 'loading' },
      { token: supplierToken(DONOR) },
    );
    expect(retried.proposal).toMatchObject({ status: ProposalStatus.PROPOSAL_STATUS_ACCEPTED, version: 2 });

    // 5. Killed after the fulfilment is appended, before the delivery event is acknowledged: redelivered.
    await publish(
      SUBJECTS.volunteer.taskDelivered,
      DeliveryTaskDelivered.encode(
        DeliveryTaskDelivered.fromPartial({
          meta: { eventId: `delivered-${proposed.id}` },
          task: { id: `dt-${proposed.id}`, matchProposalId: proposed.id, helpRequestId },
          volunteerId: 'vol-crash',
        }),
      ).finish(),
      `delivered-${proposed.id}`,
    );
    await killAt('delivered.recorded');
    client = await startMatching('');
    // The server redelivers once the ack wait (30 s) is over; the second append is nothing.
    await eventually(
      async () => {
        const nc = await connect({ servers: nats.url });
        try {
          const c = await (await jetstreamManager(nc)).consumers.info(
            'NUANYANG_VOLUNTEER',
            'matching-delivered',
          );
          return c.num_pending + c.num_ack_pending === 0 || undefined;
        } finally {
          await nc.close();
        }
      },
      60_000,
      'the delivery event to be redelivered and acknowledged',
    );
    expect(await proposal(proposed.id)).toMatchObject({
      status: ProposalStatus.PROPOSAL_STATUS_FULFILLED,
      version: 3,
    });
    expect(await count(SUBJECTS.matching.fulfilled, proposed.id)).toBe(1);
    expect(await count(SUBJECTS.matching.coverageChanged, helpRequestId)).toBe(2); // matched, then fulfilled
    expect(await lot(lotId)).toMatchObject({ available: 20, reserved: 0, committed: 10 });
  }, 180_000);
});
