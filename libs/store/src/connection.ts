import type { Logger } from '@nuanyang/logger';
import { backOff } from 'exponential-backoff';
import mongoose, { type Connection } from 'mongoose';

/**
 * Opens the service's own database, retrying with backoff while the server is not reachable yet
 * (a pod starting before MongoDB, the local stack starting in parallel).
 */
export async function connectMongo(
  url: string,
  dbName: string,
  log: Logger,
  /** Connections at most; FerretDB's own pool to PostgreSQL must cover every process's (deploy/local). */
  maxPoolSize = 20,
): Promise<Connection> {
  const connection = await backOff(
    () =>
      mongoose
        .createConnection(url, {
          dbName,
          serverSelectionTimeoutMS: 5_000,
          maxPoolSize,
          autoIndex: false,
          // Absent optional fields stay absent instead of becoming null (generated proto code expects undefined).
          ignoreUndefined: true,
        })
        .asPromise(),
    {
      numOfAttempts: 12,
      startingDelay: 250,
      maxDelay: 10_000,
      retry: (err, attempt) => {
        log.warn({ err: (err as Error).message, attempt }, 'MongoDB not reachable yet, retrying');
        return true;
      },
    },
  );
  log.info({ db: dbName }, 'connected to MongoDB');
  return connection;
}

/** E11000: the one atomic guarantee we rely on, a unique key refusing a second insert. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
