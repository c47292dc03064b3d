import path from 'node:path';
import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type { Logger } from '@nuanyang/logger';
import { HealthImplementation } from 'grpc-health-check';
import { authInterceptor, loggingInterceptor } from './interceptors';

/** Where the .proto files are; reflection serves them to tools such as grpcurl. */
const PROTO_ROOT = process.env.PROTO_ROOT ?? path.resolve(__dirname, '../../../proto');

export interface HostedService {
  /** Fully qualified name, e.g. `nuanyang.intake.v1.IntakeService`, used for health and reflection. */
  name: string;
  /** e.g. `nuanyang/intake/v1/intake.proto`, relative to the proto root. */
  protoFile: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  address: string;
  services: HostedService[];
  jwtSecret: string;
  log: Logger;
}

export interface RunningServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Reports SERVING for the whole server and each service. */
  markServing(): void;
  /** Reports NOT_SERVING, lets in-flight calls finish within graceMs, then forces the rest closed. */
  shutdown(graceMs: number): Promise<void>;
}

/** Starts a gRPC server with auth and logging interceptors, health checking (NOT_SERVING until ready) and reflection. */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningServer> {
  const server = new Server({
    interceptors: [loggingInterceptor(opts.log), authInterceptor(opts.jwtSecret)],
  });
  for (const s of opts.services) server.addService(s.definition, s.implementation);

  const names = ['', ...opts.services.map((s) => s.name)];
  const health = new HealthImplementation(Object.fromEntries(names.map((n) => [n, 'NOT_SERVING' as const])));
  health.addToServer(server);

  const definitions = loadSync(
    opts.services.map((s) => s.protoFile),
    { includeDirs: [PROTO_ROOT], keepCase: true, longs: Number, enums: String, defaults: true },
  );
  new ReflectionService(definitions).addToServer(server);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(opts.address, ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  opts.log.info({ address: opts.address, port }, 'gRPC server listening');

  const setAll = (s: 'SERVING' | 'NOT_SERVING') => {
    for (const n of names) health.setStatus(n, s);
  };
  return {
    port,
    markServing: () => setAll('SERVING'),
    shutdown: async (graceMs) => {
      setAll('NOT_SERVING');
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          opts.log.warn('grace period over: forcing gRPC shutdown');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
