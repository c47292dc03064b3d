import { status } from '@grpc/grpc-js';
import { HelpRequestStatus } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { TaskStatus } from '@nuanyang/proto/nuanyang/verification/v1/verification';
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
  verificationClient,
  verifierToken,
} from './helpers';

/** Replicas racing on shared state, and events delivered more than once. */
describe('replicas and redelivery', () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let intake: ServiceProcess;
  let verificationA: ServiceProcess;
  let verificationB: ServiceProcess;
  const clients: { close(): void }[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    intake = await spawnService('intake', { NATS_URL: nats.url });
    verificationA = await spawnService('verification', { NATS_URL: nats.url });
    // The second replica shares the first one's database and durable consumer.
    verificationB = await spawnService('verification', {
      NATS_URL: nats.url,
      MONGO_DATABASE: verificationA.database,
    });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([intake?.stop(), verificationA?.stop(), verificationB?.stop()]);
    await nats?.stop();
  });

  const clientsFor = () => {
    const i = intakeClient(intake.address);
    const a = verificationClient(verificationA.address);
    const b = verificationClient(verificationB.address);
    clients.push(i, a, b);
    return { i, a, b };
  };

  it('lets exactly one of two verifiers on two replicas claim each task', async () => {
    const { i, a, b } = clientsFor();
    const ids = await Promise.all(
      Array.from(
        { length: 12 },
        async () => (await i.createHelpRequest(helpRequest(), { token: partnerToken })).helpRequest!.id,
      ),
    );
    const taskIds = ids.map((id) => `vt-${id}`);
    await eventually(
      async () => {
        const found = await Promise.all(
          taskIds.map((id) =>
            a.getTask({ id }, { token: verifierToken() }).then(
              () => true,
              () => false,
            ),
          ),
        );
        return found.every(Boolean) ? true : undefined;
      },
      30_000,
      'all tasks opened',
    );

    for (const taskId of taskIds) {
      const [one, two] = await Promise.allSettled([
        a.claimTask({ taskId }, { token: verifierToken(1) }),
        b.claimTask({ taskId }, { token: verifierToken(2) }),
      ]);
      const won = [one, two].filter((r) => r.status === 'fulfilled');
      const lost = [one, two].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.map((r) => (r.reason as { code: status }).code)).toEqual([status.FAILED_PRECONDITION]);
      const winner = one.status === 'fulfilled' ? 'verifier-1' : 'verifier-2';
      const { task } = await b.getTask({ id: taskId }, { token: verifierToken() });
      expect(task).toMatchObject({ status: TaskStatus.TASK_STATUS_CLAIMED, claimedBy: winner });
    }
  });

  it('changes nothing when events are delivered again', async () => {
    const { i, a } = clientsFor();
    const { helpRequest: hr } = await i.createHelpRequest(helpRequest(), { token: partnerToken });
    const taskId = `vt-${hr!.id}`;
    await eventually(() => a.getTask({ id: taskId }, { token: verifierToken() }).then((r) => r.task));
    await a.claimTask({ taskId }, { token: verifierToken(3) });
    await a.recordOutcome(
      {
        taskId,
        idempotencyKey: 'redelivery-outcome',
        outcome: { $case: 'verified', value: { correctedNeeds: [], note: '' } },
      },
      { token: verifierToken(3) },
    );
    const verified = await eventually(async () => {
      const r = (await i.getHelpRequest({ id: hr!.id }, { token: operatorToken })).helpRequest;
      return r?.status === HelpRequestStatus.HELP_REQUEST_STATUS_VERIFIED ? r : undefined;
    });
    const taskBefore = (await a.getTask({ id: taskId }, { token: verifierToken() })).task!;

    // Deliver both events again under new message ids, so the server's dedup cannot hide them.
    await redeliver(nats.url, 'NUANYANG_INTAKE', 'nuanyang.intake.request.received', hr!.id);
    await redeliver(nats.url, 'NUANYANG_VERIFICATION', 'nuanyang.verification.request.verified', hr!.id);
    await drained(nats.url, [
      ['NUANYANG_INTAKE', 'verification-intake-received'],
      ['NUANYANG_VERIFICATION', 'intake-verification-outcomes'],
    ]);

    const taskAfter = (await a.getTask({ id: taskId }, { token: verifierToken() })).task!;
    expect(taskAfter.version).toBe(taskBefore.version);
    const after = (await i.getHelpRequest({ id: hr!.id }, { token: operatorToken })).helpRequest!;
    expect(after.version).toBe(verified.version);
    expect(after.status).toBe(HelpRequestStatus.HELP_REQUEST_STATUS_VERIFIED);
    // A retried outcome call is a replay too, not a second outcome.
    const replay = await a.recordOutcome(
      {
        taskId,
        idempotencyKey: 'redelivery-outcome',
        outcome: { $case: 'verified', value: { correctedNeeds: [], note: '' } },
      },
      { token: verifierToken(3) },
    );
    expect(replay.replayed).toBe(true);
    expect(
      await codeOf(
        a.recordOutcome(
          {
            taskId,
            idempotencyKey: 'redelivery-outcome',
            outcome: { $case: 'rejected', value: { reason: 'changed mind' } },
          },
          { token: verifierToken(3) },
        ),
      ),
    ).toBe(status.ALREADY_EXISTS);
  });
});
