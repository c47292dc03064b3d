#!/usr/bin/env node
// The infrastructure servers of the embedded stack, defined once: `make start` (deploy/local/start.js) and the
// jest suite (libs/testkit/global-setup.js) both build their command lines here. Node built-ins only, so it
// loads from anywhere in the repo.
//
// Run one in the foreground, for a process supervisor or by hand (FerretDB needs the PostgreSQL one running):
//   node deploy/local/servers.js postgres [--port 37432] [--data .data/local/postgres]
//   node deploy/local/servers.js ferretdb [--port 37017] [--data .data/local/ferretdb] [--postgres-port 37432]
//   node deploy/local/servers.js nats     [--port 14222] [--data .data/local/nats]
// and wait until one accepts connections (exit 0; 1 after the time-out):
//   node deploy/local/servers.js wait postgres [--port 37432] [--timeout 60]
//
// All listen on 127.0.0.1 only, on the given port only, and never call out:
// - PostgreSQL 15 (Debian's binaries, deploy/local/postgres.sh): a private cluster in its data directory, made
//   by initdb on first use, with its own port and its Unix socket inside the data directory, so it never
//   touches a PostgreSQL the machine runs (5432, /var/run/postgresql). Trust authentication, which is safe
//   only because it listens on loopback alone and the socket directory is private to its owner. As root it
//   runs as the `postgres` system user (initdb and postgres refuse root).
// - FerretDB: on that PostgreSQL (handler postgresql; SQLite locked a whole database per write and scanned under
//   the lock, issue 10). Its debug HTTP listener (metrics/pprof, on by default at 127.0.0.1:8088) is switched
//   off, as are the Unix socket, TLS and proxy listeners; its usage telemetry ("beacon") is disabled both by
//   flag and by DO_NOT_TRACK, and any FERRETDB_* or PG* variable of the caller's environment is dropped so none
//   can switch a listener back on or point it elsewhere; its state.json goes to the data directory.
// - nats-server: client port only (no monitoring, cluster, gateway, leaf or websocket listeners), JetStream
//   with a file store in the data directory.

const { execFile, execFileSync, spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, '.tools/bin');
const postgresBin = '/usr/lib/postgresql/15/bin';
/** The cluster's superuser and the database FerretDB keeps its schemas (one per MongoDB database) in. */
const POSTGRES_USER = 'postgres';
const POSTGRES_DATABASE = 'ferretdb';

const LOCAL_PORTS = { postgres: 37432, ferretdb: 37017, nats: 14222 };

function binary(name) {
  const file = path.join(bin, name);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run \`make tools\` (deploy/local/tools.sh) first`);
  }
  return file;
}

function postgresBinary(name) {
  const file = path.join(postgresBin, name);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run \`make postgres\` (deploy/local/postgres.sh) first`);
  }
  return file;
}

/** The environment a server runs with: the caller's, less anything that could reconfigure it. */
function cleanEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    // PG*: libpq's and pgx's defaults (PGHOST, PGPORT, PGUSER, PGSSLMODE, ...) for pg_isready and FerretDB.
    if (!key.startsWith('FERRETDB_') && !key.startsWith('PG') && value !== undefined) env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * Who runs PostgreSQL's programs: the current user, or as root (which initdb and postgres refuse) the
 * `postgres` system user Debian's package creates. Returns the command prefix that switches to it.
 */
function postgresAccount() {
  if (process.getuid?.() !== 0) return { prefix: [] };
  let entry;
  try {
    entry = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim().split(':');
  } catch {
    throw new Error(
      'running as root, and there is no `postgres` user to run PostgreSQL as (initdb and postgres refuse ' +
        "root): install Debian's postgresql-15 (make postgres) or run as an unprivileged user",
    );
  }
  const [name, , uid, gid] = entry;
  return {
    uid: Number(uid),
    gid: Number(gid),
    name,
    // setpriv execs the program itself (no extra parent process, unlike runuser), so signals reach postgres.
    prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--'],
  };
}

