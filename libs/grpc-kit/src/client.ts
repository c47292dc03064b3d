import {
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  credentials,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';

export interface CallOpts {
  /** Bearer token of the caller (a partner's, a user's, or the service's own). */
  token?: string;
  /** Per-call deadline; the client's default otherwise. */
  deadlineMs?: number;
}

type UnaryMethod<F> = F extends (
  request: infer Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: infer Res) => void,
) => ClientUnaryCall
  ? (request: Req, opts?: CallOpts) => Promise<Res>
  : never;

/** The unary methods of a generated grpc-js client, as promises with deadlines and auth. */
export type PromiseClient<C> = {
  [K in keyof C as C[K] extends (...args: never[]) => ClientUnaryCall ? K : never]: UnaryMethod<C[K]>;
} & { close(): void; raw: C };

type ClientConstructor<C> = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => C;

/**
 * A typed client for a generated service: every unary call gets a deadline (5 s unless told) and the
 * bearer token in `authorization` metadata.
 */
export function createClient<C extends Client>(
  Ctor: ClientConstructor<C>,
  address: string,
  defaults: CallOpts = {},
): PromiseClient<C> {
  const raw = new Ctor(address, credentials.createInsecure());
  const handler: ProxyHandler<object> = {
    get(_target, prop) {
      if (prop === 'close') return () => raw.close();
      if (prop === 'raw') return raw;
      const method = (raw as unknown as Record<string | symbol, unknown>)[prop];
      if (typeof method !== 'function') return undefined;
      return (request: unknown, opts: CallOpts = {}) =>
        new Promise((resolve, reject) => {
          const metadata = new Metadata();
          const token = opts.token ?? defaults.token;
          if (token) metadata.set('authorization', `Bearer ${token}`);
          const deadline = new Date(Date.now() + (opts.deadlineMs ?? defaults.deadlineMs ?? 5_000));
          method.call(raw, request, metadata, { deadline }, (err: ServiceError | null, res: unknown) =>
            err ? reject(err) : resolve(res),
          );
        });
    },
  };
  return new Proxy({}, handler) as PromiseClient<C>;
}
