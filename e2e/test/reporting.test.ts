import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { type ClientReadableStream, Metadata, status } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createClient, FIELD_VIOLATIONS_KEY } from '@nuanyang/grpc-kit';
import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { HelpRequestCancelled, HelpRequestReceived } from '@nuanyang/proto/nuanyang/intake/v1/events';
import {
  Coverage,
  HelpRequestCoverageChanged,
  MatchAccepted,
  MatchFulfilled,
} from '@nuanyang/proto/nuanyang/matching/v1/events';
import { SummaryUpdated } from '@nuanyang/proto/nuanyang/reporting/v1/events';
import {
  Dimension,
  type ExportCsvResponse,
  ExportKind,
  Granularity,
  Metric,
  ReportFilter,
  ReportingServiceClient,
  type StreamSummaryResponse,
  type Summary,
} from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import {
  HelpRequestRejected,
  HelpRequestVerified,
  VerificationTaskOpened,
} from '@nuanyang/proto/nuanyang/verification/v1/events';
import {
  DeliveryTaskAccepted,
  DeliveryTaskDelivered,
  DeliveryTaskTimedOut,
  OrganisationRegistered,
  VolunteerHoursRecorded,
} from '@nuanyang/proto/nuanyang/volunteer/v1/events';
import {
  type NatsServer,
  type ServiceProcess,
  serviceMain,
  spawnService,
  startNatsServer,
  TEST_JWT_SECRET,
  testServers,
} from '@nuanyang/testkit';
import { codeOf, drained, eventually, operatorToken, token } from './helpers';

/**
 * Reporting alone, fed a small hand-built set of real protobuf events on the real streams: every figure is
 * known exactly. Then every event again (new message ids, same event ids): nothing changes. Then its data
 * dropped and rebuilt by replaying the streams: the same figures.
 */

const T0 = Date.parse('2022-01-05T09:00:00+08:00');
const H = 3600_000;
const M = 60_000;
const at = (offset: number) => new Date(T0 + offset);
const food = ItemCategory.ITEM_CATEGORY_INSTANT_FOOD;
const medicine = ItemCategory.ITEM_CATEGORY_MEDICINE;

interface Published {
  subject: string;
  data: Uint8Array;
  eventId: string;
}
type Encoder<T> = { fromPartial(o: object): T; encode(m: T): { finish(): Uint8Array } };
const event = <T>(
  subject: string,
  type: Encoder<T>,
  eventId: string,
  when: Date,
  body: object,
): Published => ({
  subject,
  eventId,
  data: type.encode(type.fromPartial({ meta: { eventId, occurredAt: when }, ...body })).finish(),
});

const S = {
  received: 'nuanyang.intake.request.received',
  cancelled: 'nuanyang.intake.request.cancelled',
  opened: 'nuanyang.verification.task.opened',
  verified: 'nuanyang.verification.request.verified',
  rejected: 'nuanyang.verification.request.rejected',
  accepted: 'nuanyang.matching.proposal.accepted',
  fulfilled: 'nuanyang.matching.proposal.fulfilled',
  coverage: 'nuanyang.matching.request.coverage_changed',
  organisation: 'nuanyang.volunteer.organisation.registered',
  taskAccepted: 'nuanyang.volunteer.task.accepted',
  timedOut: 'nuanyang.volunteer.task.timed_out',
  delivered: 'nuanyang.volunteer.task.delivered',
  hours: 'nuanyang.volunteer.hours.recorded',
  summaryUpdated: 'nuanyang.reporting.summary.updated',
};

const received = (
  id: string,
  offset: number,
  district: string,
  org: string,
  urgency: Urgency,
  people: number,
  category = food,
) =>
  event(S.received, HelpRequestReceived, `${id}:1:0`, at(offset), {
    helpRequest: {
      id,
      version: 1,
      submittingOrganisationId: org,
      requester: { name: '王秀兰', phone: '13912345678' },
      location: { district, community: `${district}-村`, address: '幸福路 8 号 3 单元' },
      needs: [{ needId: 'n1', category, itemName: 'x', quantity: { amount: 40, unit: 'box' } }],
      urgency,
      peopleAffected: people,
      receivedAt: at(offset),
    },
  });
const opened = (task: string, request: string, offset: number, due: number) =>
  event(S.opened, VerificationTaskOpened, `${task}:1:0`, at(offset), {
    taskId: task,
    helpRequestId: request,
    dueAt: at(due),
  });
