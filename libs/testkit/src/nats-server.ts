import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './paths';
import { freePort, waitForPort } from './ports';
import { runMarker, terminate, track } from './processes';
import { TEST_ENV } from './servers';

interface ServerDefinition {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  url: string;
}
// The one definition of the server's command line, shared with `make start` and the global setup.
const { servers } = require(path.join(repoRoot, 'deploy/local/servers.js')) as {
  servers: { nats(opts: { port: number; dataDir: string }): ServerDefinition };
};

export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Its JetStream store, removed by stop(). */
  readonly dataDir: string;
  /** SIGTERM, wait for the exit, remove the data. */
  stop(): Promise<void>;
  /** SIGKILL (a crash); the data stays until stop(). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data after kill() (an outage ends); clients reconnect. */
  restart(): Promise<void>;
  /** Its log so far. */
  logs(): string;
}

let sequence = 0;

interface Running {
  child: ReturnType<typeof spawn>;
  output: () => string;
}

/** Starts nats-server on `port`; rejects when it exits or does not listen. */
async function launch(port: number, dataDir: string): Promise<Running> {
  const server = servers.nats({ port, dataDir });
  const child = spawn(server.command, server.args, {
    env: { ...server.env, ...runMarker() },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  track(child, `nats-server ${dataDir}`);
  let output = '';
  const capture = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    await waitForPort(port, { gaveUp: () => exited });
  } catch (error) {
    await terminate(child, 'SIGKILL', 0);
    throw new Error(`startNatsServer: ${(error as Error).message}\n${output}`);
  }
  return { child, output: () => output };
}

/**
 * A nats-server (JetStream, file store) of the caller's own, for tests whose streams and durable consumers
 * must not meet another test file's: the suite's shared one is in testServers().natsUrl.
 */
export async function startNatsServer(): Promise<NatsServer> {
  sequence += 1;
  const base = process.env[TEST_ENV.dataDir] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nuanyang-test-'));
  const dataDir = path.join(base, `nats-${process.pid}-${sequence}`);
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    let running: Running;
    try {
      running = await launch(port, dataDir);
    } catch (error) {
      if (attempt < 3) continue; // the port was taken in between: another one
      throw error;
    }
    let earlier = '';
    return {
      url: servers.nats({ port, dataDir }).url,
      port,
      dataDir,
      stop: async () => {
        await terminate(running.child, 'SIGTERM', 10_000);
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
      kill: () => terminate(running.child, 'SIGKILL', 0),
      restart: async () => {
        earlier += running.output();
        running = await launch(port, dataDir);
      },
      logs: () => earlier + running.output(),
    };
  }
}
