// Renders deploy/helm/nuanyang with the helm that deploy/local/tools.sh builds into .tools/bin, and parses
// what it prints. Every test file uses these helpers; none needs a cluster.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const repoRoot = path.resolve(__dirname, '../../..');
export const chartDir = path.join(repoRoot, 'deploy/helm/nuanyang');
export const fixturesDir = path.resolve(__dirname, '../fixtures');
export const HELM_VERSION = 'v3.22.0';
export const helmBin = path.join(repoRoot, '.tools/bin/helm');
export const dockerfileLintBin = path.join(repoRoot, '.tools/bin/dockerfile-lint');

/** The values files every rendering check runs with (paths relative to the chart). */
export const VALUES_SETS: Record<string, string[]> = {
  default: [],
  minimal: ['ci/minimal-values.yaml'],
  production: ['ci/production-values.yaml'],
};

/** Every service the chart knows, and the ones enabled by default. */
export const ALL_SERVICES = [
  'intake',
  'verification',
  'inventory',
  'matching',
  'volunteer',
  'reporting',
  'gateway',
];
/** Every service and the gateway run in a default install: the loop needs them all. */
export const DEFAULT_ENABLED = ALL_SERVICES;

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered objects are untyped JSON, read by path in assertions
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  automountServiceAccountToken?: boolean;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Fails with a message that says how to get the tool, instead of a bare ENOENT. */
export function requireTool(bin: string, how: string): void {
  if (!fs.existsSync(bin)) {
    throw new Error(`${path.relative(repoRoot, bin)} is missing: ${how}`);
  }
}

export function helm(args: string[]): RunResult {
  requireTool(helmBin, 'run `make tools` (deploy/local/tools.sh builds helm with Go), or `make chart-test`');
  const result = spawnSync(helmBin, args, {
    cwd: chartDir,
    encoding: 'utf8',
    // No cluster, no repositories: keep helm away from the user's kubeconfig and helm settings.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      KUBECONFIG: '/dev/null',
      HELM_CACHE_HOME: path.join(repoRoot, '.data/helm/cache'),
      HELM_CONFIG_HOME: path.join(repoRoot, '.data/helm/config'),
      HELM_DATA_HOME: path.join(repoRoot, '.data/helm/data'),
    },
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function valueArgs(files: string[], set: string[]): string[] {
  return [...files.flatMap((f) => ['--values', f]), ...set.flatMap((s) => ['--set', s])];
}

/** `helm template` (release "relief", namespace "nuanyang"); throws with helm's message when it fails. */
export function render(files: string[] = [], set: string[] = []): Manifest[] {
  const result = helm(['template', 'relief', '.', '--namespace', 'nuanyang', ...valueArgs(files, set)]);
  if (result.status !== 0) {
    throw new Error(`helm template ${[...files, ...set].join(' ')} failed:\n${result.stderr}`);
  }
  return parseManifests(result.stdout);
}

/** `helm template` expected to fail: returns helm's error output. */
export function renderError(files: string[] = [], set: string[] = []): string {
  const result = helm(['template', 'relief', '.', '--namespace', 'nuanyang', ...valueArgs(files, set)]);
  if (result.status === 0)
    throw new Error(`helm template ${[...files, ...set].join(' ')} unexpectedly succeeded`);
  return result.stderr;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm printed invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

export const ofKind = (objects: Manifest[], kind: string) => objects.filter((o) => o.kind === kind);

export const component = (o: Manifest) => o.metadata.labels?.['app.kubernetes.io/component'];

/** The object of `kind` named exactly `name`; fails the test when there is none. */
export function named(objects: Manifest[], kind: string, name: string): Manifest {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind} named ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`)}`);
  return found;
}

/** True when `selector.matchLabels` picks a pod with `labels`. */
export function selects(selector: { matchLabels?: Record<string, string> }, labels: Record<string, string>) {
  const wanted = Object.entries(selector?.matchLabels ?? {});
  return wanted.length > 0 && wanted.every(([k, v]) => labels[k] === v);
}
