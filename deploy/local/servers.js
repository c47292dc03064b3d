#!/usr/bin/env node
// The infrastructure servers of the embedded stack, defined once: `make start` (deploy/local/start.js) and the
// jest suite (libs/testkit/global-setup.js) both build their command lines here. Node built-ins only, so it
// loads from anywhere in the repo.
//
// Run one in the foreground, for a process supervisor or by hand:
//   node deploy/local/servers.js ferretdb [--port 37017] [--data .data/local/ferretdb]
//   node deploy/local/servers.js nats     [--port 14222] [--data .data/local/nats]
//
// Both listen on 127.0.0.1 only, on the given port only, and never call out:
// - FerretDB: its debug HTTP listener (metrics/pprof, on by default at 127.0.0.1:8088) is switched off, as are
//   the Unix socket, TLS and proxy listeners; its usage telemetry ("beacon") is disabled both by flag and by
//   DO_NOT_TRACK, and any FERRETDB_* variable of the caller's environment is dropped so none can switch a
//   listener back on; its state.json goes to the data directory, not the working directory.
// - nats-server: client port only (no monitoring, cluster, gateway, leaf or websocket listeners), JetStream
//   with a file store in the data directory.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, '.tools/bin');

const LOCAL_PORTS = { ferretdb: 37017, nats: 14222 };

function binary(name) {
  const file = path.join(bin, name);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run \`make tools\` (deploy/local/tools.sh) first`);
  }
  return file;
}

/** The environment a server runs with: the caller's, less anything that could reconfigure it. */
function cleanEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('FERRETDB_') && value !== undefined) env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * FerretDB (MongoDB wire protocol) on the SQLite backend.
 * @param {{ port: number, dataDir: string, host?: string, logLevel?: 'debug'|'info'|'warn'|'error' }} opts
 * @returns {{ name: string, command: string, args: string[], env: Record<string,string>, url: string, port: number, host: string, dataDir: string }}
 */
function ferretdb({ port, dataDir, host = '127.0.0.1', logLevel = 'error' }) {
  const sqliteDir = path.join(dataDir, 'sqlite');
  fs.mkdirSync(sqliteDir, { recursive: true });
  return {
    name: 'ferretdb',
    command: binary('ferretdb'),
    args: [
      '--handler=sqlite',
      // SQLite URI of a directory: one .sqlite file per database; the trailing slash is required.
      `--sqlite-url=file:${sqliteDir}/`,
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

const servers = { ferretdb, nats };

module.exports = { servers, ferretdb, nats, LOCAL_PORTS, root };

if (require.main === module) {
  const [name, ...rest] = process.argv.slice(2);
  const define = servers[name];
  if (!define) {
    console.error('usage: node deploy/local/servers.js <ferretdb|nats> [--port N] [--data DIR]');
    process.exit(2);
  }
  const flag = (key) => {
    const i = rest.indexOf(key);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const port = Number(flag('--port') ?? LOCAL_PORTS[name]);
  const dataDir = path.resolve(flag('--data') ?? path.join(root, '.data/local', name));
  const server = define({ port, dataDir });
  console.error(`${name}: ${server.url} (data ${path.relative(process.cwd(), dataDir) || '.'})`);
  const child = spawn(server.command, server.args, { env: server.env, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('error', (error) => {
    console.error(`${name}: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
}
