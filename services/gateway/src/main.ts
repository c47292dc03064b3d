import { FastifyOtelInstrumentation } from '@fastify/otel';
import { createLogger } from '@nuanyang/logger';
import { shutdownTelemetry } from '@nuanyang/telemetry';
import { buildGateway } from './app';
import { closeServiceClients, createServiceClients, ServiceHealth } from './clients';
import { loadGatewayConfig } from './config';
import { ProtoSchemas } from './schemas';

const log = createLogger('gateway');

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  // Spans for the routes and their hooks, children of the HTTP server span of the NodeSDK started by
  // --require @nuanyang/telemetry/dist/register.js; the gRPC client spans of the calls hang below them,
  // so one trace runs from the HTTP request through every service. Health routes are left out.
  const otel = new FastifyOtelInstrumentation({
    // A span for the request and its handler; not one per hook (nine per request, mostly noise).
    instrumentHooks: false,
    ignorePaths: (route) => route.url === '/healthz' || route.url === '/readyz',
  });
  const clients = createServiceClients(config);
  const health = new ServiceHealth(config);
  const { app, markStopping } = await buildGateway({
    config,
    log,
    clients,
    health,
    schemas: new ProtoSchemas(),
    otel: otel.plugin(),
  });
  const [host, port] = config.HTTP_ADDRESS.split(':') as [string, string];
  await app.listen({ host, port: Number(port) });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    markStopping();
    const force = setTimeout(() => {
      log.warn('grace period over: closing open connections');
      app.server.closeAllConnections();
    }, config.SHUTDOWN_GRACE_MS);
    try {
      await app.close();
    } catch (err) {
      log.error({ err }, 'error while closing the HTTP server');
    }
    clearTimeout(force);
    closeServiceClients(clients);
    health.close();
    await shutdownTelemetry().catch((err) => log.error({ err }, 'error while flushing traces'));
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  log.fatal({ err }, `start-up failed: ${(err as Error).message}`);
  process.exit(1);
});
