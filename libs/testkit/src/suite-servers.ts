import path from 'node:path';
import { TEST_ENV, type TestServers, testServers } from './servers';

export interface SuiteServers extends TestServers {
  /** The run's scratch directory (.data/test-<pid>): server data and process records; removed by stop(). */
  readonly dataDir: string;
  /** The global teardown: stops the servers and any service spawnService left running, removes the data. */
  stop(): Promise<void>;
}

type Hook = () => Promise<void>;

/**
 * The suite's servers for a process that is not jest (the platform benchmark): the very global setup the
 * suite runs (libs/testkit/global-setup.js, which builds the command lines in deploy/local/servers.js), so
 * both start FerretDB and NATS the same way, and spawnService then finds them as it does in a test. Servers
 * already named by NUANYANG_TEST_MONGO_URL / NUANYANG_TEST_NATS_URL are used as given, as in the suite.
 */
export async function startSuiteServers(): Promise<SuiteServers> {
  // Plain CommonJS next to src/ and dist/, shared with jest's globalSetup/globalTeardown.
  const setup = require(path.join(__dirname, '../global-setup.js')) as Hook;
  const teardown = require(path.join(__dirname, '../global-teardown.js')) as Hook;
  await setup();
  const dataDir = process.env[TEST_ENV.dataDir] ?? '';
  return { ...testServers(), dataDir, stop: teardown };
}
