/**
 * The platform benchmark's gRPC ceiling: a bare grpc-js server with one unary method that answers the bytes it
 * was sent, no decoding, no interceptors, no telemetry. Run as its own process, as the services are, it prints
 * `listening <port>` on stdout once bound to 127.0.0.1 (port 0: the OS picks).
 *
 *   node bench/dist/echo-server.js
 */
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';

const identity = (b: Buffer) => b;

/** One unary method over raw bytes; the client uses the same definition. */
export const ECHO_SERVICE: ServiceDefinition = {
  echo: {
    path: '/nuanyang.bench.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

if (require.main === module) {
  const server = new Server();
  server.addService(ECHO_SERVICE, {
    echo: (call: { request: Buffer }, callback: (error: null, response: Buffer) => void) =>
      callback(null, call.request),
  });
  server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
    if (error) {
      console.error(`echo-server: ${error.message}`);
      process.exit(1);
    }
    console.log(`listening ${port}`);
  });
  process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
}