/** As root: the data directory belongs to the postgres user, and every directory above it lets it through. */
function grantAccess(dir, account) {
  if (account.uid === undefined) return;
  fs.chownSync(dir, account.uid, account.gid);
  for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
    const { mode, uid, gid } = fs.statSync(parent);
    const passes =
      mode & 0o001 || (uid === account.uid && mode & 0o100) || (gid === account.gid && mode & 0o010);
    if (!passes) {
      // Inside the checkout only: traverse (not list) permission for others on our own directories.
      if (parent !== root && !parent.startsWith(`${root}${path.sep}`)) {
        throw new Error(
          `${parent} does not let the ${account.name} user through to ${dir} (PostgreSQL runs as ${account.name} ` +
            `under root): \`chmod o+x ${parent}\`, or use a checkout under a directory others may traverse`,
        );
      }
      fs.chmodSync(parent, mode | 0o001);
    }
    if (parent === path.dirname(parent)) break;
  }
}

function runPostgresTool(account, command, args, input) {
  const [program, ...argv] = [...account.prefix, command, ...args];
  const result = spawnSync(program, argv, {
    cwd: '/', // the tool's user may not be allowed into the caller's working directory
    env: cleanEnv({ LC_ALL: 'C' }),
    input,
    encoding: 'utf8',
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  // Single-user mode reports a failed statement on its output and still exits 0.
  if (result.error || result.status !== 0 || /^(ERROR|FATAL|PANIC):/m.test(output)) {
    throw new Error(
      `${path.basename(command)} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`,
    );
  }
}

const INITDB_ARGS = [
  `--username=${POSTGRES_USER}`,
  '--auth=trust',
  '--encoding=UTF8',
  '--locale=C', // FerretDB refuses other collations
  '--no-instructions',
];
const CREATE_DATABASE = `CREATE DATABASE ${POSTGRES_DATABASE};\n`;

/**
 * A new cluster at target: initdb, then FerretDB's database, made in single-user mode so no server has to run
 * yet. Built in `building` and renamed into place, so an interrupted initdb never leaves a half-made cluster.
 */
function makeCluster(target, building, account, durable) {
  fs.rmSync(building, { recursive: true, force: true });
  fs.mkdirSync(building, { recursive: true, mode: 0o700 });
  grantAccess(building, account);
  // A cluster the tests throw away: no fsync of its files either.
  runPostgresTool(account, postgresBinary('initdb'), [
    `--pgdata=${building}`,
    ...INITDB_ARGS,
    ...(durable ? [] : ['--no-sync']),
  ]);
  runPostgresTool(
    account,
    postgresBinary('postgres'),
    ['--single', '-D', building, '-c', 'fsync=off', 'postgres'],
    CREATE_DATABASE,
  );
  try {
    fs.renameSync(building, target);
  } catch (error) {
    // A template another run made at the same time: use theirs.
    if (!fs.existsSync(path.join(target, 'PG_VERSION'))) throw error;
    fs.rmSync(building, { recursive: true, force: true });
  }
}

/**
 * A cluster in dataDir unless it holds one. A durable one is made by initdb; one for the tests is a copy of
 * a template made once per checkout and initdb's arguments (.data/postgres-template-<hash>): ~50 ms against
 * initdb's 0.5–1.5 s on two cores, for every jest run.
 */
function initCluster(dataDir, account, durable) {
  if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
    throw new Error(`${dataDir} is neither empty nor a PostgreSQL data directory`);
  }
  if (durable) {
    makeCluster(dataDir, `${dataDir}.initdb`, account, true);
    return;
  }
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify([postgresBin, INITDB_ARGS, CREATE_DATABASE]))
    .digest('hex')
    .slice(0, 12);
  const template = path.join(root, '.data', `postgres-template-${key}`);
  // Built beside dataDir (the run's own directory, removed with it), renamed into .data when complete.
  if (!fs.existsSync(path.join(template, 'PG_VERSION'))) {
    makeCluster(template, `${dataDir}.template`, account, false);
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  grantAccess(dataDir, account);
  runPostgresTool(account, 'cp', ['-a', `${template}/.`, dataDir]);
}

/** FerretDB's connection string for the private cluster on that port. */
/**
 * FerretDB's PostgreSQL connections. Its default (50) deadlocks under load: an update holds a connection
 * while it asks for a second to write, so 25 concurrent updates can hold all 50 and wait forever (seen with
 * the 1,000-request scenario: every client stalled). Each service opens at most MONGO_MAX_POOL (20)
 * connections to FerretDB, so this covers eight processes' worth of updates at once with room to spare.
 */
const FERRETDB_POOL_CONNECTIONS = 400;

function postgresUrl(port, host = '127.0.0.1') {
  return `postgres://${POSTGRES_USER}@${host}:${port}/${POSTGRES_DATABASE}`;
}

/**
 * PostgreSQL 15, a private cluster in dataDir (initdb on first use).
 * durable (make start): fsync and full-page writes on, so neither a crash of the machine nor a kill can
 * corrupt the cluster; synchronous_commit off, so a commit does not wait for its WAL flush (the last fraction
 * of a second of writes can be lost in a crash, never corrupted: the same promise nats-server's file
 * store makes, which syncs every two minutes). Not durable (the tests): no fsync at all, the cluster is
 * thrown away after the run.
 * Settings are command-line options, so a changed port or setting applies to an existing cluster.
 * @param {{ port: number, dataDir: string, host?: string, durable?: boolean }} opts
 */
function postgres({ port, dataDir, host = '127.0.0.1', durable = true }) {
  const account = postgresAccount();
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  initCluster(dataDir, account, durable);
  grantAccess(dataDir, account);
  const settings = {
    listen_addresses: host,
    port,
    unix_socket_directories: dataDir,
    unix_socket_permissions: '0700',
    // FerretDB's pool (FERRETDB_POOL_CONNECTIONS) and room for psql.
    max_connections: FERRETDB_POOL_CONNECTIONS + 20,
    shared_buffers: '128MB',
    // FerretDB's queries scan whole collections: JIT-compiling each such plan costs more than it saves.
    jit: 'off',
    fsync: durable ? 'on' : 'off',
    full_page_writes: durable ? 'on' : 'off',
    synchronous_commit: 'off',
    // The log stays in the data directory (log/), one file per weekday, overwritten a week later.
    logging_collector: 'on',
    log_directory: 'log',
    log_filename: 'postgresql-%a.log',
    log_truncate_on_rotation: 'on',
    log_rotation_age: '1d',
    log_rotation_size: 0,
  };
  const [command, ...args] = [
    ...account.prefix,
    postgresBinary('postgres'),
    '-D',
    dataDir,
    ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
  ];
  return {
    name: 'postgres',
    command,
    args,
    env: cleanEnv({}),
    // SIGINT is PostgreSQL's fast shutdown (end sessions, checkpoint, exit); SIGTERM would wait for every
    // client to disconnect first.
    stopSignal: 'SIGINT',
    url: postgresUrl(port, host),
    host,
    port,
    dataDir,
  };
}

/**
 * FerretDB (MongoDB wire protocol) on the PostgreSQL backend.
 * Dot-notation pushdown (--test-enable-nested-pushdown, "experimental") stays off. FerretDB re-applies every
 * filter in Go to what the SQL returns, so pushdown is safe only when its SQL never leaves out a document
 * MongoDB would match; for a dotted path it queries `_jsonb #> '{a,b}'`, which does not reach into an array of
 * documents: { 'a.b': 5 } then misses { a: [{ b: 5 }] } (tried on v1.24.2), silently.
 * @param {{ port: number, dataDir: string, postgresUrl: string, host?: string, logLevel?: 'debug'|'info'|'warn'|'error' }} opts
 * @returns {{ name: string, command: string, args: string[], env: Record<string,string>, url: string, port: number, host: string, dataDir: string }}
 */
function ferretdb({ port, dataDir, postgresUrl: backend, host = '127.0.0.1', logLevel = 'error' }) {
  if (!backend) throw new Error('ferretdb: postgresUrl is required (the PostgreSQL server it stores in)');
  const pooled = `${backend}${backend.includes('?') ? '&' : '?'}pool_max_conns=${FERRETDB_POOL_CONNECTIONS}`;
  fs.mkdirSync(dataDir, { recursive: true });
  return {
    name: 'ferretdb',
    command: binary('ferretdb'),
    args: [
      '--handler=postgresql',
      `--postgresql-url=${pooled}`,
      `--state-dir=${dataDir}`,
      `--listen-addr=${host}:${port}`,
      '--listen-unix=',
      '--listen-tls=',
      '--proxy-addr=',
      '--debug-addr=-',
      '--otel-traces-url=',
      '--telemetry=disable',
      // At warn it logs every error reply in full, including the expected ones (a createCollection of an
      // existing collection), which drowns everything else; pass logLevel 'warn' or 'debug' to investigate.
      `--log-level=${logLevel}`,
    ],
    env: cleanEnv({ DO_NOT_TRACK: '1' }),
    url: `mongodb://${host}:${port}/`,
    host,
    port,
    dataDir,
  };
}

/**
 * nats-server with JetStream on a file store.
 * @param {{ port: number, dataDir: string, host?: string }} opts
 */
function nats({ port, dataDir, host = '127.0.0.1' }) {
  fs.mkdirSync(dataDir, { recursive: true });
  return {
    name: 'nats',
    command: binary('nats-server'),
    args: ['--addr', host, '--port', String(port), '--jetstream', '--store_dir', dataDir],
    env: cleanEnv({}),
    url: `nats://${host}:${port}`,
    host,
    port,
    dataDir,
  };
}

const servers = { postgres, ferretdb, nats };

/** One readiness probe: PostgreSQL when it accepts sessions (pg_isready; it listens before it has recovered), the others when their port takes a connection. */
function probe(name, host, port) {
  if (name === 'postgres') {
    const args = [
      '-q',
      '-h',
      host,
      '-p',
      String(port),
      '-U',
      POSTGRES_USER,
      '-d',
      POSTGRES_DATABASE,
      '-t',
      '2',
    ];
    return new Promise((resolve) =>
      execFile(postgresBinary('pg_isready'), args, { env: cleanEnv({}) }, (error) => resolve(!error)),
    );
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    // Closed at once: FerretDB's shutdown waits (3 s) for a client connection left open.
    const done = (up) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(2000);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * Resolves once the server accepts connections; rejects after timeoutMs, or as soon as `gone` resolves (its
 * process exited).
 * @param {{ name: string, host: string, port: number }} server
 * @param {{ timeoutMs?: number, gone?: Promise<unknown> }} [opts]
 */
async function waitReady({ name, host, port }, { timeoutMs = 60_000, gone } = {}) {
  let exited;
  gone?.then((how) => (exited = how ?? 'exited'));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) throw new Error(`${name} exited (${exited}) before accepting connections`);
    if (await probe(name, host, port)) return;
    if (Date.now() > deadline)
      throw new Error(`${name} did not accept connections on ${host}:${port} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

module.exports = { servers, postgres, ferretdb, nats, postgresUrl, waitReady, LOCAL_PORTS, root };

if (require.main === module) {
  const usage = () => {
    console.error(
      'usage: node deploy/local/servers.js <postgres|ferretdb|nats> [--port N] [--data DIR] [--postgres-port N]\n' +
        '       node deploy/local/servers.js wait <postgres|ferretdb|nats> [--port N] [--timeout SECONDS]',
    );
    process.exit(2);
  };
  const argv = process.argv.slice(2);
  const waiting = argv[0] === 'wait';
  const [name, ...rest] = waiting ? argv.slice(1) : argv;
  const define = servers[name];
  if (!define) usage();
  const flag = (key) => {
    const i = rest.indexOf(key);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const port = Number(flag('--port') ?? LOCAL_PORTS[name]);
  if (waiting) {
    const timeoutMs = Number(flag('--timeout') ?? 60) * 1000;
    waitReady({ name, host: '127.0.0.1', port }, { timeoutMs }).then(
      () => process.exit(0),
      (error) => {
        console.error(error.message);
        process.exit(1);
      },
    );
  } else {
    const dataDir = path.resolve(flag('--data') ?? path.join(root, '.data/local', name));
    const server = define({
      port,
      dataDir,
      postgresUrl: postgresUrl(Number(flag('--postgres-port') ?? LOCAL_PORTS.postgres)),
    });
    console.error(`${name}: ${server.url} (data ${path.relative(process.cwd(), dataDir) || '.'})`);
    const child = spawn(server.command, server.args, { env: server.env, stdio: 'inherit' });
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.on(signal, () => child.kill(server.stopSignal ?? signal));
    }
    child.on('error', (error) => {
      console.error(`${name}: ${error.message}`);
      process.exit(1);
    });
    child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
  }
}
