import { ROLES, type Role } from '@nuanyang/auth';
import {
  freePort,
  type ServiceProcess,
  type SpanCollector,
  spawnService,
  startNatsServer,
  startSpanCollector,
} from '@nuanyang/testkit';
import { eventually, helpRequestBody, http, token } from './helpers';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are read by path in expectations.
type Json = any;

/** Every operation of the REST API: the contract the console and partners build on. */
const OPERATIONS = [
  'POST /api/v1/help-requests',
  'GET /api/v1/help-requests',
  'GET /api/v1/help-requests/{id}',
  'POST /api/v1/help-requests/{id}/cancel',
  'GET /api/v1/verification-tasks',
  'GET /api/v1/verification-tasks/{id}',
  'POST /api/v1/verification-tasks/{taskId}/claim',
  'POST /api/v1/verification-tasks/{taskId}/release',
  'POST /api/v1/verification-tasks/{taskId}/outcome',
  'POST /api/v1/offers',
  'GET /api/v1/stock-lots',
  'GET /api/v1/stock-lots/{id}',
  'POST /api/v1/stock-lots/{lotId}/adjustments',
  'GET /api/v1/reservations/{reservationId}',
  'GET /api/v1/match-proposals',
  'GET /api/v1/match-proposals/{id}',
  'POST /api/v1/match-proposals',
  'POST /api/v1/match-proposals/{id}/accept',
  'POST /api/v1/match-proposals/{id}/reject',
  'GET /api/v1/open-needs',
  'POST /api/v1/batch-plans',
  'POST /api/v1/organisations',
  'GET /api/v1/organisations',
  'POST /api/v1/functional-groups',
  'GET /api/v1/functional-groups',
  'POST /api/v1/volunteers',
  'GET /api/v1/volunteers',
  'GET /api/v1/volunteers/{id}',
  'PUT /api/v1/volunteers/{volunteerId}/availability',
  'GET /api/v1/delivery-tasks',
  'GET /api/v1/delivery-tasks/{id}',
  'POST /api/v1/delivery-tasks/{taskId}/accept',
  'POST /api/v1/delivery-tasks/{taskId}/decline',
  'POST /api/v1/delivery-tasks/{taskId}/status-updates',
  'GET /api/v1/reports/summary',
  'GET /api/v1/reports/breakdown',
  'GET /api/v1/reports/time-series',
  'GET /api/v1/reports/csv',
  'GET /api/v1/dashboard/stream',
];

interface Operation {
  method: string;
  path: string;
  roles: Role[] | undefined;
  hasBody: boolean;
  hasQuery: boolean;
}

/** Generous: on a busy shared machine a service can take half a minute to start. */
const START_MS = 90_000;

const partner = token('partner-1', 'org-hub', 'partner');
const operator = token('operator-1', 'org-centre', 'operator');
const verifier = (n: number) => token(`verifier-${n}`, 'org-verifiers', 'verifier');

/**
 * The gateway's HTTP contract against real intake and verification processes (FerretDB and NATS real):
 * the OpenAPI document, auth and roles on every route, validation naming fields, gRPC errors mapped to
 * HTTP, rate limits, CORS, the body limit, readiness, one trace across gateway and service, and SIGTERM.
 */
