import {
  Metadata,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type ServerMethodDefinition,
  status,
} from '@grpc/grpc-js';
import { verifyBearer } from '@nuanyang/auth';
import type { Logger } from '@nuanyang/logger';

/** Metadata key where the auth interceptor leaves the verified principal for the handler wrapper. */
export const PRINCIPAL_KEY = 'x-nuanyang-principal';

const PUBLIC_PREFIXES = ['/grpc.health.v1.', '/grpc.reflection.'];

const isPublic = (path: string) => PUBLIC_PREFIXES.some((p) => path.startsWith(p));

/**
 * Verifies the bearer JWT of every call but health and reflection, answering UNAUTHENTICATED itself when it
 * is missing or bad; otherwise replaces whatever the client put under PRINCIPAL_KEY with the verified one.
 */
export function authInterceptor(jwtSecret: string): ServerInterceptor {
  return (method: ServerMethodDefinition<unknown, unknown>, call: ServerInterceptingCallInterface) =>
    new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            metadata.remove(PRINCIPAL_KEY);
            if (isPublic(method.path)) return nextMetadata(metadata);
            try {
              const principal = verifyBearer(metadata.get('authorization')[0]?.toString(), jwtSecret);
              metadata.set(PRINCIPAL_KEY, JSON.stringify(principal));
              nextMetadata(metadata);
            } catch (err) {
              call.sendStatus({
                code: status.UNAUTHENTICATED,
                details: (err as Error).message,
                metadata: new Metadata(),
              });
            }
          },
        });
      },
    });
}

/** One log line per call: method, status code and duration. */
export function loggingInterceptor(log: Logger): ServerInterceptor {
  return (method: ServerMethodDefinition<unknown, unknown>, call: ServerInterceptingCallInterface) => {
    const started = process.hrtime.bigint();
    return new ServerInterceptingCall(call, {
      sendStatus: (s, next) => {
        if (!isPublic(method.path)) {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const entry = { method: method.path, code: status[s.code], ms: Math.round(ms * 10) / 10 };
          if (s.code === status.OK) log.info(entry, 'rpc');
          else log.info({ ...entry, details: s.details }, 'rpc failed');
        }
        next(s);
      },
    });
  };
}
