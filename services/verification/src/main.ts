import { Bus, SUBJECTS } from '@nuanyang/bus';
import { ServiceRuntime, startGrpcServer } from '@nuanyang/grpc-kit';
import { createLogger } from '@nuanyang/logger';
import { HelpRequestReceived } from '@nuanyang/proto/nuanyang/intake/v1/events';
import { VerificationServiceService } from '@nuanyang/proto/nuanyang/verification/v1/verification';
import { AggregateStore, connectMongo, startRelay } from '@nuanyang/store';
import { shutdownTelemetry } from '@nuanyang/telemetry';
import { loadVerificationConfig } from './config';
import type { TaskState } from './domain/tasks';
import { verificationHandlers } from './handlers';
import { VerificationTasks } from './tasks';

const log = createLogger('verification');

async function main() {
  const config = loadVerificationConfig();
  const runtime = new ServiceRuntime(log);
  runtime.onStop('telemetry', shutdownTelemetry);

  const mongo = await connectMongo(config.MONGO_URL, config.MONGO_DATABASE, log);
  runtime.onStop('mongo', () => mongo.close());
  const bus = await Bus.connect(config.NATS_URL, 'verification', log);
  runtime.onStop('nats', () => bus.close());
  await bus.ensureStreams('intake', 'verification');

  const store = new AggregateStore<TaskState>(mongo, {
    name: 'verification_task',
    bus,
    log,
    projectionIndexes: [{ 'state.task.status': 1, 'state.task.dueAt': 1 }, { 'state.task.dueAt': 1 }],
  });
  await store.init();
  runtime.onStop('outbox relay', startRelay([store], log));

  const tasks = new VerificationTasks(store, {
    claimTtlMs: config.CLAIM_TTL_MS,
    maxCallAttempts: config.MAX_CALL_ATTEMPTS,
  });
  await bus.consume({
    from: 'intake',
    durable: 'verification-intake-received',
    subjects: [SUBJECTS.intake.received],
    handler: async (m) => {
      const event = HelpRequestReceived.decode(m.data);
      if (event.helpRequest) await tasks.open(event.helpRequest);
    },
  });
  runtime.onStop('consumers', () => bus.stopConsuming());

  const server = await startGrpcServer({
    address: config.GRPC_ADDRESS,
    jwtSecret: config.JWT_SECRET,
    log,
    services: [
      {
        name: 'nuanyang.verification.v1.VerificationService',
        protoFile: 'nuanyang/verification/v1/verification.proto',
        definition: VerificationServiceService,
        implementation: verificationHandlers(tasks, log),
      },
    ],
  });
  runtime.onStop('grpc', () => server.shutdown(config.SHUTDOWN_GRACE_MS));
  server.markServing();
}

main().catch((err) => ServiceRuntime.fail(log, err));
