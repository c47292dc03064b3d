import { Bus, type Producer } from '@nuanyang/bus';
import type { ServiceConfig } from '@nuanyang/config';
import { type HostedService, ServiceRuntime, startGrpcServer } from '@nuanyang/grpc-kit';
import { createLogger, type Logger } from '@nuanyang/logger';
import { connectMongo, type Projection } from '@nuanyang/store';
import { shutdownTelemetry } from '@nuanyang/telemetry';
import type { BackgroundJob } from './background';

export { type BackgroundJob, every } from './background';

import type { Connection } from 'mongoose';

export interface ServiceContext<C> {
  config: C;
  log: Logger;
  mongo: Connection;
  bus: Bus;
}

export interface ServiceParts {
  /** Read models kept from the service's streams: initialised and their projectors started by the kit. */
  projections?: Projection<object>[];
  /** Starts the service's event consumers, once the read models are ready. */
  consume?: () => Promise<void>;
  /** Periodic work (sweepers), each an `every(...)` loop: started once the read models are ready. */
  background?: BackgroundJob[];
  /** gRPC services to host. */
  services: HostedService[];
}

export interface ServiceDefinition<C extends ServiceConfig> {
  name: string;
  loadConfig: () => C;
  /** Streams this service publishes to or consumes from, declared at start-up. */
  streams: Producer[];
  setup: (ctx: ServiceContext<C>) => ServiceParts | Promise<ServiceParts>;
}

/**
 * Starts a service in the one order every service needs, and stops it in the reverse on SIGTERM:
 * stop taking calls → stop consumers and projectors → stop background work → drain NATS → close MongoDB
 * → flush traces.
 * Reports SERVING only when everything is up.
 */
export function runService<C extends ServiceConfig>(def: ServiceDefinition<C>): void {
  const log = createLogger(def.name);
  (async () => {
    const config = def.loadConfig();
    const runtime = new ServiceRuntime(log);
    runtime.onStop('telemetry', shutdownTelemetry);

    const mongo = await connectMongo(config.MONGO_URL, config.MONGO_DATABASE, log, config.MONGO_MAX_POOL);
    runtime.onStop('mongo', () => mongo.close());
    const bus = await Bus.connect(config.NATS_URL, def.name, log);
    runtime.onStop('nats', () => bus.close());
    await bus.ensureStreams({ replicas: config.NATS_REPLICAS }, ...def.streams);

    const parts = await def.setup({ config, log, mongo, bus });
    for (const projection of parts.projections ?? []) {
      await projection.init();
      await projection.start();
    }
    for (const job of parts.background ?? []) runtime.onStop(job.name, job.start());
    if (parts.consume) await parts.consume();
    // Projectors and event consumers alike: once the message in hand is handled.
    runtime.onStop('consumers', () => bus.stopConsuming());

    const server = await startGrpcServer({
      address: config.GRPC_ADDRESS,
      jwtSecret: config.JWT_SECRET,
      log,
      services: parts.services,
    });
    runtime.onStop('grpc', () => server.shutdown(config.SHUTDOWN_GRACE_MS));
    server.markServing();
  })().catch((err) => ServiceRuntime.fail(log, err));
}
