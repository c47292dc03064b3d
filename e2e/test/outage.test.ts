import { status } from '@grpc/grpc-js';
import type { CreateHelpRequestRequest } from '@nuanyang/proto/nuanyang/intake/v1/intake';
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
 * NATS, the system of record, goes away in the middle of a load and comes back: what a partner sees is
 * UNAVAILABLE (retry later), never INTERNAL; retrying with the same idempotency key loses nothing and
 * doubles nothing; every request still gets its verification task.
 */
describe('NATS restarted mid-load', () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let intake: ServiceProcess;
  let verification: ServiceProcess;

  beforeAll(async () => {
    nats = await startNatsServer();
    intake = await spawnService('intake', { NATS_URL: nats.url });
    verification = await spawnService('verification', { NATS_URL: nats.url });
  });
  afterAll(async () => {
    await Promise.all([intake?.stop(), verification?.stop()]);
    await nats?.stop();
  });

  it('answers UNAVAILABLE during the outage, and every retried request lands exactly once', async () => {
    const i = intakeClient(intake.address);
    const v = verificationClient(verification.address);
    const requests = Array.from({ length: 120 }, () => helpRequest());
    const codes = new Map<status, number>();
    const ids = new Map<string, string>();

    /** A partner's client: retries a failed create with the same key until it is accepted. */
    const submit = async (req: CreateHelpRequestRequest) => {
      for (;;) {
        try {
          const res = await i.createHelpRequest(req, { token: partnerToken, deadlineMs: 15_000 });
          ids.set(req.idempotencyKey, res.helpRequest?.id ?? '');
          return;
        } catch (err) {
          const code = (err as { code: status }).code;
          codes.set(code, (codes.get(code) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const load = (async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < requests.length) await submit(requests[next++] as CreateHelpRequestRequest);
        }),
      );
    })();
    // The outage: NATS crashes a moment into the load and is back eight seconds later, longer than the
    // services retry (a shorter one is ridden out: the client library waits for the reconnect).
    await eventually(async () => (ids.size >= 20 ? true : undefined), 30_000, 'the load to start');
    await nats.kill();
    await new Promise((r) => setTimeout(r, 8_000));
    await nats.restart();
    await load;

    expect(ids.size).toBe(requests.length);
    // Only UNAVAILABLE, well within the callers' deadline: never INTERNAL, never a timeout.
    expect([...codes.keys()]).toEqual([status.UNAVAILABLE]);
    // Each request exists once, at version 1 or later, and got its verification task.
    const distinct = new Set(ids.values());
    expect(distinct.size).toBe(requests.length);
    for (const id of distinct) {
      const { helpRequest: hr } = await i.getHelpRequest({ id }, { token: operatorToken });
      expect(hr?.id).toBe(id);
    }
    await eventually(
      async () => {
        const found = await Promise.all(
          [...distinct].map((id) =>
            v.getTask({ id: `vt-${id}` }, { token: verifierToken() }).then(
              (r) => r.task?.helpRequestId === id,
              () => false,
            ),
          ),
        );
        return found.every(Boolean) ? true : undefined;
      },
      30_000,
      'a verification task for every request',
    );
    i.close();
    v.close();
  });
});
