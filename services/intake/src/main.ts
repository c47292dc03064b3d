import { Bus } from '@nuanyang/bus';
import { ServiceRuntime, startGrpcServer } from '@nuanyang/grpc-kit';
import { createLogger } from '@nuanyang/logger';
import { type HelpRequest, IntakeServiceService } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { AggregateStore, connectMongo, startRelay } from '@nuanyang/store';
import { shutdownTelemetry } from '@nuanyang/telemetry';
import { loadIntakeConfig } from './config';
import { followVerification } from './consumers';
import { intakeHandlers } from './handlers';
import { HelpRequests } from './help-requests';

const log = createLogger('intake');

async function main() {
  const config = loadIntakeConfig();
  const runtime = new ServiceRuntime(log);
  runtime.onStop('telemetry', shutdownTelemetry);

  const mongo = await connectMongo(config.MONGO_URL, config.MONGO_DATABASE, log);
  runtime.onStop('mongo', () => mongo.close());
  const bus = await Bus.connect(config.NATS_URL, 'intake', log);
  runtime.onStop('nats', () => bus.close());
  await bus.ensureStreams('intake', 'verification');

  const store = new AggregateStore<HelpRequest>(mongo, {
    name: 'help_request',
    bus,
    log,
    projectionIndexes: [
      { 'state.receivedAt': -1 },
      { 'state.status': 1, 'state.receivedAt': -1 },
      { 'state.location.district': 1, 'state.receivedAt': -1 },
      { 'state.requester.phone': 1 },
      { 'state.submittingOrganisationId': 1, 'state.receivedAt': -1 },
    ],
  });
  await store.init();
  runtime.onStop('outbox relay', startRelay([store], log));

  const requests = new HelpRequests(store);
  await followVerification(bus, requests);
  runtime.onStop('consumers', () => bus.stopConsuming());

  const server = await startGrpcServer({
    address: config.GRPC_ADDRESS,
    jwtSecret: config.JWT_SECRET,
    log,
    services: [
      {
        name: 'nuanyang.intake.v1.IntakeService',
        protoFile: 'nuanyang/intake/v1/intake.proto',
        definition: IntakeServiceService,
        implementation: intakeHandlers(requests, log),
      },
    ],
  });
  runtime.onStop('grpc', () => server.shutdown(config.SHUTDOWN_GRACE_MS));
  server.markServing();
}

main().catch((err) => ServiceRuntime.fail(log, err));