const verified = (
  request: string,
  task: string,
  offset: number,
  receivedOffset: number,
  district: string,
  urgency: Urgency,
  people: number,
  category: ItemCategory,
) =>
  event(S.verified, HelpRequestVerified, `${task}:3:0`, at(offset), {
    helpRequestId: request,
    taskId: task,
    correctedNeeds: [{ needId: 'n1', category, itemName: 'x', quantity: { amount: 40, unit: 'box' } }],
    urgency,
    location: { district, community: `${district}-村` },
    submittingOrganisationId: 'org-hub',
    peopleAffected: people,
    receivedAt: at(receivedOffset),
  });
const proposal = (
  id: string,
  request: string,
  supplier: string,
  category: ItemCategory,
  district: string,
  decided: number,
) => ({
  id,
  helpRequestId: request,
  needId: 'n1',
  category,
  needItemName: '方便面',
  requested: { amount: 40, unit: 'box' },
  supplierOrganisationId: supplier,
  lines: [
    { lotId: 'l1', quantity: 30, unit: 'box', unitValue: { currencyCode: 'CNY', minorUnits: 4500 } },
    { lotId: 'l2', quantity: 10, unit: 'box', unitValue: { currencyCode: 'CNY', minorUnits: 4500 } },
  ],
  dropoffLocation: { district, community: `${district}-村` },
  decidedAt: at(decided),
});
const deliveryTask = (
  id: string,
  proposalId: string,
  request: string,
  supplier: string,
  district: string,
  category: ItemCategory,
) => ({
  id,
  matchProposalId: proposalId,
  helpRequestId: request,
  supplierOrganisationId: supplier,
  items: [{ lotId: 'l1', category, itemName: 'x', quantity: { amount: 40, unit: 'box' } }],
  dropoffLocation: { district, community: `${district}-村` },
  personalDataRedacted: true,
});

/** Published newest stream first, so facts arrive before the requests they are about. */
const EVENTS: Published[] = [
  event(S.organisation, OrganisationRegistered, 'org-hub:1:0', at(-H), {
    organisation: { id: 'org-hub', name: '西安社区枢纽' },
  }),
  event(S.taskAccepted, DeliveryTaskAccepted, 'd1:3:0', at(3 * H), {
    task: deliveryTask('d1', 'p1', 'r1', 'org-donor', 'huyi', food),
    volunteerId: 'v1',
  }),
  event(S.taskAccepted, DeliveryTaskAccepted, 'd2:3:0', at(5 * H), {
    task: deliveryTask('d2', 'p2', 'r2', 'org-pharma', 'yanta', medicine),
    volunteerId: 'v2',
  }),
  event(S.timedOut, DeliveryTaskTimedOut, 'd2:4:0', at(6 * H), {
    task: deliveryTask('d2', 'p2', 'r2', 'org-pharma', 'yanta', medicine),
    volunteerId: 'v2',
  }),
  event(S.delivered, DeliveryTaskDelivered, 'd1:5:0', at(10 * H), {
    task: deliveryTask('d1', 'p1', 'r1', 'org-donor', 'huyi', food),
    volunteerId: 'v1',
  }),
  event(S.hours, VolunteerHoursRecorded, 'd1:5:1', at(10 * H), {
    volunteerId: 'v1',
    affiliationOrganisationId: 'org-volunteers',
    taskId: 'd1',
    startedAt: at(8.5 * H),
    endedAt: at(10 * H),
    duration: { seconds: 5400, nanos: 0 },
    district: 'huyi',
  }),
  event(S.fulfilled, MatchFulfilled, 'p1:3:0', at(10 * H + M), {
    proposal: proposal('p1', 'r1', 'org-donor', food, 'huyi', 2 * H),
  }),
  event(S.coverage, HelpRequestCoverageChanged, 'mc-r1:2:0', at(2 * H), {
    helpRequestId: 'r1',
    coverage: Coverage.COVERAGE_MATCHED,
  }),
  event(S.coverage, HelpRequestCoverageChanged, 'mc-r1:3:0', at(10 * H + 2 * M), {
    helpRequestId: 'r1',
    coverage: Coverage.COVERAGE_FULFILLED,
  }),
  event(S.accepted, MatchAccepted, 'p1:2:0', at(2 * H), {
    proposal: proposal('p1', 'r1', 'org-donor', food, 'huyi', 2 * H),
  }),
  event(S.accepted, MatchAccepted, 'p2:2:0', at(4 * H), {
    proposal: proposal('p2', 'r2', 'org-pharma', medicine, 'yanta', 4 * H),
  }),
  opened('t1', 'r1', 0, H),
  opened('t2', 'r2', H, 2 * H),
  opened('t3', 'r3', 2 * H, 2 * H + 10 * M),
  opened('t4', 'r4', 3 * H, 3 * H + 10 * M),
  opened('t5', 'r5', 4 * H, 4 * H + 30 * M),
  verified('r1', 't1', 30 * M, 0, 'huyi', Urgency.URGENCY_CRITICAL, 3, food),
  verified('r2', 't2', 3 * H, H, 'yanta', Urgency.URGENCY_HIGH, 5, medicine),
  event(S.rejected, HelpRequestRejected, 't3:3:0', at(2.5 * H), {
    helpRequestId: 'r3',
    taskId: 't3',
    reason: 'not eligible',
  }),
  received('r1', 0, 'huyi', 'org-hub', Urgency.URGENCY_CRITICAL, 2),
  received('r2', H, 'yanta', 'org-hub', Urgency.URGENCY_HIGH, 5, medicine),
  received('r3', 2 * H, 'yanta', 'org-other', Urgency.URGENCY_LOW, 1),
  received('r4', 3 * H, 'beilin', 'org-other', Urgency.URGENCY_MEDIUM, 1),
  received('r5', 4 * H, 'lianhu', 'org-hub', Urgency.URGENCY_CRITICAL, 4),
  event(S.cancelled, HelpRequestCancelled, 'r4:2:0', at(4 * H), { helpRequestId: 'r4', reason: 'solved' }),
];
/** Sent while a dashboard listens. */
const LATE = received('r6', 5 * H, 'yanta', 'org-hub', Urgency.URGENCY_HIGH, 2);

