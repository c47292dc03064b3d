/** Where register.ts leaves the running SDK, so the service's shutdown can flush it. */
export const SDK_KEY = Symbol.for('nuanyang.telemetry.sdk');
