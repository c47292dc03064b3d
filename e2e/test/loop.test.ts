import { type Metadata, status } from '@grpc/grpc-js';
import { FIELD_VIOLATIONS_KEY } from '@nuanyang/grpc-kit';
import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { HelpRequestStatus } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { Outcome, TaskStatus } from '@nuanyang/proto/nuanyang/verification/v1/verification';
import {
  type ServiceProcess,
  type SpanCollector,
  spawnService,
  startNatsServer,
  startSpanCollector,
} from '@nuanyang/testkit';
import {
  codeOf,
  eventually,
  helpRequest,
  intakeClient,
  operatorToken,
  otherPartnerToken,
  partnerToken,
  token,
  verificationClient,
  verifierToken,
} from './helpers';

/** Intake and verification as real processes on real FerretDB and NATS, traced to an OTLP collector. */
describe('intake → verification → intake', () => {
  let spans: SpanCollector;
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let intake: ServiceProcess;
  let verification: ServiceProcess;
  let intakeApi: ReturnType<typeof intakeClient>;
  let verificationApi: ReturnType<typeof verificationClient>;

  beforeAll(async () => {
    spans = await startSpanCollector();
    nats = await startNatsServer();
    [intake, verification] = await Promise.all([
      spawnService('intake', { NATS_URL: nats.url }, { spans }),
      spawnService('verification', { NATS_URL: nats.url }, { spans }),
    ]);
    intakeApi = intakeClient(intake.address);
    verificationApi = verificationClient(verification.address);
  });

  afterAll(async () => {
    intakeApi?.close();
    verificationApi?.close();
    await Promise.all([intake?.stop(), verification?.stop()]);
    await nats?.stop();
    await spans?.close();
  });

  it('creates, opens a task, verifies, and intake follows — in one trace across both services', async () => {
    const created = await intakeApi.createHelpRequest(helpRequest(), { token: partnerToken });
    const hr = created.helpRequest!;
    expect(hr.status).toBe(HelpRequestStatus.HELP_REQUEST_STATUS_RECEIVED);
    expect(created.replayed).toBe(false);
    expect(hr.id).toMatch(/^hr-/);

    const taskId = `vt-${hr.id}`;
    const opened = await eventually(
      () => verificationApi.getTask({ id: taskId }, { token: verifierToken() }).then((r) => r.task),
      20_000,
      'the verification task',
    );
    expect(opened.status).toBe(TaskStatus.TASK_STATUS_OPEN);
    expect(opened.helpRequestId).toBe(hr.id);

    // The verifier phones the requester (the phone is visible to verifiers), then records the outcome.
    const seen = await intakeApi.getHelpRequest({ id: hr.id }, { token: verifierToken() });
    expect(seen.helpRequest?.requester?.phone).toMatch(/^1\d{10}$/);
    await verificationApi.claimTask({ taskId }, { token: verifierToken() });
    const outcome = await verificationApi.recordOutcome(
      {
        taskId,
        idempotencyKey: 'outcome-loop-1',
        outcome: { $case: 'verified', value: { correctedNeeds: [], note: 'confirmed by phone' } },
      },
      { token: verifierToken() },
    );
    expect(outcome.task?.outcome).toBe(Outcome.OUTCOME_VERIFIED);

    const verified = await eventually(async () => {
      const r = await intakeApi.getHelpRequest({ id: hr.id }, { token: operatorToken });
      return r.helpRequest?.status === HelpRequestStatus.HELP_REQUEST_STATUS_VERIFIED
        ? r.helpRequest
        : undefined;
    });
    expect(verified.version).toBeGreaterThan(hr.version);

    // The create call's trace reaches verification through NATS (producer → consumer spans) ...
    const createServer = await spans.waitFor(
      (s) => s.serviceName === 'intake' && s.kind === 'SERVER' && s.name.endsWith('/CreateHelpRequest'),
    );
    const received = await spans.waitFor(
      (s) =>
        s.serviceName === 'verification' &&
        s.kind === 'CONSUMER' &&
        s.name === 'process nuanyang.intake.request.received' &&
        s.traceId === createServer.traceId,
    );
    // Its log line carries the same trace id.
    expect(intake.logs()).toContain(`"trace_id":"${createServer.traceId}"`);
    // The store's append is the publish: its producer span is the consumer's parent.
    const producer = spans.spans().find((s) => s.spanId === received.parentSpanId);
    expect(producer).toMatchObject({
      serviceName: 'intake',
      kind: 'PRODUCER',
      traceId: createServer.traceId,
    });
    // ... and the outcome call's trace reaches intake the same way.
    const outcomeServer = await spans.waitFor(
      (s) => s.serviceName === 'verification' && s.kind === 'SERVER' && s.name.endsWith('/RecordOutcome'),
    );
    await spans.waitFor(
      (s) =>
        s.serviceName === 'intake' &&
        s.kind === 'CONSUMER' &&
        s.name === 'process nuanyang.verification.request.verified' &&
        s.traceId === outcomeServer.traceId,
    );
  });

  it('returns the first result for a retried key and refuses the key with another body', async () => {
    const request = helpRequest();
    const first = await intakeApi.createHelpRequest(request, { token: partnerToken });
    const retry = await intakeApi.createHelpRequest(request, { token: partnerToken });
    expect(retry.replayed).toBe(true);
    expect(retry.helpRequest).toEqual(
      first.helpRequest && { ...first.helpRequest, priorityScore: retry.helpRequest?.priorityScore },
    );
    const changed = { ...request, peopleAffected: request.peopleAffected + 1 };
    expect(await codeOf(intakeApi.createHelpRequest(changed, { token: partnerToken }))).toBe(
      status.ALREADY_EXISTS,
    );
    // The same key from another organisation is another request.
    const other = await intakeApi.createHelpRequest(request, { token: otherPartnerToken });
    expect(other.replayed).toBe(false);
    expect(other.helpRequest?.id).not.toBe(first.helpRequest?.id);
  });

  it('answers INVALID_ARGUMENT naming each bad field, and stores nothing', async () => {
    const bad = helpRequest({ needs: [] });
    bad.requester = { name: '', phone: '12345' };
    bad.location = { district: 'atlantis', community: '村', address: '1号', coordinates: undefined };
    let error: { code: status; details: string; metadata: Metadata } | undefined;
    await intakeApi.createHelpRequest(bad, { token: partnerToken }).catch((e) => {
      error = e;
    });
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    const violations = JSON.parse(String(error?.metadata.get(FIELD_VIOLATIONS_KEY)[0])) as {
      field: string;
    }[];
    expect(violations.map((v) => v.field).sort()).toEqual([
      'location.district',
      'needs',
      'requester.name',
      'requester.phone',
    ]);
    expect(error?.details).toContain('requester.phone');
    const listed = await intakeApi.listHelpRequests(
      { statuses: [], district: 'atlantis', category: 0, urgency: 0, submittingOrganisationId: '' },
      { token: operatorToken },
    );
    expect(listed.helpRequests).toHaveLength(0);
  });

  it('checks tokens and roles', async () => {
    expect(await codeOf(intakeApi.createHelpRequest(helpRequest()))).toBe(status.UNAUTHENTICATED);
    expect(await codeOf(intakeApi.createHelpRequest(helpRequest(), { token: 'not-a-jwt' }))).toBe(
      status.UNAUTHENTICATED,
    );
    expect(
      await codeOf(intakeApi.createHelpRequest(helpRequest(), { token: token('v', 'o', 'viewer') })),
    ).toBe(status.PERMISSION_DENIED);
    expect(await codeOf(verificationApi.claimTask({ taskId: 'vt-x' }, { token: partnerToken }))).toBe(
      status.PERMISSION_DENIED,
    );
    // Operators may claim and record too (the contract's roles): they get past the role check to NOT_FOUND.
    expect(await codeOf(verificationApi.claimTask({ taskId: 'vt-x' }, { token: operatorToken }))).toBe(
      status.NOT_FOUND,
    );
    expect(await codeOf(intakeApi.getHelpRequest({ id: 'hr-missing' }, { token: operatorToken }))).toBe(
      status.NOT_FOUND,
    );
  });

  it('redacts personal data for partners, suppliers and viewers, not for operators and verifiers', async () => {
    const submitted = helpRequest();
    const { helpRequest: hr } = await intakeApi.createHelpRequest(submitted, { token: partnerToken });
    // The partner that submitted it gets its own answer redacted too: it already holds the data.
    expect(hr?.personalDataRedacted).toBe(true);
    for (const t of [partnerToken, token('s', 'org-donor', 'supplier'), token('c', 'org-ca', 'viewer')]) {
      const seen = (await intakeApi.getHelpRequest({ id: hr!.id }, { token: t })).helpRequest!;
      expect(seen.personalDataRedacted).toBe(true);
      expect(seen.requester?.phone).toBe('');
      expect(seen.location?.address).toBe('');
      expect(seen.location?.coordinates).toBeUndefined();
      expect(seen.location?.district).toBe('huyi');
      const listed = await intakeApi.listHelpRequests(
        {
          statuses: [],
          district: '',
          category: 0,
          urgency: 0,
          submittingOrganisationId: '',
          page: { pageSize: 200, pageToken: '' },
        },
        { token: t },
      );
      expect(listed.helpRequests.every((r) => r.personalDataRedacted && r.requester?.phone === '')).toBe(
        true,
      );
    }
    for (const t of [operatorToken, verifierToken()]) {
      const seen = (await intakeApi.getHelpRequest({ id: hr!.id }, { token: t })).helpRequest!;
      expect(seen.personalDataRedacted).toBe(false);
      expect(seen.requester).toEqual(submitted.requester);
      expect(seen.location).toEqual(submitted.location);
    }
  });

  it('lists with filters and page tokens, highest priority first', async () => {
    const district = 'lintong';
    const made = [];
    for (const urgency of [
      Urgency.URGENCY_LOW,
      Urgency.URGENCY_CRITICAL,
      Urgency.URGENCY_MEDIUM,
      Urgency.URGENCY_HIGH,
    ]) {
      const location = { district, community: '骊山街道', address: `${urgency}号`, coordinates: undefined };
      made.push(
        (await intakeApi.createHelpRequest(helpRequest({ urgency, location }), { token: partnerToken }))
          .helpRequest!,
      );
    }
    const filter = { statuses: [], district, category: 0, urgency: 0, submittingOrganisationId: '' };
    // Lists read the read model, which the projector brings up to date a moment after each write.
    await eventually(async () => {
      const res = await intakeApi.listHelpRequests(
        { ...filter, page: { pageSize: 10, pageToken: '' } },
        { token: operatorToken },
      );
      return res.helpRequests.length === made.length ? true : undefined;
    });
    const ids: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const res = await intakeApi.listHelpRequests(
        { ...filter, page: { pageSize: 3, pageToken } },
        { token: operatorToken },
      );
      ids.push(...res.helpRequests.map((r) => r.id));
      pageToken = res.page?.nextPageToken ?? '';
      pages++;
    } while (pageToken !== '');
    expect(pages).toBe(2);
    const byUrgency = [...made].sort((a, b) => b.urgency - a.urgency).map((r) => r.id);
    expect(ids).toEqual(byUrgency);

    const critical = await intakeApi.listHelpRequests(
      { ...filter, urgency: Urgency.URGENCY_CRITICAL },
      { token: operatorToken },
    );
    expect(critical.helpRequests.map((r) => r.id)).toEqual([made[1]?.id]);
    const water = await intakeApi.listHelpRequests(
      { ...filter, category: ItemCategory.ITEM_CATEGORY_DRINKING_WATER },
      { token: operatorToken },
    );
    expect(water.helpRequests).toHaveLength(0);
    const received = await intakeApi.listHelpRequests(
      {
        ...filter,
        statuses: [HelpRequestStatus.HELP_REQUEST_STATUS_RECEIVED],
        submittingOrganisationId: 'org-hub',
      },
      { token: operatorToken },
    );
    expect(received.helpRequests).toHaveLength(4);
    expect(
      await codeOf(
        intakeApi.listHelpRequests(
          { ...filter, page: { pageSize: 0, pageToken: 'garbage' } },
          { token: operatorToken },
        ),
      ),
    ).toBe(status.INVALID_ARGUMENT);

    // Verification's queue for the same requests: most urgent (earliest due) first.
    const taskIds = new Set(made.map((r) => `vt-${r.id}`));
    const queue = await eventually(async () => {
      const res = await verificationApi.listTasks(
        {
          statuses: [TaskStatus.TASK_STATUS_OPEN],
          overdueOnly: false,
          page: { pageSize: 200, pageToken: '' },
        },
        { token: verifierToken() },
      );
      const ours = res.tasks.filter((t) => taskIds.has(t.id));
      return ours.length === 4 ? ours : undefined;
    });
    expect(queue.map((t) => t.helpRequestId)).toEqual(byUrgency);
  });

  it('cancels idempotently, only for its organisation, and never a rejected request', async () => {
    const { helpRequest: hr } = await intakeApi.createHelpRequest(helpRequest(), { token: partnerToken });
    expect(
      await codeOf(intakeApi.cancelHelpRequest({ id: hr!.id, reason: 'x' }, { token: otherPartnerToken })),
    ).toBe(status.PERMISSION_DENIED);
    expect(
      await codeOf(intakeApi.cancelHelpRequest({ id: hr!.id, reason: '' }, { token: partnerToken })),
    ).toBe(status.INVALID_ARGUMENT);
    const first = await intakeApi.cancelHelpRequest(
      { id: hr!.id, reason: 'neighbours helped' },
      { token: partnerToken },
    );
    const again = await intakeApi.cancelHelpRequest(
      { id: hr!.id, reason: 'neighbours helped' },
      { token: partnerToken },
    );
    expect(first.helpRequest?.status).toBe(HelpRequestStatus.HELP_REQUEST_STATUS_CANCELLED);
    expect(again.helpRequest?.version).toBe(first.helpRequest?.version);

    const { helpRequest: rejected } = await intakeApi.createHelpRequest(helpRequest(), {
      token: partnerToken,
    });
    const taskId = `vt-${rejected!.id}`;
    await eventually(() =>
      verificationApi.getTask({ id: taskId }, { token: verifierToken(2) }).then((r) => r.task),
    );
    await verificationApi.claimTask({ taskId }, { token: verifierToken(2) });
    await verificationApi.recordOutcome(
      {
        taskId,
        idempotencyKey: 'outcome-reject-1',
        outcome: { $case: 'rejected', value: { reason: 'no such address' } },
      },
      { token: verifierToken(2) },
    );
    await eventually(async () => {
      const r = await intakeApi.getHelpRequest({ id: rejected!.id }, { token: operatorToken });
      return r.helpRequest?.status === HelpRequestStatus.HELP_REQUEST_STATUS_REJECTED ? true : undefined;
    });
    expect(
      await codeOf(
        intakeApi.cancelHelpRequest({ id: rejected!.id, reason: 'late' }, { token: partnerToken }),
      ),
    ).toBe(status.FAILED_PRECONDITION);
  });
});
