import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createHealthClient } from '@nuanyang/grpc-kit';
import { serviceLogDir, serviceMain, telemetryRegister } from './paths';
import { freePort } from './ports';
import { runMarker, terminate, track } from './processes';
import { TEST_ENV, TEST_JWT_SECRET, testServers } from './servers';
import type { SpanCollector } from './span-collector';

/** Variables for the service; `undefined` removes one (e.g. to check that a missing NATS_URL is refused). */
export type ServiceEnv = Record<string, string | undefined>;

export interface SpawnServiceOptions {
  /** Export the service's spans to this collector (OTLP/HTTP JSON, 100 ms batches). */
  spans?: SpanCollector;
  /** How long to wait for the health check to report SERVING; default 30 s. */
  startTimeoutMs?: number;
  /** Run this script instead of services/<name>/dist/main.js (testkit's own tests). */
  entry?: string;
  /**
   * The process serves HTTP (the gateway): it gets HTTP_ADDRESS instead of GRPC_ADDRESS and is ready once
   * `GET http://<address><httpReadyPath>` answers 200.
   */
  httpReadyPath?: string;
}

export interface ServiceProcess {
  readonly name: string;
  /** `127.0.0.1:<port>`, for a gRPC client and for other services' `<NAME>_ADDRESS` (or an HTTP client). */
  readonly address: string;
  /** The database it was given (MONGO_DATABASE). */
  readonly database: string;
  readonly pid: number;
  /** SIGTERM (graceful shutdown), then waits for the exit; SIGKILL after 15 s. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), then waits for the exit. */
  kill(): Promise<void>;
  /** Everything it wrote to stdout and stderr so far. */
  logs(): string;
}

const MAX_LOG_CHARS = 4_000_000;
let sequence = 0;

/** The status code of a GET, or the error that prevented it. */
async function checkHttp(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200 ? 'SERVING' : `HTTP ${res.status}`;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

function currentTestPath(): string | undefined {
  const expectGlobal = (globalThis as { expect?: { getState?: () => { testPath?: string } } }).expect;
  return expectGlobal?.getState?.().testPath;
}

/**
 * A database no other spawn uses. Jest gives each test file a fresh copy of this module (the sequence starts
 * again) in the same process (the same pid), so a random part keeps two files' services apart.
 */
function databaseName(name: string): string {
  sequence += 1;
  const safe = name.replace(/[^A-Za-z0-9]/g, '').slice(0, 20);
  return `test_${safe}_${process.pid}_${randomBytes(3).toString('hex')}_${sequence}`;
}

/**
 * Starts a built service (`services/<name>/dist/main.js`, with the telemetry bootstrap) as a child process on
 * a free loopback port, against the suite's FerretDB and NATS, in a database of its own; resolves once its
 * gRPC health check reports SERVING. Its output is kept (`logs()`), printed live with DEBUG_SERVICES=1, and
 * printed by the jest reporter when the test file fails.
 */
export async function spawnService(
  name: string,
  env: ServiceEnv = {},
  options: SpawnServiceOptions = {},
): Promise<ServiceProcess> {
  const entry = options.entry ?? serviceMain(name);
  if (!fs.existsSync(entry)) {
    throw new Error(`spawnService(${name}): ${entry} is missing; build first (make build, or tsc -b)`);
  }
  if (!fs.existsSync(telemetryRegister)) {
    throw new Error(`spawnService(${name}): ${telemetryRegister} is missing; build first (tsc -b)`);
  }
  const servers = env.MONGO_URL && env.NATS_URL ? undefined : testServers();
  const addressVariable = options.httpReadyPath ? 'HTTP_ADDRESS' : 'GRPC_ADDRESS';
  const address = env[addressVariable] ?? `127.0.0.1:${await freePort()}`;
  const database = env.MONGO_DATABASE ?? databaseName(name);
  const dataDir = process.env[TEST_ENV.dataDir];

  const tracing: Record<string, string> = options.spans
    ? {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: options.spans.tracesUrl,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      }
    : { OTEL_TRACES_EXPORTER: 'none' };
  const merged: ServiceEnv = {
    ...process.env,
    [addressVariable]: address,
    MONGO_URL: servers?.mongoUrl,
    NATS_URL: servers?.natsUrl,
    MONGO_DATABASE: database,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
    OTEL_SERVICE_NAME: name,
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    ...tracing,
    // Marks the process as this run's, so global teardown can find it by pid if a worker dies.
    ...runMarker(),
    ...env,
  };
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(merged)) if (value !== undefined) childEnv[key] = value;

  const child = spawn(process.execPath, ['--require', telemetryRegister, entry], {
    cwd: path.dirname(path.dirname(entry)),
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  track(child, `${name} ${entry}`);

  let output = '';
  const testPath = currentTestPath();
  let logFile: fs.WriteStream | undefined;
  if (dataDir && testPath) {
    const dir = serviceLogDir(dataDir, testPath);
    fs.mkdirSync(dir, { recursive: true });
    logFile = fs.createWriteStream(path.join(dir, `${name}-${address.replace(/\W/g, '_')}.log`));
  }
  const live = process.env.DEBUG_SERVICES === '1';
  const capture = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output += text;
    if (output.length > MAX_LOG_CHARS) output = output.slice(-MAX_LOG_CHARS / 2);
    logFile?.write(text);
    if (live) process.stderr.write(text.replace(/^(?=.)/gm, `[${name} ${address}] `));
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      capture(Buffer.from(`spawn error: ${error.message}\n`));
      resolve({ code: null, signal: null });
    });
  });
  // Let the stdout/stderr streams drain before anyone reads logs() after an exit.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const finished = async () => {
    await exited;
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
    logFile?.end();
  };
  const stopWith = async (signal: NodeJS.Signals, graceMs: number) => {
    await terminate(child, signal, graceMs);
    await finished();
  };

  const handle: ServiceProcess = {
    name,
    address,
    database,
    pid: child.pid ?? -1,
    stop: () => stopWith('SIGTERM', 15_000),
    kill: () => stopWith('SIGKILL', 0),
    logs: () => output,
  };

  // Wait for SERVING (or HTTP 200), or the process to die, or the time to run out.
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const client = createHealthClient(address);
  const probe = options.httpReadyPath
    ? () => checkHttp(`http://${address}${options.httpReadyPath}`)
    : () => client.check();
  const deadline = Date.now() + timeoutMs;
  let died = false;
  void exited.then(() => {
    died = true;
  });
  let last = 'not checked';
  try {
    while (!died && Date.now() < deadline) {
      last = await probe();
      if (last === 'SERVING') return handle;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    client.close();
  }
  if (died) {
    await finished();
    const { code, signal } = await exited;
    throw new Error(
      `spawnService(${name}): exited (${signal ?? `code ${code}`}) before serving on ${address}\n${output}`,
    );
  }
  await handle.kill();
  throw new Error(
    `spawnService(${name}): not SERVING on ${address} within ${timeoutMs} ms (last: ${last})\n${output}`,
  );
}
