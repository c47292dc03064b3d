// values.schema.json: additionalProperties false everywhere, so unknown and mistyped values fail helm before
// anything renders; and the chart's own cross-field checks.
import path from 'node:path';
import { fixturesDir, helm, render, renderError } from './chart';

const badValues = path.join(fixturesDir, 'bad-values.yaml');

test('the schema rejects fixtures/bad-values.yaml, naming every bad key', () => {
  const message = renderError([badValues]);
  expect(message).toContain("values don't meet the specifications of the schema");
  expect(message).toMatch(/\/services\/intake.*'replicaz' not allowed/);
  expect(message).toMatch(/\/services\/verification\/port.*got string, want integer/s);
  expect(message).toMatch(/\/default\/logLevel/);
});

test('helm lint --strict fails on it too', () => {
  const result = helm(['lint', '--strict', '.', '--values', badValues]);
  expect(result.status).not.toBe(0);
  expect(`${result.stdout}${result.stderr}`).toContain('replicaz');
});

test.each([
  ['an unknown top-level key', 'replicas=3', /additional properties 'replicas' not allowed/],
  ['an unknown service', 'services.intkae.enabled=true', /additional properties 'intkae' not allowed/],
  [
    'a writable root filesystem',
    'default.securityContext.readOnlyRootFilesystem=false',
    /readOnlyRootFilesystem/,
  ],
  ['running as root', 'default.podSecurityContext.runAsUser=0', /runAsUser/],
  ['a short JWT secret', 'secret.jwtSecret=short', /jwtSecret/],
  ['a call to an unknown service', 'services.matching.calls={inventry}', /calls\/0/],
  ['a MongoDB URL of another scheme', 'mongodb.url=postgres://db', /mongodb\/url/],
  ['a misspelt autoscaling key', 'default.autoscaling.maxReplica=4', /'maxReplica' not allowed/],
  [
    'both disruption budget keys',
    'services.intake.podDisruptionBudget.minAvailable=1,services.intake.podDisruptionBudget.maxUnavailable=1',
    /podDisruptionBudget/,
  ],
])('rejects %s', (_what, set, message) => {
  expect(renderError([], [set])).toMatch(message);
});

test('rejects a termination grace period the drain does not fit in', () => {
  expect(renderError([], ['services.intake.terminationGracePeriodSeconds=10'])).toContain(
    'services.intake: terminationGracePeriodSeconds (10 s) must exceed preStopSleepSeconds + shutdownGraceMs (15000 ms)',
  );
});

test('a service block overrides default key by key, false and 0 included', () => {
  const objects = render([], ['services.intake.autoscaling.enabled=false', 'services.intake.replicas=0']);
  const intake = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'relief-nuanyang-intake');
  expect(intake?.spec.replicas).toBe(0);
  // Every other workload keeps its autoscaler.
  expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => o.metadata.name)).toEqual(
    ['gateway', 'inventory', 'matching', 'reporting', 'verification', 'volunteer'].map(
      (s) => `relief-nuanyang-${s}`,
    ),
  );
});
