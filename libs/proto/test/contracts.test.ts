// Checks that the generated code behaves as the services rely on: Dates, int64 as number, oneof unions,
// redaction-friendly optional sub-messages, and grpc-js service definitions that really serve and call.
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import * as grpc from '@grpc/grpc-js';
import { ItemCategory, Quantity, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { HelpRequestReceived } from '@nuanyang/proto/nuanyang/intake/v1/events';
import {
  Channel,
  HelpRequest,
  HelpRequestStatus,
  IntakeServiceClient,
  type IntakeServiceServer,
  IntakeServiceService,
  VulnerableGroup,
} from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { RecordOutcomeRequest } from '@nuanyang/proto/nuanyang/verification/v1/verification';

const receivedAt = new Date('2022-01-05T17:51:00.000Z');

function sampleRequest(): HelpRequest {
  return HelpRequest.fromPartial({
    id: 'hr-1',
    version: 1,
    submittingOrganisationId: 'org-1',
    requester: { name: 'Cadre Wang', phone: '13800138000' },
    location: { district: 'changan', community: 'village-7', address: 'No. 3' },
    needs: [
      {
        needId: 'n1',
        category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
        itemName: 'instant noodles',
        quantity: { amount: 3_000_000_000, unit: 'box' },
        note: '',
      },
    ],
    urgency: Urgency.URGENCY_CRITICAL,
    vulnerableGroups: [VulnerableGroup.VULNERABLE_GROUP_ELDERLY_LIVING_ALONE],
    peopleAffected: 120,
    channel: Channel.CHANNEL_HOTLINE,
    status: HelpRequestStatus.HELP_REQUEST_STATUS_RECEIVED,
    priorityScore: 0.93,
    receivedAt,
  });
}

describe('generated messages', () => {
  it('round-trip a help request with Dates, int64 numbers and absent sub-messages', () => {
    const original = sampleRequest();
    const decoded = HelpRequest.decode(HelpRequest.encode(original).finish());
    expect(decoded).toEqual(original);
    expect(decoded.receivedAt).toBeInstanceOf(Date);
    expect(decoded.receivedAt?.getTime()).toBe(receivedAt.getTime());
    expect(decoded.needs[0]?.quantity?.amount).toBe(3_000_000_000);
    expect(decoded.updatedAt).toBeUndefined();
    expect(decoded.location?.coordinates).toBeUndefined();
  });

  it('wrap a help request in its event', () => {
    const event = HelpRequestReceived.fromPartial({
      meta: { eventId: 'hr-1:1:0', occurredAt: receivedAt, aggregateId: 'hr-1', aggregateVersion: 1 },
      helpRequest: sampleRequest(),
    });
    const decoded = HelpRequestReceived.decode(HelpRequestReceived.encode(event).finish());
    expect(decoded.helpRequest?.id).toBe('hr-1');
    expect(decoded.meta?.occurredAt?.toISOString()).toBe(receivedAt.toISOString());
  });

  it('represent a oneof as a $case/value union', () => {
    const request: RecordOutcomeRequest = {
      taskId: 't1',
      idempotencyKey: 'k1',
      outcome: { $case: 'duplicate', value: { duplicateOfHelpRequestId: 'hr-0', note: '' } },
    };
    const decoded = RecordOutcomeRequest.decode(RecordOutcomeRequest.encode(request).finish());
    expect(decoded.outcome?.$case).toBe('duplicate');
    if (decoded.outcome?.$case === 'duplicate') {
      expect(decoded.outcome.value.duplicateOfHelpRequestId).toBe('hr-0');
    }
    const empty = RecordOutcomeRequest.decode(
      RecordOutcomeRequest.encode({ taskId: 't1', idempotencyKey: 'k2' }).finish(),
    );
    expect(empty.outcome).toBeUndefined();
  });

  it('refuse an int64 beyond 2^53 instead of losing precision', () => {
    const safe = Quantity.encode({ amount: Number.MAX_SAFE_INTEGER, unit: 'g' }).finish();
    expect(Quantity.decode(safe).amount).toBe(Number.MAX_SAFE_INTEGER);
    // A peer in another language may send any int64: field 1, varint 2^60.
    const huge = new BinaryWriter()
      .uint32(8)
      .int64(2n ** 60n)
      .finish();
    expect(() => Quantity.decode(huge)).toThrow(/MAX_SAFE_INTEGER/);
  });
});

describe('generated grpc-js service', () => {
  let server: grpc.Server;
  let client: IntakeServiceClient;

  beforeAll(async () => {
    const impl: Partial<IntakeServiceServer> = {
      getHelpRequest: (call, callback) => {
        if (call.request.id !== 'hr-1') {
          callback({ code: grpc.status.NOT_FOUND, details: `help request ${call.request.id} not found` });
          return;
        }
        callback(null, { helpRequest: sampleRequest() });
      },
    };
    server = new grpc.Server();
    server.addService(IntakeServiceService, impl as IntakeServiceServer);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    client = new IntakeServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  it('serve and call an RPC under its full method path', async () => {
    expect(IntakeServiceService.getHelpRequest.path).toBe('/nuanyang.intake.v1.IntakeService/GetHelpRequest');
    const response = await new Promise((resolve, reject) =>
      client.getHelpRequest({ id: 'hr-1' }, (err, res) => (err ? reject(err) : resolve(res))),
    );
    expect(response).toEqual({ helpRequest: sampleRequest() });
  });

  it('carry status codes', async () => {
    const error = await new Promise<grpc.ServiceError>((resolve) =>
      client.getHelpRequest({ id: 'nope' }, (err) => resolve(err as grpc.ServiceError)),
    );
    expect(error.code).toBe(grpc.status.NOT_FOUND);
  });
});
