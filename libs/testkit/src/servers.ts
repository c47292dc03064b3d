/**
 * The servers the jest suite shares, started once by libs/testkit/global-setup.js (root jest.config.js) and
 * handed to every worker through these variables. Set them yourself to test against servers you run.
 */
export const TEST_ENV = {
  /** mongodb:// URL of the suite's FerretDB (or any MongoDB). */
  mongoUrl: 'NUANYANG_TEST_MONGO_URL',
  /** nats:// URL of the suite's nats-server (JetStream enabled). */
  natsUrl: 'NUANYANG_TEST_NATS_URL',
  /** The run's scratch directory (.data/test-<pid>): server data, service logs, process records. */
  dataDir: 'NUANYANG_TEST_DATA_DIR',
} as const;

/** The JWT secret spawnService gives services unless the test sets JWT_SECRET itself. */
export const TEST_JWT_SECRET = 'nuanyang-test-secret-not-for-production';

export interface TestServers {
  mongoUrl: string;
  natsUrl: string;
}

/** The shared servers' URLs; throws with a hint when jest ran without the global setup. */
export function testServers(): TestServers {
  const mongoUrl = process.env[TEST_ENV.mongoUrl];
  const natsUrl = process.env[TEST_ENV.natsUrl];
  if (!mongoUrl || !natsUrl) {
    throw new Error(
      `${TEST_ENV.mongoUrl} / ${TEST_ENV.natsUrl} are not set: run jest from the repository root ` +
        '(its jest.config.js starts FerretDB and NATS in libs/testkit/global-setup.js), or set them.',
    );
  }
  return { mongoUrl, natsUrl };
}
