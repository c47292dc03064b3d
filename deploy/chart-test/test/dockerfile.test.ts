// The Dockerfile, without a Docker engine: BuildKit's own Dockerfile checks (the code behind
// `docker build --check`, built into .tools/bin/dockerfile-lint from deploy/chart-test/dockerfile-lint by
// `make chart-test`), then what the image must be: multi-stage, built by SERVICE, small non-root runtime.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ALL_SERVICES, dockerfileLintBin, fixturesDir, repoRoot, requireTool } from './chart';

const dockerfile = path.join(repoRoot, 'Dockerfile');
const text = fs.readFileSync(dockerfile, 'utf8');

function lint(file: string, args: string[] = []) {
  requireTool(dockerfileLintBin, 'run `make chart-test` (it builds the linter with Go)');
  const result = spawnSync(dockerfileLintBin, [...args, file], { encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test.each(ALL_SERVICES)('BuildKit finds nothing to warn about with SERVICE=%s', (service) => {
  const result = lint(dockerfile, ['--build-arg', `SERVICE=${service}`]);
  expect([result.status, result.output]).toEqual([0, expect.stringContaining('no lint warnings')]);
});

test('the linter does reject a bad Dockerfile', () => {
  const result = lint(path.join(fixturesDir, 'bad.Dockerfile'));
  expect(result.status).toBe(1);
  expect(result.output).toMatch(/unknown flag: --frm|ConsistentInstructionCasing|JSONArgsRecommended/);
});

test('multi-stage: build with pnpm, generated proto code and tsc -b; deploy --prod into a distroless runtime', () => {
  const stages = [...text.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => [m[1], m[2]]);
  expect(stages).toEqual([
    [`node:\${NODE_MAJOR}-bookworm-slim`, 'build'],
    [`gcr.io/distroless/nodejs\${NODE_MAJOR}-debian12:nonroot`, 'runtime'],
  ]);
  expect(text).toMatch(/^ARG SERVICE$/m);
  expect(text).toContain('pnpm install --offline --frozen-lockfile');
  expect(text).toContain('bash libs/proto/generate.sh && pnpm exec tsc -b');
  expect(text).toMatch(/pnpm --filter "\.\/services\/\$\{SERVICE\}" deploy --legacy --prod/);
  expect(text).toContain('COPY --from=build /out /app');
  expect(text).toContain('PROTO_ROOT=/app/proto');
});

test('the runtime runs as the non-root uid the chart expects, with the telemetry preloaded', () => {
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  expect(runtime).toMatch(/^USER 65532:65532$/m);
  expect(runtime).toContain(
    'CMD ["--require", "/app/node_modules/@nuanyang/telemetry/dist/register.js", "/app/dist/main.js"]',
  );
  const values = fs.readFileSync(path.join(repoRoot, 'deploy/helm/nuanyang/values.yaml'), 'utf8');
  expect(values).toMatch(/runAsUser: 65532/);
});

test('.dockerignore keeps installed, built and local-only files out, and every workspace manifest in', () => {
  const ignore = fs.readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n');
  for (const pattern of ['**/node_modules', '**/dist', '.git', '.tools', '.data', 'libs/proto/src/gen']) {
    expect(ignore).toContain(pattern);
  }
  for (const manifest of ['e2e/package.json', 'bench/package.json', 'deploy/chart-test/package.json']) {
    expect(ignore).toContain(`!${manifest}`);
  }
});
