// Every rendered object against the Kubernetes API schemas: each is built with the kubernetes-models class of
// its apiVersion and kind, and `.validate()` checks types, enums and required fields. KEDA's ScaledObject is not
// a Kubernetes API type: it gets explicit checks of its own (below). Any other kind fails the test.
import type { Manifest } from './chart';
import { named, ofKind, render, VALUES_SETS } from './chart';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: object) => Validatable;

/** `apps/v1` -> kubernetes-models/apps/v1, core `v1` -> kubernetes-models/v1. */
function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  let group: Record<string, unknown>;
  try {
    group = require(`kubernetes-models/${apiVersion}`);
  } catch {
    return undefined;
  }
  const model = group[kind];
  return typeof model === 'function' ? (model as ModelClass) : undefined;
}

const KEDA_SPEC_KEYS = [
  'scaleTargetRef',
  'pollingInterval',
  'cooldownPeriod',
  'initialCooldownPeriod',
  'idleReplicaCount',
  'minReplicaCount',
  'maxReplicaCount',
  'fallback',
  'advanced',
  'triggers',
];
const JETSTREAM_METADATA = [
  'natsServerMonitoringEndpoint',
  'account',
  'stream',
  'consumer',
  'lagThreshold',
  'activationLagThreshold',
  'useHttps',
];

/** KEDA's ScaledObject (keda.sh/v1alpha1), checked field by field against KEDA's documented spec. */
function checkScaledObject(o: Manifest, objects: Manifest[]): void {
  expect(o.apiVersion).toBe('keda.sh/v1alpha1');
  const spec = o.spec;
  for (const key of Object.keys(spec)) expect(KEDA_SPEC_KEYS).toContain(key);
  expect(spec.scaleTargetRef).toEqual({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: expect.any(String),
  });
  named(objects, 'Deployment', spec.scaleTargetRef.name);
  for (const key of ['pollingInterval', 'cooldownPeriod', 'minReplicaCount', 'maxReplicaCount']) {
    expect(Number.isInteger(spec[key])).toBe(true);
  }
  expect(spec.minReplicaCount).toBeGreaterThanOrEqual(1);
  expect(spec.maxReplicaCount).toBeGreaterThanOrEqual(spec.minReplicaCount);
  // The HPA KEDA creates takes this behavior: it must be a valid autoscaling/v2 behavior.
  const behavior = spec.advanced?.horizontalPodAutoscalerConfig?.behavior;
  if (behavior) {
    const { HorizontalPodAutoscalerBehavior } = require('kubernetes-models/autoscaling/v2');
    new HorizontalPodAutoscalerBehavior(behavior).validate();
  }
  expect(Array.isArray(spec.triggers) && spec.triggers.length > 0).toBe(true);
  const jetstream = spec.triggers.filter((t: { type: string }) => t.type === 'nats-jetstream');
  expect(jetstream.length).toBeGreaterThan(0);
  for (const trigger of spec.triggers) {
    expect(['nats-jetstream', 'cpu', 'memory']).toContain(trigger.type);
    // KEDA's trigger metadata is map[string]string: a number or boolean there is rejected by its CRD.
    for (const value of Object.values(trigger.metadata)) expect(typeof value).toBe('string');
    if (trigger.type === 'nats-jetstream') {
      expect(Object.keys(trigger.metadata).sort()).toEqual([...JETSTREAM_METADATA].sort());
      expect(trigger.metadata.natsServerMonitoringEndpoint).toMatch(/^[^\s/:]+:\d+$/);
      expect(trigger.metadata.lagThreshold).toMatch(/^[1-9]\d*$/);
      expect(trigger.metadata.useHttps).toMatch(/^(true|false)$/);
    } else {
      expect(trigger.metricType).toBe('Utilization');
      expect(trigger.metadata.value).toMatch(/^[1-9]\d*$/);
    }
  }
}

describe.each(Object.entries(VALUES_SETS))('%s values', (_name, files) => {
  const objects = render(files);

  test('every object is valid against the Kubernetes API schema of its kind', () => {
    const problems: string[] = [];
    for (const o of objects) {
      const id = `${o.apiVersion} ${o.kind} ${o.metadata?.name}`;
      if (o.kind === 'ScaledObject') continue;
      const Model = modelFor(o.apiVersion, o.kind);
      if (!Model) {
        problems.push(`${id}: no kubernetes-models class (and no explicit check in this test)`);
        continue;
      }
      try {
        new Model(o).validate();
      } catch (err) {
        problems.push(`${id}: ${(err as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('every KEDA ScaledObject passes its explicit checks', () => {
    for (const o of ofKind(objects, 'ScaledObject')) checkScaledObject(o, objects);
  });
});

test('the validation does catch a broken object', () => {
  const [deployment] = ofKind(render(), 'Deployment');
  const broken = structuredClone(deployment!);
  broken.spec.template.spec.containers[0].ports[0].containerPort = 'grpc';
  const Model = modelFor(broken.apiVersion, broken.kind);
  expect(Model).toBeDefined();
  expect(() => new (Model as ModelClass)(broken).validate()).toThrow(/containerPort/);
});
