export { repoRoot, serviceMain, telemetryRegister } from './paths';
export { freePort } from './ports';
export { TEST_ENV, TEST_JWT_SECRET, type TestServers, testServers } from './servers';
export {
  type ServiceEnv,
  type ServiceProcess,
  type SpawnServiceOptions,
  spawnService,
} from './spawn-service';
export {
  type AttributeValue,
  type CollectedSpan,
  normaliseId,
  parseOtlpTraces,
  type SpanCollector,
  type SpanKindName,
  startSpanCollector,
} from './span-collector';
