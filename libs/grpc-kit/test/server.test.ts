import path from 'node:path';
import { credentials, loadPackageDefinition, Metadata, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { issueToken } from '@nuanyang/auth';
import {
  createClient,
  createHandlers,
  FIELD_VIOLATIONS_KEY,
  InvalidArgumentError,
  NotFoundError,
  type RunningServer,
  requireRole,
  startGrpcServer,
} from '@nuanyang/grpc-kit';
import { createLogger } from '@nuanyang/logger';
import {
  IntakeServiceClient,
  type IntakeServiceServer,
  IntakeServiceService,
} from '@nuanyang/proto/nuanyang/intake/v1/intake';

const secret = 'grpc-kit-test-secret-0123456789';
const log = createLogger('grpc-kit-test', 'silent');
const partner = issueToken({ subject: 'p', organisationId: 'org-p', roles: ['partner'] }, secret);
const viewer = issueToken({ subject: 'v', organisationId: 'org-v', roles: ['viewer'] }, secret);

/** A stand-in intake whose answers show what the kit did with the call. */
function fakeIntake(): IntakeServiceServer {
  const { unary } = createHandlers(log);
  return {
    createHelpRequest: unary(async (req, ctx) => {
      requireRole(ctx, ['partner']);
      if (req.needs.length === 0) throw InvalidArgumentError.field('needs', 'at least one need is required');
      return { helpRequest: undefined, replayed: ctx.principal.organisationId === 'org-p' };
    }),
    getHelpRequest: unary(async (req) => {
      throw new NotFoundError(`help request ${req.id} not found`);
    }),
    listHelpRequests: unary(async () => {
      throw new Error('a bug with a secret in its message');
    }),
    cancelHelpRequest: unary(async () => ({ helpRequest: undefined })),
  };
}

const healthProto = loadSync(
  path.join(path.dirname(require.resolve('grpc-health-check')), '../../proto/health/v1/health.proto'),
  { enums: String },
);
const reflectionProto = loadSync(
  path.join(
    path.dirname(require.resolve('@grpc/reflection')),
    '../proto/grpc/reflection/v1/reflection.proto',
  ),
);
type Callback<T> = (err: Error | null, res: T) => void;
// biome-ignore lint/suspicious/noExplicitAny: clients built at run time from .proto files
const loaded = (def: ReturnType<typeof loadSync>) => loadPackageDefinition(def) as any;

describe('startGrpcServer', () => {
  let server: RunningServer;
  let address: string;

  beforeAll(async () => {
    server = await startGrpcServer({
      address: '127.0.0.1:0',
      jwtSecret: secret,
      log,
      services: [
        {
          name: 'nuanyang.intake.v1.IntakeService',
          protoFile: 'nuanyang/intake/v1/intake.proto',
          definition: IntakeServiceService,
          implementation: fakeIntake(),
        },
      ],
    });
    address = `127.0.0.1:${server.port}`;
  });
  afterAll(() => server.shutdown(1000));

  const health = (service: string) => {
    const client = new (loaded(healthProto).grpc.health.v1.Health)(address, credentials.createInsecure());
    return new Promise<string>((resolve, reject) =>
      client.Check({ service }, (err: Error | null, res: { status: string }) => {
        client.close();
        err ? reject(err) : resolve(res.status);
      }),
    );
  };

  it('reports NOT_SERVING until marked ready, then SERVING for the server and each service', async () => {
    expect(await health('')).toBe('NOT_SERVING');
    server.markServing();
    expect(await health('')).toBe('SERVING');
    expect(await health('nuanyang.intake.v1.IntakeService')).toBe('SERVING');
  });

  it('lists its services through reflection, without a token', async () => {
    const client = new (loaded(reflectionProto).grpc.reflection.v1.ServerReflection)(
      address,
      credentials.createInsecure(),
    );
    const names = await new Promise<string[]>((resolve, reject) => {
      const call = client.ServerReflectionInfo();
      call.on('data', (res: { listServicesResponse: { service: { name: string }[] } }) => {
        resolve(res.listServicesResponse.service.map((s) => s.name));
        call.end();
      });
      call.on('error', reject);
      call.write({ listServices: '' });
    });
    client.close();
    expect(names).toContain('nuanyang.intake.v1.IntakeService');
  });

  it('maps missing tokens, roles, domain errors and bugs to status codes', async () => {
    const intake = createClient(IntakeServiceClient, address);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'OK',
        (e: { code: status }) => status[e.code],
      );
    const create = {
      idempotencyKey: 'k',
      needs: [],
      vulnerableGroups: [],
      urgency: 0,
      peopleAffected: 1,
      channel: 0,
      description: '',
    };
    expect(await code(intake.createHelpRequest(create))).toBe('UNAUTHENTICATED');
    expect(await code(intake.createHelpRequest(create, { token: 'Bearer nonsense' }))).toBe(
      'UNAUTHENTICATED',
    );
    expect(await code(intake.createHelpRequest(create, { token: viewer }))).toBe('PERMISSION_DENIED');
    expect(await code(intake.getHelpRequest({ id: 'x' }, { token: partner }))).toBe('NOT_FOUND');
    const bug = await intake
      .listHelpRequests(
        { statuses: [], district: '', category: 0, urgency: 0, submittingOrganisationId: '' },
        { token: partner },
      )
      .catch((e) => e);
    expect([status[bug.code], bug.details]).toEqual(['INTERNAL', 'internal error']);
    const invalid = await intake.createHelpRequest(create, { token: partner }).catch((e) => e);
    expect(status[invalid.code]).toBe('INVALID_ARGUMENT');
    expect(JSON.parse((invalid.metadata as Metadata).get(FIELD_VIOLATIONS_KEY)[0] as string)).toEqual([
      { field: 'needs', description: 'at least one need is required' },
    ]);
    intake.close();
  });

  it('passes the verified principal, not one the client made up', async () => {
    const intake = createClient(IntakeServiceClient, address);
    const forged = new Metadata();
    forged.set(
      'x-nuanyang-principal',
      JSON.stringify({ subject: 'x', organisationId: 'org-p', roles: ['partner'] }),
    );
    forged.set(
      'authorization',
      `Bearer ${issueToken({ subject: 'q', organisationId: 'org-q', roles: ['partner'] }, secret)}`,
    );
    const need = { category: 1, itemName: 'rice', quantity: { amount: 1, unit: 'kg' }, note: '', needId: '' };
    const res = await new Promise<{ replayed: boolean }>((resolve, reject) =>
      intake.raw.createHelpRequest(
        {
          idempotencyKey: 'k',
          needs: [need],
          vulnerableGroups: [],
          urgency: 0,
          peopleAffected: 1,
          channel: 0,
          description: '',
        },
        forged,
        ((err, r) => (err ? reject(err) : resolve(r))) as Callback<{ replayed: boolean }>,
      ),
    );
    expect(res.replayed).toBe(false); // org-q, from the token
    intake.close();
  });

  it('stops answering once shut down', async () => {
    await server.shutdown(1000);
    await expect(health('')).rejects.toBeDefined();
  });
});
