import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

interface RawHealthClient extends grpc.Client {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
  ): grpc.ClientUnaryCall;
}

const HealthClientConstructor = grpc.makeClientConstructor(
  healthService as unknown as grpc.ServiceDefinition,
  'grpc.health.v1.Health',
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => RawHealthClient;

/** A grpc.health.v1 client: asks a server whether it (or one of its services) is SERVING. */
export interface HealthClient {
  /** `SERVING`, `NOT_SERVING`, ... or `error: <why>` when the server could not be asked. */
  check(service?: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

export function createHealthClient(address: string): HealthClient {
  const client = new HealthClientConstructor(address, grpc.credentials.createInsecure());
  return {
    check: (service = '', timeoutMs = 1000) =>
      new Promise((resolve) => {
        client.Check({ service }, { deadline: Date.now() + timeoutMs }, (error, response) => {
          resolve(error ? `error: ${error.details || error.message}` : (response?.status ?? 'UNKNOWN'));
        });
      }),
    close: () => client.close(),
  };
}
