import { createClient, createHealthClient, type HealthClient, type PromiseClient } from '@nuanyang/grpc-kit';
import { IntakeServiceClient } from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { InventoryServiceClient } from '@nuanyang/proto/nuanyang/inventory/v1/inventory';
import { MatchingServiceClient } from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { ReportingServiceClient } from '@nuanyang/proto/nuanyang/reporting/v1/reporting';
import { VerificationServiceClient } from '@nuanyang/proto/nuanyang/verification/v1/verification';
import { VolunteerServiceClient } from '@nuanyang/proto/nuanyang/volunteer/v1/volunteer';
import type { GatewayConfig, ServiceName } from './config';

/** One typed client per service; the caller's bearer token goes with every call. */
export interface ServiceClients {
  intake: PromiseClient<IntakeServiceClient>;
  verification: PromiseClient<VerificationServiceClient>;
  inventory: PromiseClient<InventoryServiceClient>;
  matching: PromiseClient<MatchingServiceClient>;
  volunteer: PromiseClient<VolunteerServiceClient>;
  reporting: PromiseClient<ReportingServiceClient>;
}

export function createServiceClients(config: GatewayConfig): ServiceClients {
  const deadlineMs = config.GRPC_DEADLINE_MS;
  return {
    intake: createClient(IntakeServiceClient, config.INTAKE_ADDRESS, { deadlineMs }),
    verification: createClient(VerificationServiceClient, config.VERIFICATION_ADDRESS, { deadlineMs }),
    inventory: createClient(InventoryServiceClient, config.INVENTORY_ADDRESS, { deadlineMs }),
    matching: createClient(MatchingServiceClient, config.MATCHING_ADDRESS, { deadlineMs }),
    volunteer: createClient(VolunteerServiceClient, config.VOLUNTEER_ADDRESS, { deadlineMs }),
    reporting: createClient(ReportingServiceClient, config.REPORTING_ADDRESS, { deadlineMs }),
  };
}

export function closeServiceClients(clients: ServiceClients): void {
  for (const client of Object.values(clients)) client.close();
}

/** Asks each service's grpc.health.v1 whether it is SERVING. */
export class ServiceHealth {
  private readonly clients: [ServiceName, HealthClient][];

  constructor(config: GatewayConfig) {
    const address: Record<ServiceName, string> = {
      intake: config.INTAKE_ADDRESS,
      verification: config.VERIFICATION_ADDRESS,
      inventory: config.INVENTORY_ADDRESS,
      matching: config.MATCHING_ADDRESS,
      volunteer: config.VOLUNTEER_ADDRESS,
      reporting: config.REPORTING_ADDRESS,
    };
    this.clients = config.READINESS_SERVICES.map((name) => [name, createHealthClient(address[name])]);
  }

  /** Each required service's status: SERVING, NOT_SERVING, or the error that prevented asking. */
  async check(timeoutMs = 1000): Promise<Record<string, string>> {
    const results = await Promise.all(
      this.clients.map(async ([name, client]) => [name, await client.check('', timeoutMs)] as const),
    );
    return Object.fromEntries(results);
  }

  close(): void {
    for (const [, client] of this.clients) client.close();
  }
}
