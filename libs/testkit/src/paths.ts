import { createHash } from 'node:crypto';
import path from 'node:path';

/** The repository root (this file is libs/testkit/{src,dist}/paths.*). */
export const repoRoot = path.resolve(__dirname, '../../..');

/** The OpenTelemetry bootstrap every service process is started with (`node --require`). */
export const telemetryRegister = path.join(repoRoot, 'libs/telemetry/dist/register.js');

/** A built service's entry point. */
export function serviceMain(name: string): string {
  return path.join(repoRoot, 'services', name, 'dist/main.js');
}

/**
 * Where spawnService writes the output of the services a test file starts, so that the reporter
 * (libs/testkit/service-log-reporter.js, in the jest main process) can print it when that file fails.
 * Keep in step with the reporter.
 */
export function serviceLogDir(dataDir: string, testPath: string): string {
  const key = createHash('sha1').update(testPath).digest('hex').slice(0, 16);
  return path.join(dataDir, 'service-logs', key);
}
