/**
 * Matching's data layer, measured side by side in one run: the matching service as built here against a
 * baseline build of it (e.g. the release before the JetStream store), each with its own nats-server and the
 * same inventory build, on the suite's FerretDB.
 *
 * Per side: N verified requests published at once (one need of 5 boxes each, stock registered first), the
 * time until every one has its proposal (verified → proposed, throughput); ListProposals and ListOpenNeeds
 * latency with N proposals open; every proposal accepted by its supplier with 16 in flight (AcceptProposal
 * throughput, p50/p99, errors). Prints a table with the ratio current/baseline and writes
 * bench/results/matching-store.json.
 *
 *   node bench/dist/matching-store.js [--requests 300] [--baseline /path/to/services/matching/dist/main.js]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { issueToken } from '@nuanyang/auth';
import { canonicalSubject, SUBJECTS } from '@nuanyang/bus';
import { createClient } from '@nuanyang/grpc-kit';
import { ItemCategory, Need, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  InventoryServiceClient,
  RegisterOfferRequest,
} from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { MatchProposed } from '@nuanyang/proto/nuanyang/matching/v1/events';
import { MatchingServiceClient, ProposalStatus } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { HelpRequestVerified } from '@nuanyang/proto/nuanyang/verification/v1/events';
import { spawnService, startNatsServer, startSuiteServers, TEST_JWT_SECRET } from '@nuanyang/testkit';
import { round2, type Summary, summarise } from './load';

const DONORS = 10;
const NEED_BOXES = 5;
const IN_FLIGHT = 16;
const QUERY_SAMPLES = 50;
const FOOD = ItemCategory.ITEM_CATEGORY_INSTANT_FOOD;

const operator = issueToken(
  { subject: 'bench-operator', organisationId: 'org-centre', roles: ['operator'] },
  TEST_JWT_SECRET,
);
const donor = (n: number) => `org-bench-donor-${n}`;
const supplier = (org: string) =>
  issueToken({ subject: `${org}-staff`, organisationId: org, roles: ['supplier'] }, TEST_JWT_SECRET);

interface SideResult {
  side: string;
  requests: number;
  proposedPerSecond: number;
  proposedAllMs: number;
  listProposalsMs: Summary;
  listOpenNeedsMs: Summary;
  acceptPerSecond: number;
  acceptMs: Summary;
  acceptErrors: number;
}

async function measure(side: string, entry: string | undefined, requests: number): Promise<SideResult> {
  const nats = await startNatsServer();
  const inventoryProcess = await spawnService('inventory', { NATS_URL: nats.url });
  const matchingProcess = await spawnService(
    'matching',
    { NATS_URL: nats.url, INVENTORY_ADDRESS: inventoryProcess.address },
    entry ? { entry } : {},
  );
  const inventory = createClient(InventoryServiceClient, inventoryProcess.address, { deadlineMs: 30_000 });
  const matching = createClient(MatchingServiceClient, matchingProcess.address, { deadlineMs: 60_000 });
  const nc = await connect({ servers: nats.url });
  try {
    // Stock for every need, and some to spare, from ten donors.
    const perDonor = Math.ceil((requests * NEED_BOXES * 1.2) / DONORS);
    for (let d = 0; d < DONORS; d++) {
      await inventory.registerOffer(
        RegisterOfferRequest.fromPartial({
          idempotencyKey: `bench-offer-${d}`,
          donorOrganisationId: donor(d),
          lines: [
            {
              category: FOOD,
              itemName: '方便面',
              quantity: { amount: perDonor, unit: 'box' },
              unitValue: { currencyCode: 'CNY', minorUnits: 4500 },
              expiresAt: new Date(Date.now() + 30 * 86400_000),
            },
          ],
          pickupLocation: { district: 'yanta', community: `仓库${d}`, address: '长安中路 1 号' },
          pickupContact: { name: '李经理', phone: '13912345678' },
        }),
        { token: supplier(donor(d)) },
      );
    }
    // Inventory's list may follow its writes a moment behind: start once it shows every lot.
    await until(async () => {
      const res = await inventory.listStock(
        {
          page: { pageSize: 100, pageToken: '' },
          category: FOOD,
          district: '',
          expiringBefore: undefined,
          availableOnly: true,
          donorOrganisationId: '',
        },
        { token: operator },
      );
      return res.lots.length >= DONORS;
    }, 'the lots to be listed');

    // verified → proposed: every request published at once, timed until each has a proposal.
    const proposals = new Map<string, { id: string; supplier: string }>();
    const sub = nc.subscribe('nuanyang.matching.>');
    const watching = (async () => {
      for await (const m of sub) {
        if (canonicalSubject(m.subject) !== SUBJECTS.matching.proposed) continue;
        const p = MatchProposed.decode(m.data).proposal;
        if (p && !proposals.has(p.helpRequestId))
          proposals.set(p.helpRequestId, { id: p.id, supplier: p.supplierOrganisationId });
      }
    })();
    const js = (await jetstreamManager(nc)).jetstream();
    const started = Date.now();
    await Promise.all(
      Array.from({ length: requests }, (_, i) => {
        const helpRequestId = `hr-bench-${i}`;
        const e = HelpRequestVerified.fromPartial({
          meta: { eventId: `bench-verified-${i}`, occurredAt: new Date() },
          helpRequestId,
          submittingOrganisationId: 'org-hub',
          urgency: Urgency.URGENCY_HIGH,
          priorityScore: 10 + (i % 50),
          location: { district: 'yanta', community: `小寨${i % 7}`, address: '' },
          receivedAt: new Date(),
          correctedNeeds: [
            Need.fromPartial({
              needId: `${helpRequestId}-n1`,
              category: FOOD,
              itemName: '方便面',
              quantity: { amount: NEED_BOXES, unit: 'box' },
            }),
          ],
        });
        return js.publish(SUBJECTS.verification.verified, HelpRequestVerified.encode(e).finish(), {
          msgID: `bench-verified-${i}`,
        });
      }),
    );
    await until(async () => proposals.size >= requests, `${requests} proposals`, 30 * 60_000);
    const proposedAllMs = Date.now() - started;
    sub.unsubscribe();
    await watching;

    // Queries with every proposal open (the match board's two lists).
    const listProposalsMs = await timed(() =>
      matching.listProposals(
        {
          page: { pageSize: 100, pageToken: '' },
          statuses: [ProposalStatus.PROPOSAL_STATUS_PROPOSED],
          supplierOrganisationId: donor(0),
          helpRequestId: '',
        },
        { token: operator },
      ),
    );
    const listOpenNeedsMs = await timed(() =>
      matching.listOpenNeeds(
        { page: { pageSize: 100, pageToken: '' }, category: 0, district: '', unmatchedOnly: false },
        { token: operator },
      ),
    );

    // Every proposal accepted by its supplier, 16 in flight.
    const queue = [...proposals.values()];
    const acceptDurations: number[] = [];
    let acceptErrors = 0;
    const acceptStarted = Date.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let p = queue.shift(); p; p = queue.shift()) {
          const t0 = performance.now();
          try {
            await matching.acceptProposal({ id: p.id, note: '' }, { token: supplier(p.supplier) });
            acceptDurations.push(performance.now() - t0);
          } catch {
            acceptErrors += 1;
          }
        }
      }),
    );
    const acceptWindow = Date.now() - acceptStarted;
    return {
      side,
      requests,
      proposedPerSecond: round2((requests * 1000) / proposedAllMs),
      proposedAllMs,
      listProposalsMs,
      listOpenNeedsMs,
      acceptPerSecond: round2((acceptDurations.length * 1000) / acceptWindow),
      acceptMs: summarise(acceptDurations),
      acceptErrors,
    };
  } finally {
    inventory.close();
    matching.close();
    await nc.close();
    await matchingProcess.stop();
    await inventoryProcess.stop();
    await nats.stop();
  }
}

async function timed(call: () => Promise<unknown>): Promise<Summary> {
  const durations: number[] = [];
  for (let i = 0; i < QUERY_SAMPLES; i++) {
    const t0 = performance.now();
    await call();
    durations.push(performance.now() - t0);
  }
  return summarise(durations);
}

async function until(ok: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { requests: { type: 'string', default: '300' }, baseline: { type: 'string' } },
  });
  const requests = Number(values.requests);
  if (!Number.isInteger(requests) || requests < 1) throw new Error('--requests must be a whole number ≥ 1');
  if (values.baseline && !fs.existsSync(values.baseline))
    throw new Error(`--baseline ${values.baseline} is missing`);
  const servers = await startSuiteServers();
  const results: SideResult[] = [];
  try {
    if (values.baseline) results.push(await measure('baseline', values.baseline, requests));
    results.push(await measure('current', undefined, requests));
  } finally {
    await servers.stop();
  }
  const [base, current] = results.length === 2 ? results : [undefined, results[0]];
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a && b ? `${round2(a / b)}×` : '';
  const rows: [string, (r: SideResult) => number | null, boolean][] = [
    ['verified → proposed, per second', (r) => r.proposedPerSecond, true],
    ['ListProposals p50, ms', (r) => r.listProposalsMs.p50, false],
    ['ListOpenNeeds p50, ms', (r) => r.listOpenNeedsMs.p50, false],
    ['AcceptProposal, per second (16 in flight)', (r) => r.acceptPerSecond, true],
    ['AcceptProposal p50, ms', (r) => r.acceptMs.p50, false],
    ['AcceptProposal p99, ms', (r) => r.acceptMs.p99, false],
    ['AcceptProposal errors', (r) => r.acceptErrors, false],
  ];
  console.log(`\n| matching, ${requests} requests | baseline | current | current vs baseline |`);
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, pick, higherIsBetter] of rows) {
    const b = base ? pick(base) : null;
    const c = current ? pick(current) : null;
    const better = higherIsBetter ? ratio(c, b) : ratio(b, c);
    console.log(`| ${name} | ${b ?? '–'} | ${c ?? '–'} | ${better ? `${better} better` : ''} |`);
  }
  const out = path.join(__dirname, '..', 'results', 'matching-store.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(
    out,
    `${JSON.stringify({ measuredAt: new Date().toISOString(), baseline: values.baseline ?? null, results }, null, 2)}\n`,
  );
  console.log(`\nwritten ${path.relative(process.cwd(), out)}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
