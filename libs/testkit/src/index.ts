export { eventually } from './eventually';
export { type NatsServer, startNatsServer } from './nats-server';
export { repoRoot, serviceMain, telemetryRegister } from './paths';
export { freePort, waitForPort } from './ports';
export { TEST_ENV, TEST_JWT_SECRET, type TestServers, testServers } from './servers';
export {
  type AttributeValue,
  type CollectedSpan,
  normaliseId,
  parseOtlpTraces,
  type SpanCollector,
  type SpanKindName,
  startSpanCollector,
} from './span-collector';
export {
  type ServiceEnv,
  type ServiceProcess,
  type SpawnServiceOptions,
  spawnService,
} from './spawn-service';
export { type SuiteServers, startSuiteServers } from './suite-servers';
