import path from 'node:path';
import { hostPort, loadConfig, localAddress, z } from '@nuanyang/config';

const list = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const SERVICES = ['intake', 'verification', 'inventory', 'matching', 'volunteer', 'reporting'] as const;
export type ServiceName = (typeof SERVICES)[number];

export const loadGatewayConfig = (env: NodeJS.ProcessEnv = process.env) =>
  loadConfig(
    z.object({
      HTTP_ADDRESS: hostPort.default(localAddress('gateway')),
      JWT_SECRET: z.string().min(16, 'must be at least 16 characters'),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(10_000),
      INTAKE_ADDRESS: hostPort.default(localAddress('intake')),
      VERIFICATION_ADDRESS: hostPort.default(localAddress('verification')),
      INVENTORY_ADDRESS: hostPort.default(localAddress('inventory')),
      MATCHING_ADDRESS: hostPort.default(localAddress('matching')),
      VOLUNTEER_ADDRESS: hostPort.default(localAddress('volunteer')),
      REPORTING_ADDRESS: hostPort.default(localAddress('reporting')),
      /** Deadline of each unary gRPC call the gateway makes. */
      GRPC_DEADLINE_MS: z.coerce.number().int().min(100).default(10_000),
      /** Requests per minute per organisation (by the token's `org`), or per client IP without a token. */
      RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
      /** Origins allowed to call the API from a browser, comma-separated; empty: no cross-origin access. */
      CORS_ORIGINS: list,
      /** Largest accepted request body. */
      BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
      /** Comment lines on the dashboard stream, so proxies and browsers keep an idle connection open. */
      SSE_HEARTBEAT_MS: z.coerce.number().int().min(100).default(15_000),
      /** Services /readyz requires to be SERVING, comma-separated; default all six. */
      READINESS_SERVICES: list
        .pipe(z.array(z.enum(SERVICES)))
        .transform((v) => (v.length ? v : [...SERVICES])),
      /** The operator console's built files (make build: vite build into console/dist), served at `/`. */
      CONSOLE_DIR: z.string().default(path.resolve(__dirname, '../../../console/dist')),
      /** Behind an ingress: take the client IP from X-Forwarded-For (for anonymous rate limits). */
      TRUST_PROXY: z
        .enum(['true', 'false'])
        .default('false')
        .transform((v) => v === 'true'),
    }),
    env,
  );
export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
