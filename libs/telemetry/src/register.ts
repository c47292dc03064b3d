/**
 * Loaded with `node --require @nuanyang/telemetry/dist/register.js` so the SDK patches grpc-js, http and
 * mongoose before any of them (or the generated code) is required. Configured only by the standard OTEL_*
 * variables (OTEL_SERVICE_NAME, OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_*, OTEL_SDK_DISABLED, ...).
 */
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MongooseInstrumentation } from '@opentelemetry/instrumentation-mongoose';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { SDK_KEY } from './sdk-key';

if (process.env.OTEL_SDK_DISABLED !== 'true') {
  const sdk = new NodeSDK({
    instrumentations: [
      new GrpcInstrumentation({
        ignoreGrpcMethods: [/^grpc\.health\.v1\./, /^grpc\.reflection\./, 'Check', 'Watch'],
      }),
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => req.url === '/healthz' || req.url === '/readyz',
      }),
      new MongooseInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  (globalThis as Record<symbol, unknown>)[SDK_KEY] = sdk;
}
