import {
  type ServiceProcess,
  type SpanCollector,
  spawnService,
  startNatsServer,
  startSpanCollector,
} from '@nuanyang/testkit';
import { eventually, helpRequestBody, http, offerBody, token } from './helpers';

/** Generous: on a busy shared machine a service can take half a minute to start. */
const START_MS = 90_000;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read by path in expectations.
type Json = any;

const operator = token('operator-1', 'org-centre', 'operator');
const partner = token('partner-1', 'org-hub', 'partner');
const verifier = token('verifier-1', 'org-verifiers', 'verifier');
const supplier = token('supplier-1', 'org-donor-gw', 'supplier');
const driver = token('driver-gw-1', 'org-team', 'volunteer');
const viewer = token('viewer-1', 'org-civil-affairs', 'viewer');

/**
 * The whole loop through the REST API, against all six services as processes (FerretDB and NATS real):
 * organisations and volunteers, an offer and its ledger, a request verified by phone, the proposal accepted,
 * the delivery made by a volunteer, and the figures: summary, breakdown, time series, CSV and the live stream.
 */
describe('the loop through the gateway', () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let spans: SpanCollector;
  const services: ServiceProcess[] = [];
  let api: ReturnType<typeof http>;
  let base: string;

  beforeAll(async () => {
    nats = await startNatsServer();
    spans = await startSpanCollector();
    const env = { NATS_URL: nats.url };
    const opts = { startTimeoutMs: START_MS };
    const [intake, verification, inventory, reporting] = await Promise.all([
      spawnService('intake', env, opts),
      spawnService('verification', env, opts),
      spawnService('inventory', env, opts),
      spawnService('reporting', { ...env, SUMMARY_PUBLISH_INTERVAL_MS: '200' }, opts),
    ]);
    services.push(intake, verification, inventory, reporting);
    const [matching, volunteer] = await Promise.all([
      spawnService('matching', { ...env, INVENTORY_ADDRESS: inventory.address }, opts),
      spawnService('volunteer', { ...env, INTAKE_ADDRESS: intake.address }, opts),
    ]);
    services.push(matching, volunteer);
    const gateway = await spawnService(
      'gateway',
      {
        INTAKE_ADDRESS: intake.address,
        VERIFICATION_ADDRESS: verification.address,
        INVENTORY_ADDRESS: inventory.address,
        MATCHING_ADDRESS: matching.address,
        VOLUNTEER_ADDRESS: volunteer.address,
        REPORTING_ADDRESS: reporting.address,
        SSE_HEARTBEAT_MS: '300',
      },
      { httpReadyPath: '/readyz', startTimeoutMs: START_MS, spans },
    );
    services.push(gateway);
    base = `http://${gateway.address}`;
    api = http(base);
  }, 3 * START_MS);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await spans?.close();
    await nats?.stop();
  });

  it('takes a request from submission to delivery, and the figures follow', async () => {
    // Organisations and a functional group.
    const suffix = `${process.pid}-${Date.now()}`;
    const org = await api<Json>('POST', '/api/v1/organisations', {
      token: operator,
      body: {
        idempotencyKey: `org-${suffix}`,
        name: `西安志愿车队 ${suffix}`,
        type: 'ORGANISATION_TYPE_VOLUNTEER_TEAM',
        districts: ['huyi'],
      },
    });
    expect(org.status).toBe(201);
    const group = await api<Json>('POST', '/api/v1/functional-groups', {
      token: operator,
      body: {
        idempotencyKey: `grp-${suffix}`,
        name: `物流组 ${suffix}`,
        leadOrganisationIds: [org.body.organisation.id],
      },
    });
    expect(group.status).toBe(201);
    const groups = await api<Json>(
      'GET',
      `/api/v1/organisations?functionalGroupId=${group.body.functionalGroup.id}`,
      {
        token: viewer,
      },
    );
    expect(groups.body.organisations.map((o: Json) => o.id)).toEqual([org.body.organisation.id]);

    // A driver registers themself and is available now.
    const now = Date.now();
    const registered = await api<Json>('POST', '/api/v1/volunteers', {
      token: driver,
      body: {
        idempotencyKey: `vol-${suffix}`,
        contact: { name: '张师傅', phone: '13700001111' },
        skills: ['SKILL_DRIVER', 'SKILL_LOADER'],
        vehicle: { type: 'VEHICLE_TYPE_VAN', capacityKg: 800, hasTravelPass: true },
        districts: ['huyi'],
      },
    });
    expect(registered.status).toBe(201);
    const availability = await api<Json>('PUT', '/api/v1/volunteers/me/availability', {
      token: driver,
      body: {
        windows: [
          { start: new Date(now - 3600_000).toISOString(), end: new Date(now + 3 * 3600_000).toISOString() },
        ],
      },
    });
    expect(availability.status).toBe(200);
    expect((await api<Json>('GET', '/api/v1/volunteers/me', { token: driver })).body.volunteer).toMatchObject(
      {
        userId: 'driver-gw-1',
        availability: [expect.anything()],
      },
    );

    // A donor's offer, its lot and ledger; a loss recorded; an adjustment that would oversell refused.
    const offer = await api<Json>('POST', '/api/v1/offers', {
      token: supplier,
      body: offerBody('org-donor-gw', 21),
    });
    expect(offer.status).toBe(201);
    const lotId = offer.body.lots[0].id;
    const adjusted = await api<Json>('POST', `/api/v1/stock-lots/${lotId}/adjustments`, {
      token: supplier,
      body: { idempotencyKey: `adj-${suffix}`, delta: -1, reason: 'ADJUSTMENT_REASON_DAMAGED' },
    });
    expect(adjusted.status).toBe(200);
    expect(adjusted.body.lot).toMatchObject({ available: 20, adjusted: 1 });
    const oversold = await api<Json>('POST', `/api/v1/stock-lots/${lotId}/adjustments`, {
      token: supplier,
      body: {
        idempotencyKey: `adj2-${suffix}`,
        delta: -1000,
        reason: 'ADJUSTMENT_REASON_LOST',
        note: 'gone',
      },
    });
    expect(oversold.status).toBe(409);
    const lot = await api<Json>('GET', `/api/v1/stock-lots/${lotId}?includeLedger=true`, { token: operator });
    expect(lot.body.ledger.map((e: Json) => e.kind)).toEqual([
      'LEDGER_ENTRY_KIND_RECEIVED',
      'LEDGER_ENTRY_KIND_ADJUSTED',
    ]);
    // Lists read inventory's read model, a moment behind the writes.
    await eventually(async () => {
      const stock = await api<Json>(
        'GET',
        '/api/v1/stock-lots?category=ITEM_CATEGORY_INSTANT_FOOD&availableOnly=true&donorOrganisationId=org-donor-gw',
        { token: partner },
      );
      return stock.body.lots.map((l: Json) => l.id).join() === lotId ? true : undefined;
    });

    // A request for all of it, verified by phone.
    const created = await api<Json>('POST', '/api/v1/help-requests', {
      token: partner,
      body: helpRequestBody({
        needs: [
          {
            category: 'ITEM_CATEGORY_INSTANT_FOOD',
            itemName: '方便面',
            quantity: { amount: 20, unit: 'box' },
          },
        ],
      }),
    });
    expect(created.status).toBe(201);
    const requestId = created.body.helpRequest.id;
    const taskId = `vt-${requestId}`;
    await eventually(async () => {
      const res = await api('POST', `/api/v1/verification-tasks/${taskId}/claim`, { token: verifier });
      return res.status === 200 ? res : undefined;
    });
    const verified = await api<Json>('POST', `/api/v1/verification-tasks/${taskId}/outcome`, {
      token: verifier,
      body: { idempotencyKey: `ok-${taskId}`, verified: { note: 'confirmed' } },
    });
    expect(verified.body.task.outcome).toBe('OUTCOME_VERIFIED');

    // Matching proposes the donor's lot; the donor sees it and its reservation, and accepts.
    const proposal = await eventually(
      async () =>
        (await api<Json>('GET', `/api/v1/match-proposals?helpRequestId=${requestId}`, { token: supplier }))
          .body.proposals?.[0],
      30_000,
      'a proposal',
    );
    expect(proposal).toMatchObject({ supplierOrganisationId: 'org-donor-gw', proposedQuantity: 20 });
    const reservation = await api<Json>('GET', `/api/v1/reservations/${proposal.reservationId}`, {
      token: supplier,
    });
    expect(reservation.body.reservation).toMatchObject({ status: 'RESERVATION_STATUS_ACTIVE' });
    const accepted = await api<Json>('POST', `/api/v1/match-proposals/${proposal.id}/accept`, {
      token: supplier,
      body: { note: 'ready at the warehouse' },
    });
    expect(accepted.body.proposal.status).toBe('PROPOSAL_STATUS_ACCEPTED');
    const lateReject = await api<Json>('POST', `/api/v1/match-proposals/${proposal.id}/reject`, {
      token: supplier,
      body: { reason: 'changed our mind' },
    });
    expect(lateReject.status).toBe(409);
    const unknownNeed = await api<Json>('POST', '/api/v1/match-proposals', {
      token: operator,
      body: {
        idempotencyKey: `man-${suffix}`,
        helpRequestId: 'hr-missing',
        needId: 'n1',
        lines: [{ lotId, quantity: 1 }],
      },
    });
    expect(unknownNeed.status).toBe(404);
    const plan = await api<Json>('POST', '/api/v1/batch-plans', { token: operator, body: { dryRun: true } });
    expect(plan.status).toBe(200);
    expect(plan.body.planId).toEqual(expect.any(String));
    expect((await api('GET', '/api/v1/open-needs?unmatchedOnly=true', { token: viewer })).status).toBe(200);

    // The driver is offered the delivery, takes it, picks it up and delivers it.
    const task = await eventually(
      async () =>
        (await api<Json>('GET', '/api/v1/delivery-tasks?volunteerId=me', { token: driver })).body.tasks?.[0],
      30_000,
      'a delivery task offered to the driver',
    );
    expect(task).toMatchObject({ status: 'DELIVERY_TASK_STATUS_OFFERED', helpRequestId: requestId });
    // The holder now sees the requester's phone (false and empty values are left out of proto3 JSON).
    const held = (await api<Json>('POST', `/api/v1/delivery-tasks/${task.id}/accept`, { token: driver })).body
      .task;
    expect(held).toMatchObject({
      status: 'DELIVERY_TASK_STATUS_ACCEPTED',
      recipient: { phone: expect.any(String) },
    });
    expect(held.personalDataRedacted).toBeUndefined();
    const update = (n: number, change: Record<string, unknown>) =>
      api<Json>('POST', `/api/v1/delivery-tasks/${task.id}/status-updates`, {
        token: driver,
        body: { idempotencyKey: `upd-${n}-${task.id}`, ...change },
      });
    expect((await update(1, { pickedUp: {} })).body.task.status).toBe('DELIVERY_TASK_STATUS_PICKED_UP');
    expect((await update(2, { delivered: { proofNote: '交给王阿姨本人' } })).body.task.status).toBe(
      'DELIVERY_TASK_STATUS_DELIVERED',
    );
    await eventually(async () => {
      const hr = await api<Json>('GET', `/api/v1/help-requests/${requestId}`, { token: partner });
      return hr.body.helpRequest.status === 'HELP_REQUEST_STATUS_FULFILLED' ? hr : undefined;
    });

    // The figures.
    const summary = await eventually(async () => {
      const res = await api<Json>('GET', '/api/v1/reports/summary?districts=huyi', { token: viewer });
      return res.body.summary?.requests?.fulfilled >= 1 ? res.body.summary : undefined;
    });
    expect(summary.requests).toMatchObject({
      collected: 1,
      verified: 1,
      matched: 1,
      fulfilled: 1,
      peopleHelped: 2,
    });
    const breakdown = await api<Json>(
      'GET',
      '/api/v1/reports/breakdown?dimensions=DIMENSION_DISTRICT&dimensions=DIMENSION_CATEGORY',
      { token: viewer },
    );
    expect(breakdown.body.rows[0]).toMatchObject({ keys: ['huyi', 'ITEM_CATEGORY_INSTANT_FOOD'] });
    const from = new Date(now - 3600_000).toISOString();
    const series = await api<Json>(
      'GET',
      `/api/v1/reports/time-series?from=${from}&granularity=GRANULARITY_HOUR&metrics=METRIC_REQUESTS_COLLECTED`,
      { token: viewer },
    );
    expect(series.status).toBe(200);
    expect(series.body.series[0].metric).toBe('METRIC_REQUESTS_COLLECTED');
    const badSeries = await api<Json>('GET', '/api/v1/reports/time-series?granularity=GRANULARITY_HOUR', {
      token: viewer,
    });
    expect(badSeries.status).toBe(400);
  });

  it('downloads a CSV report as an attachment', async () => {
    const res = await fetch(`${base}/api/v1/reports/csv?kind=EXPORT_KIND_HELP_REQUESTS`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="nuanyang-.+\.csv"$/);
    const text = await res.text();
    expect(text.split('\r\n')[1]).toContain('#adm2');
    const bad = await fetch(`${base}/api/v1/reports/csv`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).errors[0].field).toBe('kind');
  });

  it('streams the live summary as server-sent events, with the token in the query', async () => {
    expect((await fetch(`${base}/api/v1/dashboard/stream`)).status).toBe(401);
    const abort = new AbortController();
    const res = await fetch(`${base}/api/v1/dashboard/stream?access_token=${viewer}&districts=huyi`, {
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!(text.includes('event: summary') && text.includes(': heartbeat'))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const event = text.split('\n\n').find((e) => e.includes('event: summary')) as string;
    const data = JSON.parse(
      event
        .split('\n')
        .find((l) => l.startsWith('data: '))
        ?.slice(6) as string,
    );
    expect(data.requests.collected).toBeGreaterThanOrEqual(1);
    abort.abort();
    await reader.cancel().catch(() => undefined);
    // The client went away: the gateway cancelled its gRPC stream (the call's client span ended, CANCELLED).
    const streamCall = await spans.waitFor(
      (s) => s.serviceName === 'gateway' && s.kind === 'CLIENT' && s.name.endsWith('/StreamSummary'),
    );
    expect(streamCall.attributes['rpc.grpc.status_code']).toBe(1);
    // A viewer's stream is refused to a role that may not read figures.
    const volunteerStream = await fetch(`${base}/api/v1/dashboard/stream?access_token=${driver}`);
    expect(volunteerStream.status).toBe(403);
  });
});