describe('gateway', () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let spans: SpanCollector;
  const services: ServiceProcess[] = [];
  let gateway: ServiceProcess;
  let limited: ServiceProcess;
  let api: ReturnType<typeof http>;
  let operations: Operation[];
  let openapi: Record<string, Json>;

  beforeAll(async () => {
    nats = await startNatsServer();
    spans = await startSpanCollector();
    const [intake, verification] = await Promise.all([
      spawnService('intake', { NATS_URL: nats.url }, { spans, startTimeoutMs: START_MS }),
      spawnService('verification', { NATS_URL: nats.url }, { startTimeoutMs: START_MS }),
    ]);
    services.push(intake, verification);
    // Nothing listens on these: the services this file does not start answer UNAVAILABLE.
    const dead = `127.0.0.1:${await freePort()}`;
    const addresses = {
      INTAKE_ADDRESS: intake.address,
      VERIFICATION_ADDRESS: verification.address,
      INVENTORY_ADDRESS: dead,
      MATCHING_ADDRESS: dead,
      VOLUNTEER_ADDRESS: dead,
      REPORTING_ADDRESS: dead,
    };
    [gateway, limited] = await Promise.all([
      spawnService(
        'gateway',
        {
          ...addresses,
          READINESS_SERVICES: 'intake,verification',
          CORS_ORIGINS: 'https://console.example.org',
          BODY_LIMIT_BYTES: '4096',
          RATE_LIMIT_PER_MINUTE: '100000',
        },
        { spans, httpReadyPath: '/healthz', startTimeoutMs: START_MS },
      ),
      spawnService(
        'gateway',
        { ...addresses, RATE_LIMIT_PER_MINUTE: '3' },
        { httpReadyPath: '/healthz', startTimeoutMs: START_MS },
      ),
    ]);
    services.push(gateway, limited);
    api = http(`http://${gateway.address}`);

    openapi = (await api('GET', '/api/openapi.json')).body;
    operations = [];
    for (const [path, item] of Object.entries(openapi.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(item)) {
        const roles = /Roles: ([a-z, ]+)\./.exec(op.description ?? '')?.[1];
        operations.push({
          method: method.toUpperCase(),
          path,
          roles: roles && roles !== 'any authenticated caller' ? (roles.split(', ') as Role[]) : undefined,
          hasBody: op.requestBody !== undefined,
          hasQuery: (op.parameters ?? []).some((p: { in: string }) => p.in === 'query'),
        });
      }
    }
  }, 3 * START_MS);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await spans?.close();
    await nats?.stop();
  });

  /** A concrete URL for an OpenAPI path: every parameter `x`. */
  const concrete = (path: string) => path.replace(/\{\w+\}/g, 'x');

  it('publishes an OpenAPI 3 document listing every operation, with schemas from the protos', () => {
    expect(openapi.openapi).toMatch(/^3\./);
    expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual([...OPERATIONS].sort());
    expect(openapi.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const helpRequest = openapi.components.schemas['nuanyang.intake.v1.HelpRequest'];
    expect(helpRequest.properties.urgency).toEqual({
      $ref: '#/components/schemas/nuanyang.common.v1.Urgency',
    });
    expect(openapi.components.schemas['nuanyang.common.v1.Urgency'].enum).toContain('URGENCY_CRITICAL');
    const create = openapi.paths['/api/v1/help-requests'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['idempotencyKey', 'needs', 'urgency']),
    );
    expect(Object.keys(create.responses)).toEqual(
      expect.arrayContaining(['200', '201', '400', '401', '429']),
    );
    expect(create.responses['400'].content['application/problem+json']).toBeDefined();
  });

  it('serves interactive docs', async () => {
    const res = await api('GET', '/api/docs/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger');
  });

  it('refuses every operation without a valid token (401, WWW-Authenticate)', async () => {
    for (const op of operations) {
      const res = await api(op.method, concrete(op.path));
      expect([`${op.method} ${op.path}`, res.status]).toEqual([`${op.method} ${op.path}`, 401]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="nuanyang"');
    }
    const forged = await api('GET', '/api/v1/help-requests', { token: `${partner}x` });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(forged.body).toMatchObject({ status: 401, title: 'Authentication required' });
  });

  it('refuses every operation to a role it does not allow (403)', async () => {
    const checked = operations.filter((op) => op.roles);
    expect(checked.length).toBeGreaterThan(30);
    for (const op of checked) {
      const outsider = ROLES.find((r) => !op.roles?.includes(r)) as Role;
      const res = await api(op.method, concrete(op.path), { token: token('someone', 'org-x', outsider) });
      expect([`${op.method} ${op.path} as ${outsider}`, res.status]).toEqual([
        `${op.method} ${op.path} as ${outsider}`,
        403,
      ]);
      expect(res.body).toMatchObject({
        status: 403,
        detail: expect.stringContaining(op.roles?.[0] as string),
      });
    }
  });

  it('validates every body and query string, naming each bad field (400)', async () => {
    for (const op of operations) {
      const allowed = token('caller', 'org-y', op.roles?.[0] ?? 'operator');
      const url = concrete(op.path);
      if (op.hasBody) {
        const res = await api(op.method, url, { token: allowed, body: { notAField: 1 } });
        expect([`${op.method} ${op.path}`, res.status]).toEqual([`${op.method} ${op.path}`, 400]);
        expect(res.body.errors).toEqual(
          expect.arrayContaining([{ field: 'notAField', in: 'body', message: 'is not a known field' }]),
        );
      }
      if (op.hasQuery) {
        const res = await api(op.method, `${url}?notAParam=1`, { token: allowed });
        expect([`${op.method} ${op.path}`, res.status]).toEqual([`${op.method} ${op.path}`, 400]);
        expect(res.body.errors).toEqual(
          expect.arrayContaining([{ field: 'notAParam', in: 'query', message: 'is not a known field' }]),
        );
      }
    }
  });

  it('names nested fields and missing ones in one problem', async () => {
    const body = helpRequestBody({
      urgency: 'VERY',
      needs: [{ category: 'ITEM_CATEGORY_INSTANT_FOOD', quantity: { amount: 'lots', unit: 'box' } }],
    });
    delete body.channel;
    const res = await api('POST', '/api/v1/help-requests', { token: partner, body });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      type: expect.stringContaining('invalid-request'),
      title: 'Invalid request',
      status: 400,
      instance: '/api/v1/help-requests',
    });
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['channel', 'urgency', 'needs[0].quantity.amount']));

    const list = await api('GET', '/api/v1/help-requests?urgency=SOON&pageSize=many', { token: operator });
    expect(list.status).toBe(400);
    expect((list.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
      'pageSize',
      'urgency',
    ]);
  });

  it("passes the service's field violations on in JSON names", async () => {
    const body = helpRequestBody({ requester: { name: '王', phone: '12' }, peopleAffected: 0 });
    const res = await api('POST', '/api/v1/help-requests', { token: partner, body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_ARGUMENT');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'requester.phone', message: expect.any(String) },
        { field: 'peopleAffected', message: expect.any(String) },
      ]),
    );
  });

  it('submits, replays, reads, lists and cancels help requests; maps NOT_FOUND and ALREADY_EXISTS', async () => {
    const body = helpRequestBody();
    const created = await api<{ helpRequest: Record<string, Json>; replayed?: boolean }>(
      'POST',
      '/api/v1/help-requests',
      { token: partner, body },
    );
    expect(created.status).toBe(201);
    const hr = created.body.helpRequest;
    expect(hr).toMatchObject({
      status: 'HELP_REQUEST_STATUS_RECEIVED',
      urgency: 'URGENCY_HIGH',
      submittingOrganisationId: 'org-hub',
      personalDataRedacted: true,
    });
    expect(hr.requester.phone).toBeUndefined();

    const replay = await api('POST', '/api/v1/help-requests', { token: partner, body });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ replayed: true, helpRequest: { id: hr.id } });
    const conflict = await api('POST', '/api/v1/help-requests', {
      token: partner,
      body: { ...body, peopleAffected: 3 },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ code: 'ALREADY_EXISTS', title: 'Conflict' });

    // Operators see the personal data the partner does not.
    const seen = await api<{ helpRequest: Record<string, Json> }>('GET', `/api/v1/help-requests/${hr.id}`, {
      token: operator,
    });
    expect(seen.status).toBe(200);
    expect(seen.body.helpRequest.requester.phone).toBe(body.requester && (body.requester as Json).phone);

    const missing = await api('GET', '/api/v1/help-requests/hr-does-not-exist', { token: operator });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });

    const listed = await api<{ helpRequests: { id: string }[] }>(
      'GET',
      `/api/v1/help-requests?statuses=HELP_REQUEST_STATUS_RECEIVED&statuses=HELP_REQUEST_STATUS_VERIFIED&district=huyi&submittingOrganisationId=org-hub&pageSize=200`,
      { token: operator },
    );
    expect(listed.status).toBe(200);
    expect(listed.body.helpRequests.map((r) => r.id)).toContain(hr.id);
    const elsewhere = await api<{ helpRequests?: unknown[] }>('GET', '/api/v1/help-requests?district=yanta', {
      token: operator,
    });
    expect(elsewhere.body.helpRequests ?? []).toHaveLength(0);

    const noReason = await api('POST', `/api/v1/help-requests/${hr.id}/cancel`, { token: partner, body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual([{ field: 'reason', in: 'body', message: 'is required' }]);
    const otherOrg = await api('POST', `/api/v1/help-requests/${hr.id}/cancel`, {
      token: token('partner-9', 'org-other', 'partner'),
      body: { reason: 'not ours' },
    });
    expect(otherOrg.status).toBe(403);
    expect(otherOrg.body.code).toBe('PERMISSION_DENIED');
    const cancelled = await api('POST', `/api/v1/help-requests/${hr.id}/cancel`, {
      token: partner,
      body: { reason: 'family brought food' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ helpRequest: { status: 'HELP_REQUEST_STATUS_CANCELLED' } });
  });

  it('runs the call-back queue: claim, a second claim refused (409), outcome recorded', async () => {
    const created = await api<{ helpRequest: { id: string } }>('POST', '/api/v1/help-requests', {
      token: partner,
      body: helpRequestBody({ urgency: 'URGENCY_CRITICAL' }),
    });
    const taskId = `vt-${created.body.helpRequest.id}`;
    const task = await eventually(async () => {
      const res = await api('GET', `/api/v1/verification-tasks/${taskId}`, { token: verifier(1) });
      return res.status === 200 ? res.body : undefined;
    });
    expect(task).toMatchObject({ task: { status: 'TASK_STATUS_OPEN', urgency: 'URGENCY_CRITICAL' } });
    const queue = await api<{ tasks: { id: string }[] }>(
      'GET',
      '/api/v1/verification-tasks?statuses=TASK_STATUS_OPEN&pageSize=500',
      { token: verifier(1) },
    );
    expect(queue.body.tasks.map((t) => t.id)).toContain(taskId);

    const claimed = await api('POST', `/api/v1/verification-tasks/${taskId}/claim`, { token: verifier(1) });
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ task: { status: 'TASK_STATUS_CLAIMED', claimedBy: 'verifier-1' } });
    const taken = await api('POST', `/api/v1/verification-tasks/${taskId}/claim`, { token: verifier(2) });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('FAILED_PRECONDITION');

    const outcome = await api('POST', `/api/v1/verification-tasks/${taskId}/outcome`, {
      token: verifier(1),
      body: { idempotencyKey: `outcome-${taskId}`, verified: { note: 'confirmed by phone' } },
    });
    expect(outcome.status).toBe(200);
    expect(outcome.body).toMatchObject({
      task: { status: 'TASK_STATUS_COMPLETED', outcome: 'OUTCOME_VERIFIED' },
    });
  });

  it('answers 503 when a service is down, 404 as a problem for an unknown route', async () => {
    const down = await api('GET', '/api/v1/stock-lots', { token: operator });
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    const unknown = await api('GET', '/api/v1/nothing-here', { token: operator });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
  });

  it('limits each organisation (429 with Retry-After), anonymous callers by address', async () => {
    const base = `http://${limited.address}`;
    const call = (t?: string) =>
      fetch(`${base}/api/v1/help-requests?pageSize=1`, {
        headers: t ? { authorization: `Bearer ${t}` } : {},
      });
    const busy = token('partner-busy', 'org-busy', 'partner');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(busy)).status);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses[3]).toBe(429);
    const refused = await call(token('partner-busy-2', 'org-busy', 'partner'));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(await refused.json()).toMatchObject({ status: 429, title: 'Too many requests' });
    // Another organisation has its own budget.
    expect((await call(token('partner-calm', 'org-calm', 'partner'))).status).toBe(200);
  });

  it('allows the configured origins only (CORS)', async () => {
    const preflight = await fetch(`http://${gateway.address}/api/v1/help-requests`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://console.example.org',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://console.example.org');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const simple = await api('GET', '/api/v1/help-requests', {
      token: operator,
      headers: { origin: 'https://console.example.org' },
    });
    expect(simple.headers.get('access-control-allow-origin')).toBe('https://console.example.org');
    expect(simple.headers.get('access-control-expose-headers')).toContain('retry-after');
    const stranger = await api('GET', '/api/v1/help-requests', {
      token: operator,
      headers: { origin: 'https://evil.example.com' },
    });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a body over the limit (413)', async () => {
    const res = await api('POST', '/api/v1/help-requests', {
      token: partner,
      body: helpRequestBody({ description: 'x'.repeat(5000) }),
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ status: 413, title: 'Request body too large' });
  });

  it('reports ready only when the services it needs are SERVING', async () => {
    const ready = await api('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ready',
      services: { intake: 'SERVING', verification: 'SERVING' },
    });
    const notReady = await http(`http://${limited.address}`)('GET', '/readyz');
    expect(notReady.status).toBe(503);
    expect((notReady.body.services as Record<string, string>).inventory).toMatch(/^error/);
  });

  it('traces a request from the HTTP route through the service in one trace', async () => {
    // The caller's own trace context: the gateway continues it, and so does every service it calls.
    const traceId = [...Array(32)].map(() => Math.floor(Math.random() * 16).toString(16)).join('');
    const res = await api('POST', '/api/v1/help-requests', {
      token: partner,
      body: helpRequestBody(),
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(201);
    const server = await spans.waitFor(
      (s) =>
        s.serviceName === 'intake' &&
        s.kind === 'SERVER' &&
        s.name.endsWith('/CreateHelpRequest') &&
        s.traceId === traceId,
    );
    const inTrace = await spans.waitUntil((all) =>
      all.some((s) => s.serviceName === 'gateway' && s.kind === 'SERVER' && s.traceId === traceId),
    );
    const gateway = inTrace.filter((s) => s.serviceName === 'gateway' && s.traceId === traceId);
    const httpServer = gateway.find((s) => s.kind === 'SERVER');
    expect(httpServer).toMatchObject({
      name: 'POST /api/v1/help-requests',
      parentSpanId: '00f067aa0ba902b7',
    });
    // @fastify/otel's route span, and below it the gRPC client span that is the service span's parent.
    expect(gateway.some((s) => s.scope === '@fastify/otel')).toBe(true);
    const client = gateway.find((s) => s.spanId === server.parentSpanId);
    expect(client).toMatchObject({
      kind: 'CLIENT',
      name: 'grpc.nuanyang.intake.v1.IntakeService/CreateHelpRequest',
    });
  });

  it('stops on SIGTERM', async () => {
    await limited.stop();
    expect(limited.logs()).toContain('"msg":"stopped"');
  });
});
