#!/usr/bin/env node
// `make start`: the embedded stack on this machine, all on 127.0.0.1: PostgreSQL (a private cluster kept in
// .data/local/postgres), FerretDB on it, NATS (JetStream), and every built service under services/*/ (a folder
// with package.json and dist/main.js), each as a process with a coloured, prefixed log, run by concurrently.
// FerretDB waits until PostgreSQL accepts sessions, services wait for the servers' ports (wait-on).
// One process ending (a crash, or Ctrl-C) stops all the others. Once everything is up it loads the demo
// data with the CLI (`nuanyang demo`, cli/) unless it already did into this cluster, then prints where the
// console is and tokens for the demo's people.
//
// Environment:
//   MONGO_URL / NATS_URL   use that MongoDB / NATS instead of starting the local one (and, for MongoDB, PostgreSQL)
//   JWT_SECRET             default nuanyang-local-dev-secret (a demo secret: local runs only)
//   LOG_LEVEL              passed to every service (default info)
//   OTEL_*                 passed through; without an OTLP endpoint or exporter set, traces are not exported
//   DEMO                   0: do not load demo data; always: load it even if this stack's cluster has it

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { servers, LOCAL_PORTS, root } = require('./servers.js');

const waitOnBin = require.resolve('wait-on/bin/wait-on');
const waitOn = require('wait-on');

const HOST = '127.0.0.1';
/**
 * Fixed local ports, the one table in @nuanyang/config (built by `make build` before this runs); a service
 * not listed there gets the next free number from 50060 on.
 */
const { LOCAL_PORTS: SERVICE_PORTS } = require(path.join(root, 'libs/config/dist'));
/** Services that serve HTTP rather than gRPC: they get HTTP_ADDRESS instead of GRPC_ADDRESS. */
const HTTP_SERVICES = new Set(['gateway']);
const DEMO_JWT_SECRET = 'nuanyang-local-dev-secret';
const COLORS = ['cyan', 'green', 'magenta', 'yellow', 'blue', 'red', 'white', 'gray'];

