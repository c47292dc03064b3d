// helm itself: the pinned version from .tools/bin, `helm lint --strict` and `helm template` with the default,
// minimal and production values.
import { HELM_VERSION, helm, ofKind, render, VALUES_SETS } from './chart';

test(`helm in .tools/bin is ${HELM_VERSION} (built by deploy/local/tools.sh)`, () => {
  const result = helm(['version']);
  expect(result.status).toBe(0);
  expect(result.stdout).toContain(`"${HELM_VERSION}"`);
});

describe.each(Object.entries(VALUES_SETS))('%s values', (_name, files) => {
  test('helm lint --strict passes', () => {
    const result = helm(['lint', '--strict', '.', ...files.flatMap((f) => ['--values', f])]);
    if (result.status !== 0)
      throw new Error(`helm lint --strict failed:\n${result.stdout}\n${result.stderr}`);
    expect(result.stdout).toContain('0 chart(s) failed');
  });

  test('helm template renders the enabled services', () => {
    const objects = render(files);
    expect(ofKind(objects, 'Deployment').length).toBeGreaterThanOrEqual(2);
    for (const o of objects) expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });
});
