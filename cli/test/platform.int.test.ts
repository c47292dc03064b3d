import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyToken } from '@nuanyang/auth';
import { STAGES } from '@nuanyang/scenario';
import {
  repoRoot,
  type ServiceProcess,
  spawnService,
  startNatsServer,
  TEST_JWT_SECRET,
} from '@nuanyang/testkit';

/**
 * The built CLI (cli/dist/main.js) as operators run it, against the real services, FerretDB and NATS:
 * demo data with work left in every stage, loaded twice, then the summary and a CSV export.
 */
const CLI = path.join(repoRoot, 'cli/dist/main.js');
const CALL_ATTEMPTS = 2;
const REQUESTS = 30;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('nuanyang against the platform', () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  const services: ServiceProcess[] = [];
  let addresses: string[] = [];
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nuanyang-cli-'));

  const nuanyang = (...args: string[]): Promise<Ran> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...addresses, ...args],
        { env: { ...process.env, JWT_SECRET: TEST_JWT_SECRET, NUANYANG_TOKEN: '' }, timeout: 280_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: build first (make build, or tsc -b cli)`);
    nats = await startNatsServer();
    const env = { NATS_URL: nats.url };
    // A busy 2-core machine may take a while to start six processes.
    const patient = { startTimeoutMs: 90_000 };
    const [intake, verification, inventory, reporting] = await Promise.all([
      spawnService('intake', env, patient),
      spawnService('verification', { ...env, MAX_CALL_ATTEMPTS: String(CALL_ATTEMPTS) }, patient),
      spawnService('inventory', env, patient),
      spawnService('reporting', env, patient),
    ]);
    const [matching, volunteer] = await Promise.all([
      spawnService('matching', { ...env, INVENTORY_ADDRESS: inventory.address }, patient),
      spawnService('volunteer', { ...env, INTAKE_ADDRESS: intake.address }, patient),
    ]);
    services.push(intake, verification, inventory, reporting, matching, volunteer);
    addresses = Object.entries({ intake, verification, inventory, matching, volunteer, reporting }).flatMap(
      ([name, s]) => [`--${name}`, s.address],
    );
  }, 240_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await nats?.stop();
    fs.rmSync(out, { recursive: true, force: true });
  });

  const demo = () =>
    nuanyang(
      'demo',
      '--requests',
      String(REQUESTS),
      '--in-progress',
      '0.3',
      '--call-attempts',
      String(CALL_ATTEMPTS),
      '--json',
    );
  let expected: Record<string, number>;

  it('loads demo data with work left in every stage, stage by stage, as plain lines off a terminal', async () => {
    const ran = await demo();
    expect({ code: ran.code, stderr: ran.code === 0 ? '' : ran.stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(ran.stdout);
    expect(result).toMatchObject({ seed: 20211223, requests: REQUESTS, expected: { collected: REQUESTS } });
    for (const stage of ['verification', 'acceptance', 'delivery'])
      expect(result.inProgress[stage]).toBeGreaterThan(0);
    expected = result.expected;
    // One line per stage as it ends, on stderr.
    expect(
      ran.stderr
        .trim()
        .split('\n')
        .map((l) => l.split(/\s{2,}/)[0]),
    ).toEqual([...STAGES]);
    // The tokens sign in as the demo's own organisations.
    const supplier = result.identities.find((i: { role: string }) => i.role === 'supplier');
    expect(verifyToken(supplier.token, TEST_JWT_SECRET)).toMatchObject({
      organisationId: result.organisations['陕西食品商会'],
      roles: ['supplier'],
    });
    // Seconds on an idle machine; minutes when other suites share its two cores.
  }, 300_000);

  it('changes nothing when run again', async () => {
    const ran = await demo();
    expect({ code: ran.code, stderr: ran.code === 0 ? '' : ran.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(ran.stdout).expected).toEqual(expected);
  }, 300_000);

  it('prints the summary with the figures the demo implies, as JSON and as a table', async () => {
    const figures = [
      'collected',
      'verified',
      'rejected',
      'duplicates',
      'unreachable',
      'matched',
      'fulfilled',
      'peopleHelped',
    ] as const;
    const want = Object.fromEntries(figures.map((f) => [f, expected[f]]));
    let got: Record<string, unknown> = {};
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const ran = await nuanyang('summary', '--json');
      expect(ran).toMatchObject({ code: 0, stderr: '' });
      const requests = JSON.parse(ran.stdout).requests;
      got = Object.fromEntries(figures.map((f) => [f, requests[f]]));
      if (JSON.stringify(got) === JSON.stringify(want)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(got).toEqual(want);
    expect(want.collected).toBe(REQUESTS);

    const table = await nuanyang(
      'summary',
      '--district',
      'yanta,beilin,lianhu,changan,huyi,weiyang,baqiao,lintong',
    );
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^  collected\\s+${REQUESTS}$`, 'm'));
    expect(table.stdout).toContain('Supplies delivered');
  }, 90_000);

  it('exports who-what-where to a file whose second row holds the HXL hashtags', async () => {
    const file = path.join(out, '3w.csv');
    const ran = await nuanyang('export', '--kind', 'who-what-where', '--out', file);
    expect(ran).toMatchObject({ code: 0, stdout: '' });
    expect(ran.stderr).toMatch(/^wrote \d+ bytes to .*3w\.csv\n$/);
    const rows = fs
      .readFileSync(file, 'utf8')
      .replace(/^\uFEFF/, '')
      .split('\r\n');
    expect(rows.length).toBeGreaterThan(2);
    const hashtags = rows[1]!.split(',');
    for (const tag of hashtags) expect(tag).toMatch(/^#[a-z]/);
    expect(hashtags.filter((t) => t.startsWith('#org'))).not.toHaveLength(0);
    expect(fs.existsSync(`${file}.part`)).toBe(false);

    const plain = await nuanyang('export', '--kind', 'who-what-where', '--no-hxl');
    expect(plain.code).toBe(0);
    expect(plain.stdout.split('\r\n')[1]).not.toMatch(/^#/);
  }, 60_000);

  it('prints a service error as one line with exit code 1', async () => {
    const ran = await nuanyang('summary', '--district', 'atlantis');
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^nuanyang: INVALID_ARGUMENT: filter\.districts.*\n$/);
  });
});