const rel = (p) => path.relative(process.cwd(), p) || '.';
const quote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${String(arg).replace(/'/g, `'\\''`)}'`);
const envName = (name) => `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_ADDRESS`;

/** services/<name>/ with a package.json; `built` when dist/main.js exists. */
function discoverServices() {
  const dir = path.join(root, 'services');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'package.json')))
    .map((entry) => {
      const main = path.join(dir, entry.name, 'dist/main.js');
      return { name: entry.name, dir: path.join(dir, entry.name), main, built: fs.existsSync(main) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function assignPorts(services) {
  const taken = new Set(Object.values(SERVICE_PORTS));
  let next = 50060;
  return services.map((service) => {
    let port = SERVICE_PORTS[service.name];
    if (port === undefined) {
      while (taken.has(next)) next += 1;
      port = next;
      taken.add(port);
    }
    return { ...service, port, address: `${HOST}:${port}` };
  });
}

function portFree(port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}

async function main() {
  const env = process.env;
  const useLocalMongo = !env.MONGO_URL;
  const useLocalNats = !env.NATS_URL;
  const dataRoot = path.join(root, '.data/local');

  // Nothing of the caller's environment may reconfigure a server or point every service at one database.
  for (const key of Object.keys(env))
    if (key.startsWith('FERRETDB_') || key.startsWith('PG')) delete env[key];
  delete env.MONGO_DATABASE;
  delete env.GRPC_ADDRESS;
  delete env.HTTP_ADDRESS;

  const discovered = discoverServices();
  for (const s of discovered.filter((s) => !s.built)) {
    console.warn(`start: services/${s.name} has no dist/main.js (not built): skipped`);
  }
  const services = assignPorts(discovered.filter((s) => s.built));
  const register = path.join(root, 'libs/telemetry/dist/register.js');
  if (services.length > 0 && !fs.existsSync(register)) {
    throw new Error(`${rel(register)} is missing: run \`make build\` first`);
  }

  const commands = [];
  const waitFor = [];
  // initdb on the first start; kept across starts, with fsync on (servers.js says why).
  const postgres = useLocalMongo
    ? servers.postgres({ port: LOCAL_PORTS.postgres, dataDir: path.join(dataRoot, 'postgres') })
    : undefined;
  const ferretdb = useLocalMongo
    ? servers.ferretdb({
        port: LOCAL_PORTS.ferretdb,
        dataDir: path.join(dataRoot, 'ferretdb'),
        postgresUrl: postgres.url,
      })
    : undefined;
  const nats = useLocalNats
    ? servers.nats({ port: LOCAL_PORTS.nats, dataDir: path.join(dataRoot, 'nats') })
    : undefined;
  for (const server of [postgres, ferretdb, nats].filter(Boolean)) {
    // PostgreSQL listens before it has finished starting (or recovering): FerretDB waits for it to accept sessions.
    const waitPostgres =
      server === ferretdb
        ? `${['node', 'deploy/local/servers.js', 'wait', 'postgres', '--port', postgres.port, '--timeout', 120].map(quote).join(' ')} && `
        : '';
    const command = server.command.startsWith(`${root}${path.sep}`)
      ? path.relative(root, server.command)
      : server.command;
    commands.push({
      name: server.name,
      command: `${waitPostgres}exec ${[command, ...server.args].map(quote).join(' ')}`,
      env: { DO_NOT_TRACK: '1' },
    });
    waitFor.push(`tcp:${server.host}:${server.port}`);
  }

  const mongoUrl = env.MONGO_URL ?? ferretdb.url;
  const natsUrl = env.NATS_URL ?? nats.url;
  const addresses = {};
  for (const [name, port] of Object.entries(SERVICE_PORTS)) {
    if (!HTTP_SERVICES.has(name)) addresses[envName(name)] = `${HOST}:${port}`;
  }
  for (const s of services) if (!HTTP_SERVICES.has(s.name)) addresses[envName(s.name)] = s.address;
  const exportsTraces =
    env.OTEL_TRACES_EXPORTER || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;

  const waitPrefix =
    waitFor.length > 0
      ? `${['node', waitOnBin, '--timeout', '120000', '--interval', '100', ...waitFor].map(quote).join(' ')} && `
      : '';
  for (const s of services) {
    const own = HTTP_SERVICES.has(s.name) ? { HTTP_ADDRESS: s.address } : { GRPC_ADDRESS: s.address };
    const { [envName(s.name)]: _self, ...others } = addresses;
    commands.push({
      name: s.name,
      cwd: s.dir,
      command: `${waitPrefix}exec ${['node', '--require', register, s.main].map(quote).join(' ')}`,
      env: {
        ...others,
        ...own,
        MONGO_URL: mongoUrl,
        NATS_URL: natsUrl,
        JWT_SECRET: env.JWT_SECRET ?? DEMO_JWT_SECRET,
        LOG_LEVEL: env.LOG_LEVEL ?? 'info',
        OTEL_SERVICE_NAME: s.name,
        OTEL_TRACES_EXPORTER: env.OTEL_TRACES_EXPORTER ?? (exportsTraces ? 'otlp' : 'none'),
        OTEL_METRICS_EXPORTER: env.OTEL_METRICS_EXPORTER ?? 'none',
        OTEL_LOGS_EXPORTER: env.OTEL_LOGS_EXPORTER ?? 'none',
      },
    });
  }
  commands.forEach((command, i) => {
    command.prefixColor = COLORS[i % COLORS.length];
  });

  // Another stack (or anything else) on our ports: say so now rather than as a crash in the middle of the logs.
  const ports = [postgres?.port, ferretdb?.port, nats?.port, ...services.map((s) => s.port)].filter(Boolean);
  const busy = [];
  for (const port of ports) if (!(await portFree(port))) busy.push(port);
  if (busy.length > 0) {
    throw new Error(`port(s) ${busy.join(', ')} on ${HOST} already in use (another \`make start\`?)`);
  }

  const { concurrently } = require('concurrently');
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(signal, () => (interrupted = true));
  const { result } = concurrently(commands, {
    prefix: 'name',
    padPrefix: true,
    killOthersOn: ['failure', 'success'],
    killSignal: 'SIGTERM',
    killTimeout: 15_000,
    handleInput: false,
    cwd: root,
  });
  let finished = false;
  const outcome = result.then(
    () => 0,
    () => (interrupted ? 0 : 1),
  );
  void outcome.then(() => {
    finished = true;
  });

  const resources = [...waitFor, ...services.map((s) => `tcp:${s.address}`)];
  const ready = await waitOn({ resources, timeout: 180_000, interval: 250 }).then(
    () => true,
    () => false,
  );
  const demo = ready && !finished ? await loadDemo(services, postgres) : undefined;
  if (!finished)
    printSummary({
      ready,
      postgres,
      ferretdb,
      nats,
      mongoUrl,
      natsUrl,
      services,
      skipped: discovered.filter((s) => !s.built),
      demo,
    });
  process.exitCode = await outcome;
}

const DEMO_SERVICES = ['intake', 'verification', 'inventory', 'matching', 'volunteer'];

/**
 * Loads the demo data through the services with the CLI (`nuanyang demo --json`), its progress lines
 * prefixed in the log. The CLI is idempotent, but a run costs seconds: with the local cluster, a marker in
 * its data directory remembers that it is loaded (and who the demo's people are), and later starts skip it;
 * a new cluster (the directory removed) has no marker.
 * Resolves with { status, note, identities } for the summary; never fails the stack.
 */
async function loadDemo(services, postgres) {
  const cli = path.join(root, 'cli/dist/main.js');
  const marker = postgres ? path.join(postgres.dataDir, 'nuanyang-demo.json') : undefined;
  const missing = DEMO_SERVICES.filter((name) => !services.some((s) => s.name === name));
  if (process.env.DEMO === '0') return { status: 'not loaded (DEMO=0)' };
  if (!fs.existsSync(cli)) return { status: `not loaded: ${rel(cli)} is missing (make build)` };
  if (missing.length > 0) return { status: `not loaded: ${missing.join(', ')} not built` };
  if (marker && fs.existsSync(marker) && process.env.DEMO !== 'always') {
    try {
      const loaded = JSON.parse(fs.readFileSync(marker, 'utf8'));
      return { status: `already loaded (${loaded.note}); DEMO=always loads it again`, ...loaded };
    } catch {
      // An unreadable marker: load again (idempotent).
    }
  }
  const { spawn } = require('node:child_process');
  const addresses = services
    .filter((s) => !HTTP_SERVICES.has(s.name))
    .flatMap((s) => [`--${s.name}`, s.address]);
  process.stdout.write('start: loading demo data (nuanyang demo)…\n');
  const child = spawn(process.execPath, [cli, ...addresses, 'demo', '--json'], {
    cwd: root,
    env: { ...process.env, JWT_SECRET: process.env.JWT_SECRET ?? DEMO_JWT_SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    for (const line of String(chunk).split('\n').filter(Boolean)) process.stdout.write(`demo │ ${line}\n`);
  });
  const code = await new Promise((resolve) => child.once('close', resolve));
  if (code !== 0)
    return { status: `not loaded: nuanyang demo exited with ${code} (${stderr.trim().split('\n').pop()})` };
  const result = JSON.parse(stdout);
  const waiting = Object.values(result.inProgress).reduce((a, b) => a + b, 0);
  const loaded = {
    note: `${result.requests} requests, seed ${result.seed}, ${waiting} left in progress`,
    identities: result.identities.map(({ token: _, ...who }) => who),
  };
  if (marker) fs.writeFileSync(marker, `${JSON.stringify(loaded, null, 2)}\n`);
  return { status: `loaded (${loaded.note})`, ...loaded };
}

/** One token per role a person plays in the loop, signed with the stack's secret. */
function demoTokens(identities) {
  const { issueToken } = require(path.join(root, 'libs/auth/dist'));
  const secret = process.env.JWT_SECRET ?? DEMO_JWT_SECRET;
  if (identities)
    return identities.map((who) => [
      `${who.role.padEnd(10)}${who.name}`,
      issueToken({ subject: who.subject, organisationId: who.organisationId, roles: [who.role] }, secret),
    ]);
  return [
    [
      'operator',
      { subject: 'demo-operator', organisationId: 'org-coordination-centre', roles: ['operator'] },
    ],
    [
      'verifier',
      { subject: 'demo-verifier', organisationId: 'org-coordination-centre', roles: ['verifier'] },
    ],
    ['partner', { subject: 'demo-partner', organisationId: 'org-huyi-volunteers', roles: ['partner'] }],
    [
      'supplier',
      { subject: 'demo-supplier', organisationId: 'org-frozen-food-association', roles: ['supplier'] },
    ],
  ].map(([who, principal]) => [who, issueToken(principal, secret)]);
}

function printSummary({ ready, postgres, ferretdb, nats, mongoUrl, natsUrl, services, skipped, demo }) {
  const gateway = services.find((s) => s.name === 'gateway');
  const rows = [
    ...(postgres ? [['postgres', postgres.url, `data ${rel(postgres.dataDir)} (fsync on)`]] : []),
    [
      'ferretdb',
      ferretdb ? `${mongoUrl}` : `${redact(mongoUrl)} (given by MONGO_URL)`,
      ferretdb ? 'on postgres' : '',
    ],
    [
      'nats',
      nats ? `${natsUrl}` : `${redact(natsUrl)} (given by NATS_URL)`,
      nats ? `JetStream, data ${rel(nats.dataDir)}` : '',
    ],
    ...services.map((s) => [
      s.name,
      HTTP_SERVICES.has(s.name) ? `http://${s.address}` : `grpc ${s.address}`,
      `database nuanyang_${s.name}`,
    ]),
  ];
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  const whereWidth = Math.max(34, ...rows.map((r) => r[1].length + 2));
  const lines = [
    '',
    `── Nuanyang local stack ${ready ? 'is up' : 'did not fully come up within 3 minutes (see the logs above)'} ──`,
    ...rows.map(([name, where, note]) => `  ${name.padEnd(width)}${where.padEnd(whereWidth)}${note}`),
    ...(services.length === 0 ? ['  (no built service under services/*/ yet)'] : []),
    ...skipped.map((s) => `  ${s.name.padEnd(width)}not built: skipped`),
    `  JWT_SECRET ${process.env.JWT_SECRET ? '(from the environment)' : `${DEMO_JWT_SECRET} (demo, local only)`}`,
    `  Demo data  ${demo?.status ?? 'not loaded'}`,
    `  Console    ${gateway ? `http://${gateway.address}/` : 'not built yet (services/gateway)'}`,
    '  Demo tokens (bearer, 12 h) for the "authorization" header or metadata; more: node cli/dist/main.js token --help',
    ...formatTokens(demoTokens(demo?.identities)),
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function formatTokens(rows) {
  const width = Math.max(...rows.map(([who]) => displayWidth(who))) + 2;
  return rows.map(([who, token]) => `    ${who}${' '.repeat(width - displayWidth(who))}${token}`);
}

/** Columns a label takes in a terminal: CJK characters take two. */
function displayWidth(text) {
  return [...text].reduce(
    (w, ch) => w + (/[\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]/.test(ch) ? 2 : 1),
    0,
  );
}

/** Hides a password in a URL before printing it. */
function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

main().catch((error) => {
  console.error(`start: ${error.message}`);
  process.exit(1);
});