const dur = (ms: number) => ({ seconds: ms / 1000, nanos: 0 });
const cny = (minorUnits: number) => ({ currencyCode: 'CNY', minorUnits });

/** The figures of EVENTS, worked out by hand (see the unit tables for the same set). */
const EXPECTED: Summary = {
  asOf: at(10 * H + 2 * M),
  requests: {
    collected: 5,
    verified: 2,
    rejected: 1,
    duplicates: 0,
    unreachable: 0,
    cancelled: 1,
    matched: 2,
    fulfilled: 1,
    peopleHelped: 3,
    emergencyResponses: 3,
  },
  supplies: [
    { category: food, quantities: [{ amount: 40, unit: 'box' }], value: cny(180_000), deliveries: 1 },
  ],
  suppliesValue: cny(180_000),
  districtsReached: 1,
  communitiesReached: 1,
  activeVolunteers: 2,
  volunteerHours: 1.5,
  timeToVerify: { samples: 2, p50: dur(30 * M), p90: dur(2 * H) },
  timeToMatch: { samples: 2, p50: dur(H), p90: dur(1.5 * H) },
  timeToDeliver: { samples: 1, p50: dur(8 * H), p90: dur(8 * H) },
  sla: { verificationBreaches: 3, deliveryTimeouts: 1, verificationOverdueNow: 1 },
};

const DURABLES = (generation: number): [string, string][] =>
  ['intake', 'verification', 'matching', 'volunteer'].map((s) => [
    `NUANYANG_${s.toUpperCase()}`,
    `reporting-g${generation}-${s}`,
  ]);

/** Two processes starting at once on a busy 2-core machine may take longer than the default 30 s. */
const SLOW_START = { startTimeoutMs: 60_000 };

const viewerToken = token('viewer-1', 'civil-affairs', 'viewer');
const hubToken = token('partner-hub', 'org-hub', 'partner');

function bearer(t: string): Metadata {
  const md = new Metadata();
  md.set('authorization', `Bearer ${t}`);
  return md;
}

function readAll<T>(call: ClientReadableStream<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    call.on('data', (m: T) => out.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(out));
  });
}

