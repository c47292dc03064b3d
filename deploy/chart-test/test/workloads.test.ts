// What every workload must have, with the default, minimal and production values: probes, resources, a
// non-root read-only security context, its own ServiceAccount, an HPA (or a KEDA ScaledObject, which makes one),
// a PDB, topology spread, graceful termination, the standard labels; NetworkPolicies over a deny-all; and
// nothing at all for a disabled service.
import type { Manifest } from './chart';
import {
  ALL_SERVICES,
  component,
  DEFAULT_ENABLED,
  named,
  ofKind,
  render,
  selects,
  VALUES_SETS,
} from './chart';

const LABELS = ['name', 'component', 'version', 'part-of', 'managed-by'].map((k) => `app.kubernetes.io/${k}`);

describe.each(Object.entries(VALUES_SETS))('%s values', (name, files) => {
  const objects = render(files);
  const deployments = ofKind(objects, 'Deployment');
  const configOf = (d: Manifest) =>
    named(objects, 'ConfigMap', d.spec.template.spec.containers[0].envFrom[0].configMapRef.name).data ?? {};

  test('every object carries the app.kubernetes.io labels', () => {
    for (const o of objects) {
      for (const label of LABELS)
        expect([o.metadata.name, label, o.metadata.labels?.[label]]).toEqual([
          o.metadata.name,
          label,
          expect.any(String),
        ]);
      expect(o.metadata.labels?.['app.kubernetes.io/part-of']).toBe('nuanyang');
    }
  });

  test.each(deployments.map((d) => [d.metadata.name, d]))('%s: probes', (_n, d) => {
    const [container] = d.spec.template.spec.containers;
    const [port] = container.ports;
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      expect(container[probe]).toBeDefined();
      if (port.name === 'grpc') {
        expect(container[probe].grpc.port).toBe(port.containerPort);
      } else {
        expect(port.name).toBe('http');
        expect(container[probe].httpGet).toEqual({ path: '/healthz', port: 'http' });
      }
    }
    if (port.name === 'grpc')
      expect(container.readinessProbe.grpc.service).toMatch(/^nuanyang\.\w+\.v1\.\w+Service$/);
  });

  test.each(deployments.map((d) => [d.metadata.name, d]))('%s: resources', (_n, d) => {
    const { resources } = d.spec.template.spec.containers[0];
    expect(resources.requests.cpu).toBeDefined();
    expect(resources.requests.memory).toBeDefined();
    expect(resources.limits.memory).toBeDefined();
  });

  test.each(deployments.map((d) => [d.metadata.name, d]))(
    '%s: non-root, read-only security context',
    (_n, d) => {
      const pod = d.spec.template.spec;
      const [container] = pod.containers;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      const sc = container.securityContext;
      expect(sc.runAsNonRoot).toBe(true);
      expect(sc.runAsUser).toBeGreaterThan(0);
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.allowPrivilegeEscalation).toBe(false);
      expect(sc.privileged).toBe(false);
      expect(sc.capabilities.drop).toContain('ALL');
      expect(sc.capabilities.add).toBeUndefined();
      expect(sc.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      // A writable /tmp on the read-only root filesystem.
      const tmp = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir).toBeDefined();
    },
  );

  test.each(deployments.map((d) => [d.metadata.name, d]))('%s: its own ServiceAccount, no token', (_n, d) => {
    const pod = d.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    const account = named(objects, 'ServiceAccount', pod.serviceAccountName);
    expect(account.automountServiceAccountToken).toBe(false);
    expect(component(account)).toBe(component(d));
    const users = deployments.filter(
      (o) => o.spec.template.spec.serviceAccountName === pod.serviceAccountName,
    );
    expect(users).toHaveLength(1);
  });

  test.each(deployments.map((d) => [d.metadata.name, d]))(
    '%s: an HPA (or KEDA ScaledObject) and a PDB',
    (_n, d) => {
      const scalers = [
        ...ofKind(objects, 'HorizontalPodAutoscaler'),
        ...ofKind(objects, 'ScaledObject'),
      ].filter(
        (s) => s.spec.scaleTargetRef.kind === 'Deployment' && s.spec.scaleTargetRef.name === d.metadata.name,
      );
      expect(scalers).toHaveLength(1);
      // The autoscaler owns the replica count.
      expect(d.spec.replicas).toBeUndefined();
      const podLabels = d.spec.template.metadata.labels;
      const budgets = ofKind(objects, 'PodDisruptionBudget').filter((p) =>
        selects(p.spec.selector, podLabels),
      );
      expect(budgets).toHaveLength(1);
    },
  );

  test.each(deployments.map((d) => [d.metadata.name, d]))('%s: graceful termination', (_n, d) => {
    const pod = d.spec.template.spec;
    const sleep = pod.containers[0].lifecycle?.preStop?.sleep?.seconds ?? 0;
    const graceMs = Number(configOf(d).SHUTDOWN_GRACE_MS);
    expect(graceMs).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(sleep * 1000 + graceMs);
    expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  test.each(deployments.map((d) => [d.metadata.name, d]))('%s: environment', (_n, d) => {
    const [container] = d.spec.template.spec.containers;
    const config = configOf(d);
    const port = container.ports[0];
    const address = port.name === 'grpc' ? config.GRPC_ADDRESS : config.HTTP_ADDRESS;
    expect(address).toBe(`0.0.0.0:${port.containerPort}`);
    expect(config.MONGO_DATABASE).toBe(`nuanyang_${component(d)}`);
    // Each service's stream is its system of record: replicated 3 ways in production, 1 on one server.
    expect(config.NATS_REPLICAS).toBe(name === 'production' ? '3' : '1');
    const env: { name: string; value?: string; valueFrom?: Record<string, { fieldPath?: string }> }[] =
      container.env;
    expect(env.find((e) => e.name === 'OTEL_SERVICE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.labels['app.kubernetes.io/component']",
    );
    for (const secret of ['JWT_SECRET', 'MONGO_URL', 'NATS_URL']) {
      expect(env.find((e) => e.name === secret)?.valueFrom?.secretKeyRef).toBeDefined();
    }
    // A $(VAR) reference resolves only to a variable defined before it (in envFrom or earlier in env).
    const defined = new Set(Object.keys(config));
    for (const e of env) {
      for (const [, ref = ''] of (e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
        expect([e.name, ref, defined.has(ref)]).toEqual([e.name, ref, true]);
      }
      defined.add(e.name);
    }
  });

  if (name !== 'minimal') {
    test.each(deployments.map((d) => [d.metadata.name, d]))('%s: topology spread', (_n, d) => {
      const constraints = d.spec.template.spec.topologySpreadConstraints;
      expect(constraints.map((c: { topologyKey: string }) => c.topologyKey)).toEqual([
        'topology.kubernetes.io/zone',
        'kubernetes.io/hostname',
      ]);
      for (const c of constraints)
        expect(selects(c.labelSelector, d.spec.template.metadata.labels)).toBe(true);
    });
  }

  test('every Service targets its Deployment through a named port', () => {
    const services = ofKind(objects, 'Service');
    expect(services).toHaveLength(deployments.length);
    for (const s of services) {
      const d = named(objects, 'Deployment', s.metadata.name);
      expect(selects({ matchLabels: s.spec.selector }, d.spec.template.metadata.labels)).toBe(true);
      expect(s.spec.ports[0].targetPort).toBe(d.spec.template.spec.containers[0].ports[0].name);
    }
  });

  test('NetworkPolicies: a deny-all and one per service, with DNS, MongoDB and NATS egress', () => {
    const policies = ofKind(objects, 'NetworkPolicy');
    const denyAlls = policies.filter((p) => p.metadata.name.endsWith('-deny-all'));
    expect(denyAlls).toHaveLength(1);
    const denyAll = denyAlls[0]!;
    expect(denyAll.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(denyAll.spec.ingress).toBeUndefined();
    expect(denyAll.spec.egress).toBeUndefined();
    for (const d of deployments) {
      const podLabels = d.spec.template.metadata.labels;
      expect(
        selects(denyAll.spec.podSelector, podLabels) || denyAll.spec.podSelector.matchLabels === undefined,
      ).toBe(true);
      const own = policies.filter((p) => p !== denyAll && selects(p.spec.podSelector, podLabels));
      expect(own).toHaveLength(1);
      const ports = own[0]!.spec.egress.flatMap((rule: { ports: { port: number }[] }) =>
        rule.ports.map((p) => p.port),
      );
      expect(ports).toEqual(expect.arrayContaining([53, 27017, 4222]));
    }
  });
});

test('every service runs by default, and a disabled one renders nothing', () => {
  const objects = render();
  expect(ofKind(objects, 'Deployment').map(component).sort()).toEqual([...DEFAULT_ENABLED].sort());
  const without = render([], ['services.verification.enabled=false']);
  expect(
    without.filter((o) => component(o) === 'verification' || o.metadata.name.includes('verification')),
  ).toEqual([]);
  expect(ofKind(without, 'Deployment').map(component).sort()).toEqual(
    DEFAULT_ENABLED.filter((s) => s !== 'verification').sort(),
  );
});

test('the gateway, when enabled, serves HTTP behind the web ingress and may call every service', () => {
  const objects = render([], ['services.gateway.enabled=true', 'ingress.web.enabled=true']);
  const gateway = named(objects, 'Deployment', 'relief-nuanyang-gateway');
  expect(gateway.spec.template.spec.containers[0].ports[0]).toEqual({
    name: 'http',
    containerPort: 8080,
    protocol: 'TCP',
  });
  const [ingress] = ofKind(objects, 'Ingress');
  expect(ingress!.spec.rules[0].http.paths[0].backend.service).toEqual({
    name: 'relief-nuanyang-gateway',
    port: { name: 'http' },
  });
  const intakePolicy = named(objects, 'NetworkPolicy', 'relief-nuanyang-intake');
  expect(JSON.stringify(intakePolicy.spec.ingress)).toContain('"gateway"');
  expect(named(objects, 'ConfigMap', 'relief-nuanyang-gateway').data?.INTAKE_ADDRESS).toBe(
    'relief-nuanyang-intake:50051',
  );
});

test('production: the flows of the loop, and nothing more', () => {
  const objects = render(VALUES_SETS.production);
  const policy = (service: string) => named(objects, 'NetworkPolicy', `relief-nuanyang-${service}`);
  const callers = (service: string) =>
    policy(service)
      .spec.ingress.flatMap(
        (r: { from: { podSelector?: { matchExpressions?: { key: string; values: string[] }[] } }[] }) =>
          r.from.flatMap((f) => f.podSelector?.matchExpressions ?? []),
      )
      .filter((e: { key: string }) => e.key === 'app.kubernetes.io/component')
      .flatMap((e: { values: string[] }) => e.values)
      .sort();
  const fromIngressController = (service: string) =>
    JSON.stringify(policy(service).spec.ingress).includes('"ingress-nginx"');
  expect(callers('inventory')).toEqual(['gateway', 'matching']);
  expect(callers('intake')).toEqual(['gateway', 'volunteer']);
  for (const s of ['verification', 'matching', 'volunteer', 'reporting'])
    expect(callers(s)).toEqual(['gateway']);
  expect(callers('gateway')).toEqual([]);
  for (const s of ['intake', 'inventory', 'matching', 'gateway']) expect(fromIngressController(s)).toBe(true);
  for (const s of ['verification', 'volunteer', 'reporting']) expect(fromIngressController(s)).toBe(false);
  // matching may reach inventory; the collector is reachable when tracing is on.
  expect(JSON.stringify(policy('matching').spec.egress)).toContain('"inventory"');
  expect(JSON.stringify(policy('intake').spec.egress)).not.toContain('"inventory"');
  // volunteer may reach intake (the requester's contact for a delivery task).
  expect(JSON.stringify(policy('volunteer').spec.egress)).toContain('"intake"');
  for (const s of ALL_SERVICES) expect(JSON.stringify(policy(s).spec.egress)).toContain('4318');
  // The partners' gRPC ingress routes by gRPC service name to intake, inventory and matching.
  const grpc = named(objects, 'Ingress', 'relief-nuanyang-grpc');
  expect(grpc.metadata.annotations?.['nginx.ingress.kubernetes.io/backend-protocol']).toBe('GRPC');
  expect(grpc.spec.rules[0].http.paths.map((p: { path: string }) => p.path)).toEqual([
    '/nuanyang.intake.v1.IntakeService',
    '/nuanyang.inventory.v1.InventoryService',
    '/nuanyang.matching.v1.MatchingService',
  ]);
});

test('production: KEDA scales the JetStream consumers, HPAs the rest', () => {
  const objects = render(VALUES_SETS.production);
  const scaled = ofKind(objects, 'ScaledObject');
  const triggers = Object.fromEntries(
    scaled.map((s) => [
      component(s),
      s.spec.triggers
        .filter((t: { type: string }) => t.type === 'nats-jetstream')
        .map(
          (t: { metadata: { stream: string; consumer: string } }) =>
            `${t.metadata.stream}/${t.metadata.consumer}`,
        ),
    ]),
  );
  expect(triggers).toEqual({
    intake: [
      'NUANYANG_VERIFICATION/intake-verification-outcomes',
      'NUANYANG_MATCHING/intake-matching-coverage',
    ],
    verification: ['NUANYANG_INTAKE/verification-intake-received'],
    matching: [
      'NUANYANG_VERIFICATION/matching-verified',
      'NUANYANG_INTAKE/matching-cancelled',
      'NUANYANG_INVENTORY/matching-stock',
      'NUANYANG_VOLUNTEER/matching-delivered',
    ],
    volunteer: ['NUANYANG_MATCHING/volunteer-accepted', 'NUANYANG_INTAKE/volunteer-cancelled'],
    reporting: [
      'NUANYANG_INTAKE/reporting-g1-intake',
      'NUANYANG_VERIFICATION/reporting-g1-verification',
      'NUANYANG_MATCHING/reporting-g1-matching',
      'NUANYANG_VOLUNTEER/reporting-g1-volunteer',
    ],
  });
  const hpas = ofKind(objects, 'HorizontalPodAutoscaler').map(component).sort();
  expect(hpas).toEqual(['gateway', 'inventory']);
  expect(named(objects, 'ScaledObject', 'relief-nuanyang-intake').spec.maxReplicaCount).toBe(30);
});

test('autoscaling off: a fixed replica count and no HPA', () => {
  const objects = render([], ['default.autoscaling.enabled=false', 'default.replicas=3']);
  expect(ofKind(objects, 'HorizontalPodAutoscaler')).toEqual([]);
  for (const d of ofKind(objects, 'Deployment')) expect(d.spec.replicas).toBe(3);
});
