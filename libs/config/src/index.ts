import { z } from 'zod';

/** Thrown at start-up when the environment does not describe a runnable service; lists every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses `env` with `schema`; on failure throws one ConfigError naming every variable that is wrong. */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** `host:port` with a port in range; `0` lets the OS pick (used by tests). */
export const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:50051')
  .refine((v) => Number(v.split(':')[1]) <= 65535, 'port out of range');

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * Where each process listens on one machine (`make start`, deploy/local/start.js): the default of its
 * listen address and of the addresses others call it at, and the CLI's `--host` ports. The one table.
 */
export const LOCAL_PORTS = {
  intake: 50051,
  verification: 50052,
  inventory: 50053,
  matching: 50054,
  volunteer: 50055,
  reporting: 50056,
  gateway: 8080,
} as const;
export type LocalProcess = keyof typeof LOCAL_PORTS;
export type GrpcService = Exclude<LocalProcess, 'gateway'>;

/** `127.0.0.1:<port>` of a process on one machine. */
export const localAddress = (name: LocalProcess) => `127.0.0.1:${LOCAL_PORTS[name]}`;

/** Variables every service reads. `name` picks the default database and listen port. */
export function serviceSchema(name: GrpcService) {
  return z.object({
    GRPC_ADDRESS: hostPort.default(localAddress(name)),
    MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// URL'),
    MONGO_DATABASE: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/, 'letters, digits, _ and - only')
      .default(`nuanyang_${name}`),
    /** Connections to MongoDB at most, per process (read models only: every write goes to JetStream). */
    MONGO_MAX_POOL: z.coerce.number().int().min(1).max(500).default(20),
    NATS_URL: z.string().min(1, 'required, e.g. nats://127.0.0.1:4222'),
    /** Replicas of the service's stream, its system of record: 1 on one server, 3 in a JetStream cluster. */
    NATS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
    JWT_SECRET: z.string().min(16, 'must be at least 16 characters'),
    LOG_LEVEL: logLevel.default('info'),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(10_000),
  });
}

export type ServiceConfig = z.output<ReturnType<typeof serviceSchema>>;

export { z };