/** RFC 4180 rows (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('reporting from events', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  /** Two replicas sharing the durables (and the database), as in a deployment. */
  let reporting: ServiceProcess;
  let replica: ServiceProcess | undefined;
  let client: ReturnType<typeof createClient<ReportingServiceClient>>;
  let clientB: ReturnType<typeof createClient<ReportingServiceClient>>;
  const updates: SummaryUpdated[] = [];

  const publish = async (events: Published[], msgIdPrefix = '') => {
    const js = jetstream(nc);
    for (const e of events) await js.publish(e.subject, e.data, { msgID: `${msgIdPrefix}${e.eventId}` });
  };
  const summary = async (filter: Partial<ReportFilter> = {}, t = operatorToken) =>
    (await client.getSummary({ filter: ReportFilter.fromPartial(filter) }, { token: t })).summary;
  const csv = async (kind: ExportKind) => {
    const chunks = await readAll<ExportCsvResponse>(
      client.raw.exportCsv({ kind, omitHxlRow: false }, bearer(viewerToken)),
    );
    return { chunks, text: Buffer.concat(chunks.map((c) => Buffer.from(c.data))).toString('utf8') };
  };
  /** Everything a caller can read, to compare before and after. */
  const everything = async () => ({
    summary: await summary(),
    hub: await summary({ organisationId: 'org-hub' }),
    breakdown: await client.getBreakdown(
      {
        dimensions: [
          Dimension.DIMENSION_ORGANISATION,
          Dimension.DIMENSION_DISTRICT,
          Dimension.DIMENSION_CATEGORY,
        ],
      },
      { token: operatorToken },
    ),
    csv: await Promise.all(
      [
        ExportKind.EXPORT_KIND_SUMMARY_BY_AREA,
        ExportKind.EXPORT_KIND_WHO_WHAT_WHERE,
        ExportKind.EXPORT_KIND_HELP_REQUESTS,
        ExportKind.EXPORT_KIND_DELIVERIES,
      ].map(async (k) => (await csv(k)).text),
    ),
  });

  /** Until both replicas count `collected` requests and agree on every figure. */
  const inStep = (collected: number) =>
    eventually(
      async () => {
        const [a, b] = await Promise.all(
          [client, clientB].map(async (c) => (await c.getSummary({}, { token: operatorToken })).summary),
        );
        return a?.requests?.collected === collected && JSON.stringify(a) === JSON.stringify(b)
          ? true
          : undefined;
      },
      15_000,
      'the replicas to agree',
    );

  beforeAll(async () => {
    nats = await startNatsServer();
    const env = { NATS_URL: nats.url, MONGO_DATABASE: `test_reporting_e2e_${process.pid}` };
    [reporting, replica] = await Promise.all([
      spawnService('reporting', env, SLOW_START),
      spawnService('reporting', env, SLOW_START),
    ]);
    client = createClient(ReportingServiceClient, reporting.address, { deadlineMs: 10_000 });
    clientB = createClient(ReportingServiceClient, replica.address, { deadlineMs: 10_000 });
    nc = await connect({ servers: nats.url });
    nc.subscribe(S.summaryUpdated, {
      callback: (_e, m) => {
        updates.push(SummaryUpdated.decode(m.data));
      },
    });
    // Reporting declared the streams at start-up; it has not seen a single event yet.
    await publish(EVENTS);
    await drained(nats.url, DURABLES(1));
    // Each replica stored some of the facts; SummaryUpdated makes the other reload them.
    await inStep(5);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    clientB?.close();
    await nc?.close();
    await Promise.all([reporting?.stop(), replica?.stop()]);
    await nats?.stop();
  });

  it('answers every summary figure exactly', async () => {
    expect(await summary()).toEqual(EXPECTED);
    // Reporting told the other replicas (and dashboards) about it.
    await eventually(
      async () => (updates.some((u) => u.summary?.requests?.collected === 5) ? true : undefined),
      5000,
    );
  });

  it('filters by district, time range and organisation', async () => {
    const yanta = await summary({ districts: ['yanta'] });
    expect(yanta?.requests).toMatchObject({
      collected: 2,
      verified: 1,
      rejected: 1,
      matched: 1,
      fulfilled: 0,
    });
    const morning = await summary({ from: at(H), to: at(3 * H) });
    expect(morning?.requests).toMatchObject({ collected: 2, verified: 0, rejected: 1, matched: 1 });
    const donor = await summary({ organisationId: 'org-donor' });
    expect(donor?.suppliesValue).toEqual(cny(180_000));
    expect(donor?.requests).toMatchObject({ collected: 1, fulfilled: 1, peopleHelped: 3 });
  });

  it('breaks figures down with names, page by page', async () => {
    const first = await client.getBreakdown(
      { dimensions: [Dimension.DIMENSION_DISTRICT], page: { pageSize: 2, pageToken: '' } },
      { token: viewerToken },
    );
    expect(first.rows.map((r) => [r.keys[0], r.labels[0]])).toEqual([
      ['beilin', '碑林区'],
      ['huyi', '鄠邑区'],
    ]);
    expect(first.rows[1]?.figures).toEqual({
      requestsCollected: 1,
      requestsVerified: 1,
      requestsMatched: 1,
      requestsFulfilled: 1,
      peopleHelped: 3,
      suppliesQuantities: [{ amount: 40, unit: 'box' }],
      suppliesValue: cny(180_000),
      deliveries: 1,
      volunteerHours: 1.5,
    });
    const rest = await client.getBreakdown(
      {
        dimensions: [Dimension.DIMENSION_DISTRICT],
        page: { pageSize: 2, pageToken: first.page?.nextPageToken ?? '' },
      },
      { token: viewerToken },
    );
    expect(rest.rows.map((r) => r.keys[0])).toEqual(['lianhu', 'yanta']);
    expect(rest.page?.nextPageToken).toBe('');
    const byOrg = await client.getBreakdown(
      { dimensions: [Dimension.DIMENSION_ORGANISATION] },
      { token: operatorToken },
    );
    expect(byOrg.rows.map((r) => [r.keys[0], r.labels[0]])).toContainEqual(['org-hub', '西安社区枢纽']);
  });

  it('gives a time series with every bucket, empty ones too', async () => {
    const res = await client.getTimeSeries(
      {
        filter: ReportFilter.fromPartial({
          from: new Date('2022-01-04T00:00:00+08:00'),
          to: new Date('2022-01-07T00:00:00+08:00'),
        }),
        granularity: Granularity.GRANULARITY_DAY,
        metrics: [Metric.METRIC_REQUESTS_COLLECTED, Metric.METRIC_SUPPLIES_VALUE],
        timeZone: '',
      },
      { token: operatorToken },
    );
    expect(
      res.series.map((s) => [s.metric, s.points.map((p) => [p.bucketStart?.toISOString(), p.value])]),
    ).toEqual([
      [
        Metric.METRIC_REQUESTS_COLLECTED,
        [
          ['2022-01-03T16:00:00.000Z', 0],
          ['2022-01-04T16:00:00.000Z', 5],
          ['2022-01-05T16:00:00.000Z', 0],
        ],
      ],
      [
        Metric.METRIC_SUPPLIES_VALUE,
        [
          ['2022-01-03T16:00:00.000Z', 0],
          ['2022-01-04T16:00:00.000Z', 180_000],
          ['2022-01-05T16:00:00.000Z', 0],
        ],
      ],
    ]);
  });

  it('exports each kind of CSV with a BOM, a header row and an HXL row, and no personal data', async () => {
    const expectations: [ExportKind, string, string[], string[]][] = [
      [
        ExportKind.EXPORT_KIND_SUMMARY_BY_AREA,
        'summary-by-area',
        ['#adm2+code', '#adm2+name', '#adm3+name'],
        ['huyi', '鄠邑区', 'huyi-村', '1', '1', '1', '1', '3', '3', '3', '1', '1800.00', '1.5'],
      ],
      [
        ExportKind.EXPORT_KIND_WHO_WHAT_WHERE,
        'who-what-where',
        ['#org+id', '#org+name', '#adm2+code', '#adm2+name', '#sector'],
        [
          'org-donor',
          '',
          'huyi',
          '鄠邑区',
          'ITEM_CATEGORY_INSTANT_FOOD',
          '0',
          '0',
          '0',
          '1',
          '40 box',
          '1800.00',
          '0',
        ],
      ],
      [
        ExportKind.EXPORT_KIND_HELP_REQUESTS,
        'help-requests',
        ['#meta+id', '#adm2+code', '#adm2+name', '#adm3+name', '#org+id', '#org+name', '#sector'],
        [
          'r1',
          'huyi',
          '鄠邑区',
          'huyi-村',
          'org-hub',
          '西安社区枢纽',
          'ITEM_CATEGORY_INSTANT_FOOD',
          'URGENCY_CRITICAL',
          '3',
          'fulfilled',
        ],
      ],
      [
        ExportKind.EXPORT_KIND_DELIVERIES,
        'deliveries',
        ['#activity+id', '#meta+id', '#date+delivered', '#adm2+code'],
        [
          'p1',
          'r1',
          '2022-01-05T19:01:00+08:00',
          'huyi',
          '鄠邑区',
          'huyi-村',
          'org-donor',
          '',
          'ITEM_CATEGORY_INSTANT_FOOD',
          '方便面',
          '40',
          'box',
          '1800.00',
        ],
      ],
    ];
    for (const [kind, stem, hxl, firstRow] of expectations) {
      const { chunks, text } = await csv(kind);
      expect(chunks[0]?.filename).toMatch(new RegExp(`^nuanyang-${stem}-\\d{8}\\.csv$`));
      expect(chunks.slice(1).every((c) => c.filename === '')).toBe(true);
      expect(text.startsWith('\uFEFF')).toBe(true);
      expect(text.endsWith('\r\n')).toBe(true);
      const rows = parseCsv(text.slice(1));
      expect(rows[1]?.slice(0, hxl.length)).toEqual(hxl);
      expect(rows[1]?.every((c) => c.startsWith('#'))).toBe(true);
      expect(rows[0]).toHaveLength(rows[1]?.length ?? 0);
      expect(
        rows
          .slice(2)
          .find((r) => r[0] === firstRow[0])
          ?.slice(0, firstRow.length),
      ).toEqual(firstRow);
      expect(text).not.toMatch(/13912345678|幸福路|王秀兰/);
    }
    const requests = parseCsv((await csv(ExportKind.EXPORT_KIND_HELP_REQUESTS)).text.slice(1));
    expect(requests.slice(2).map((r) => [r[0], r[9]])).toEqual([
      ['r1', 'fulfilled'],
      ['r2', 'matched'],
      ['r3', 'rejected'],
      ['r4', 'cancelled'],
      ['r5', 'received'],
    ]);
  });

  it('lets partners read their own organisation only, and names bad fields', async () => {
    expect((await summary({ organisationId: 'org-hub' }, hubToken))?.requests?.collected).toBe(3);
    expect(await codeOf(summary({}, hubToken))).toBe(status.PERMISSION_DENIED);
    expect(await codeOf(summary({ organisationId: 'org-other' }, hubToken))).toBe(status.PERMISSION_DENIED);
    expect(await codeOf(summary({}, token('v-1', 'org-volunteers', 'volunteer')))).toBe(
      status.PERMISSION_DENIED,
    );
    expect(await codeOf(client.getSummary({}, { token: '' }))).toBe(status.UNAUTHENTICATED);
    expect(await codeOf(summary({}, viewerToken))).toBe('resolved');

    const fieldsOf = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: { code: status; metadata: Metadata }) => e,
      );
      expect(err?.code).toBe(status.INVALID_ARGUMENT);
      return (JSON.parse(String(err?.metadata.get(FIELD_VIOLATIONS_KEY)[0])) as { field: string }[]).map(
        (v) => v.field,
      );
    };
    expect(await fieldsOf(summary({ from: at(H), to: at(0) }))).toEqual(['filter.to']);
    expect(await fieldsOf(summary({ districts: ['atlantis'] }))).toEqual(['filter.districts[0]']);
    expect(
      await fieldsOf(
        client.getBreakdown(
          { dimensions: [Dimension.DIMENSION_DISTRICT, Dimension.DIMENSION_DISTRICT] },
          { token: operatorToken },
        ),
      ),
    ).toEqual(['dimensions[1]']);
    expect(await fieldsOf(client.getBreakdown({ dimensions: [] }, { token: operatorToken }))).toEqual([
      'dimensions',
    ]);
    expect(
      await fieldsOf(
        client.getTimeSeries(
          { granularity: 0, metrics: [], timeZone: 'Mars/Olympus' },
          { token: operatorToken },
        ),
      ),
    ).toEqual(['filter.from', 'granularity', 'metrics', 'time_zone']);
    expect(
      await fieldsOf(
        client.getTimeSeries(
          {
            filter: ReportFilter.fromPartial({ from: at(0), to: at(2001 * H) }),
            granularity: Granularity.GRANULARITY_HOUR,
            metrics: [1],
            timeZone: '',
          },
          { token: operatorToken },
        ),
      ),
    ).toEqual(['filter']);
    await expect(
      readAll(client.raw.exportCsv({ kind: 0, omitHxlRow: false }, bearer(operatorToken))),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it('streams the summary, then an update after a new event', async () => {
    const call = client.raw.streamSummary(
      { filter: ReportFilter.fromPartial({}), minInterval: { seconds: 1, nanos: 0 } },
      bearer(viewerToken),
    );
    const seen: Summary[] = [];
    call.on('data', (m: StreamSummaryResponse) => m.summary && seen.push(m.summary));
    call.on('error', () => undefined);
    try {
      await eventually(async () => (seen.length > 0 ? true : undefined), 5000, 'the first summary');
      expect(seen[0]).toEqual(EXPECTED);
      await publish([LATE]);
      const updated = await eventually(
        async () => seen.find((s) => s.requests?.collected === 6),
        10_000,
        'an updated summary',
      );
      expect(updated.requests).toEqual({ ...EXPECTED.requests, collected: 6 });
    } finally {
      call.cancel();
    }
  });

  it('keeps two replicas sharing the durables in step: every fact once, the same figures', async () => {
    // New requests go to whichever replica pulls them; SummaryUpdated makes the other reload.
    const more = [7, 8, 9, 10].map((i) =>
      received(`r${i}`, 6 * H + i * M, 'changan', 'org-hub', Urgency.URGENCY_LOW, 1),
    );
    await publish([LATE, ...more]);
    await drained(nats.url, DURABLES(1));
    await inStep(10);
    const [a, b] = await Promise.all(
      [client, clientB].map(async (c) => (await c.getSummary({}, { token: operatorToken })).summary),
    );
    expect(a?.requests?.collected).toBe(10);
    expect(b).toEqual(a);
  });

  it('changes nothing when every event is delivered again, and rebuilds the same figures by replay', async () => {
    // (The late event again, in case this test runs alone: the server drops a second publish of it.)
    await publish([LATE]);
    await drained(nats.url, DURABLES(1));
    const before = await everything();
    expect(before.summary?.requests?.collected).toBeGreaterThanOrEqual(6);

    // The same events under new message ids: JetStream stores and delivers them again.
    await publish([...EVENTS, LATE], 'again-');
    await drained(nats.url, DURABLES(1));
    expect(await everything()).toEqual(before);

    // Drop reporting's data (every replica stopped), as README says, and start it again: it replays every
    // stream.
    await Promise.all([reporting.stop(), replica?.stop()]);
    replica = undefined;
    const env = {
      ...process.env,
      MONGO_URL: testServers().mongoUrl,
      MONGO_DATABASE: reporting.database,
      NATS_URL: nats.url,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      OTEL_SDK_DISABLED: 'true',
    };
    const script = path.join(path.dirname(serviceMain('reporting')), 'rebuild.js');
    const { stdout } = await promisify(execFile)(process.execPath, [script], { env });
    const done = JSON.parse(stdout.split('\n').find((l) => l.includes('read model dropped')) ?? '{}');
    expect(done).toMatchObject({
      generation: 1,
      factsDropped: true,
      durablesDeleted: DURABLES(1).map(([, durable]) => durable),
    });
    const fresh = await Promise.all([
      spawnService('reporting', { NATS_URL: nats.url, MONGO_DATABASE: reporting.database }, SLOW_START),
      // And a new generation beside it, in the same database: its own facts and durables, the same figures.
      spawnService(
        'reporting',
        {
          NATS_URL: nats.url,
          MONGO_DATABASE: reporting.database,
          READ_MODEL_GENERATION: '2',
        },
        SLOW_START,
      ),
    ]);
    const [rebuilt, nextGeneration] = fresh;
    reporting = rebuilt as ServiceProcess;
    client.close();
    client = createClient(ReportingServiceClient, reporting.address, { deadlineMs: 10_000 });
    const second = createClient(ReportingServiceClient, (nextGeneration as ServiceProcess).address, {
      deadlineMs: 10_000,
    });
    try {
      await drained(nats.url, [...DURABLES(1), ...DURABLES(2)]);
      expect(await everything()).toEqual(before);
      expect((await second.getSummary({}, { token: operatorToken })).summary).toEqual(before.summary);
    } finally {
      second.close();
      await (nextGeneration as ServiceProcess).stop();
    }
  }, 120_000);
});
