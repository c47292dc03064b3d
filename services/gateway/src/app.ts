import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from '@nuanyang/logger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginCallback,
  LogController,
} from 'fastify';
import { registerAuth } from './auth';
import type { ServiceClients, ServiceHealth } from './clients';
import type { GatewayConfig } from './config';
import { consoleFallback, registerConsole } from './console';
import { HttpProblem, PROBLEM_SCHEMA, sendProblem, toProblem } from './problem';
import { intakeRoutes } from './routes/intake';
import { inventoryRoutes } from './routes/inventory';
import { matchingRoutes } from './routes/matching';
import { type OpenStreams, registerReportingStreams, reportingRoutes } from './routes/reporting';
import { registerServiceRoutes } from './routes/route';
import { verificationRoutes } from './routes/verification';
import { volunteerRoutes } from './routes/volunteer';
import type { ProtoSchemas } from './schemas';

export const SERVICE_ROUTES = [
  intakeRoutes,
  verificationRoutes,
  inventoryRoutes,
  matchingRoutes,
  volunteerRoutes,
  reportingRoutes,
];

export interface GatewayDeps {
  config: GatewayConfig;
  log: Logger;
  clients: ServiceClients;
  health: ServiceHealth;
  schemas: ProtoSchemas;
  /** @fastify/otel's plugin, registered first so every route and hook is traced. */
  otel?: FastifyPluginCallback;
}

export interface Gateway {
  app: FastifyInstance;
  /** /readyz answers 503 from now on (SIGTERM: let the load balancer stop sending first). */
  markStopping(): void;
}

/** URL without its query string: `access_token` must not reach the logs. */
const pathOf = (url: string) => url.split('?')[0] ?? url;

export async function buildGateway(deps: GatewayDeps): Promise<Gateway> {
  const { config, log } = deps;
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Our own request log line (onResponse), without the query string.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    ajv: {
      // Report every bad field at once, and refuse unknown ones instead of silently dropping them.
      customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true },
    },
  });
  let stopping = false;
  const openStreams: OpenStreams = new Set();

  if (deps.otel) await app.register(deps.otel);

  app.addSchema(PROBLEM_SCHEMA);
  for (const schema of deps.schemas.shared()) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Nuanyang gateway',
        version: '1.0.0',
        description:
          'REST/JSON over the Nuanyang services. Errors are RFC 9457 problem documents ' +
          '(application/problem+json); 400s name every field in `errors`. JSON follows the proto3 JSON ' +
          "mapping of the services' messages: lowerCamelCase, enums by name, fields with default values left out.",
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          accessTokenQuery: {
            type: 'apiKey',
            in: 'query',
            name: 'access_token',
            description: 'Only GET /api/v1/dashboard/stream (EventSource cannot send headers).',
          },
        },
      },
    },
    refResolver: {
      // Components named after the proto messages: `nuanyang.intake.v1.HelpRequest`.
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  await app.register(cors, {
    origin: config.CORS_ORIGINS.length > 0 ? config.CORS_ORIGINS : false,
    methods: ['GET', 'POST', 'PUT', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'last-event-id'],
    exposedHeaders: [
      'content-disposition',
      'retry-after',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
    maxAge: 600,
  });

  registerAuth(app, config.JWT_SECRET);

  // The operator console at `/`; registered before the rate limit, which is for the API, not page assets.
  const consoleServed = await registerConsole(app, config.CONSOLE_DIR);

  await app.register(rateLimit, {
    global: true,
    max: config.RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    // Per organisation (every user of a partner shares its budget); per client IP without a valid token.
    keyGenerator: (request) =>
      request.principal ? `org:${request.principal.organisationId}` : `ip:${request.ip}`,
    errorResponseBuilder: (request, context) =>
      new HttpProblem(
        429,
        `more than ${context.max} requests per minute from this ${request.principal ? 'organisation' : 'address'}; retry in ${context.after}`,
      ),
  });

  app.setErrorHandler((error, request, reply) => {
    // A 500 tells the client only to look here, so the cause must be here; 503 and 504 say enough.
    const problem = toProblem(error);
    if (problem.statusCode === 500) request.log.error({ err: error }, 'request failed');
    else if (problem.statusCode >= 502) request.log.warn({ err: error }, 'a service did not answer');
    return sendProblem(reply, request, problem);
  });
  app.setNotFoundHandler(
    (request, reply) =>
      (consoleServed ? consoleFallback(request, reply) : undefined) ??
      sendProblem(reply, request, new HttpProblem(404, `no route ${request.method} ${pathOf(request.url)}`)),
  );

  app.addHook('onResponse', async (request, reply) => {
    if (request.url === '/healthz' || request.url === '/readyz') return;
    request.log.info(
      {
        method: request.method,
        url: pathOf(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        org: request.principal?.organisationId,
      },
      'request completed',
    );
  });

  const internal = { rateLimit: false, otel: false } as const;
  app.get('/healthz', { config: internal, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: internal, schema: { hide: true } }, async (_request, reply) => {
    const services = await deps.health.check();
    const ready = !stopping && Object.values(services).every((s) => s === 'SERVING');
    return reply
      .code(ready ? 200 : 503)
      .send({ status: stopping ? 'stopping' : ready ? 'ready' : 'not ready', services });
  });
  app.get('/api/openapi.json', { config: { rateLimit: false }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  for (const table of SERVICE_ROUTES) registerServiceRoutes(app, deps.schemas, deps.clients, table);
  registerReportingStreams(app, deps.schemas, deps.clients, {
    heartbeatMs: config.SSE_HEARTBEAT_MS,
    exportDeadlineMs: Math.max(config.GRPC_DEADLINE_MS, 60_000),
    open: openStreams,
  });

  // Open event streams never finish by themselves: end them so close() can.
  app.addHook('preClose', async () => {
    for (const close of [...openStreams]) close();
  });

  return {
    app,
    markStopping: () => {
      stopping = true;
    },
  };
}
