import { HelpRequestStatus } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { TaskStatus } from '@nuanyang/proto/nuanyang/verification/v1/verification';
import { type ServiceProcess, spawnService, startNatsServer } from '@nuanyang/testkit';
import {
  eventually,
  helpRequest,
  intakeClient,
  operatorToken,
  partnerToken,
  verificationClient,
  verifierToken,
} from './helpers';

/**
 * Read models are derived: a service pointed at a new database (MONGO_DATABASE) builds them afresh from the
 * streams, beside the running one, and they hold exactly what the live ones hold.
 */
describe('a read model rebuilt from the streams', () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await nats?.stop();
  });

  it("equals the live one, open and closed requests and the verifiers' queue alike", async () => {
    const env = { NATS_URL: nats.url };
    const [intake, verification] = await Promise.all([
      spawnService('intake', env),
      spawnService('verification', env),
    ]);
    services.push(intake, verification);
    const i = intakeClient(intake.address);
    const v = verificationClient(verification.address);

    // Twelve requests: four rejected on the phone (final: archived), two cancelled, the rest open.
    const ids: string[] = [];
    for (let n = 0; n < 12; n++) {
      ids.push((await i.createHelpRequest(helpRequest(), { token: partnerToken })).helpRequest!.id);
    }
    for (const id of ids.slice(0, 4)) {
      const taskId = `vt-${id}`;
      await eventually(() => v.getTask({ id: taskId }, { token: verifierToken() }).then((r) => r.task));
      await v.claimTask({ taskId }, { token: verifierToken() });
      await v.recordOutcome(
        {
          taskId,
          idempotencyKey: `reject-${id}`,
          outcome: { $case: 'rejected', value: { reason: 'not in the area' } },
        },
        { token: verifierToken() },
      );
    }
    for (const id of ids.slice(4, 6))
      await i.cancelHelpRequest({ id, reason: 'no longer needed' }, { token: partnerToken });
    const all = { statuses: [], district: '', category: 0, urgency: 0, submittingOrganisationId: '' };
    const listing = async (c: typeof i) =>
      (
        await c.listHelpRequests({ ...all, page: { pageSize: 100, pageToken: '' } }, { token: operatorToken })
      ).helpRequests
        .map((r) => `${r.id}:${r.status}:${r.version}`)
        .sort();
    const queue = async (c: typeof v) =>
      (
        await c.listTasks(
          { statuses: [], overdueOnly: false, page: { pageSize: 100, pageToken: '' } },
          { token: verifierToken() },
        )
      ).tasks
        .map((t) => `${t.id}:${t.status}:${t.version}`)
        .sort();
    // The live read models settle: four rejected, two cancelled, six received; twelve tasks, four completed.
    const live = await eventually(async () => {
      const rows = await listing(i);
      const rejected = rows.filter((r) => r.includes(`:${HelpRequestStatus.HELP_REQUEST_STATUS_REJECTED}:`));
      const cancelled = rows.filter((r) =>
        r.includes(`:${HelpRequestStatus.HELP_REQUEST_STATUS_CANCELLED}:`),
      );
      return rows.length === 12 && rejected.length === 4 && cancelled.length === 2 ? rows : undefined;
    });
    const liveQueue = await eventually(async () => {
      const rows = await queue(v);
      return rows.filter((r) => r.includes(`:${TaskStatus.TASK_STATUS_COMPLETED}:`)).length === 4 &&
        rows.length === 12
        ? rows
        : undefined;
    });

    // The same services on new databases: their projectors replay the streams from the first message.
    const [intake2, verification2] = await Promise.all([
      spawnService('intake', env),
      spawnService('verification', env),
    ]);
    services.push(intake2, verification2);
    expect(intake2.database).not.toBe(intake.database);
    const i2 = intakeClient(intake2.address);
    const v2 = verificationClient(verification2.address);
    await eventually(async () =>
      JSON.stringify(await listing(i2)) === JSON.stringify(live) ? true : undefined,
    );
    await eventually(async () =>
      JSON.stringify(await queue(v2)) === JSON.stringify(liveQueue) ? true : undefined,
    );
    for (const c of [i, v, i2, v2]) c.close();
  });
});
