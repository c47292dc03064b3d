import net from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it; we release it for the caller).
 * Another process may take it in between: callers that bind it must report a clear error if it is gone.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True once something accepts a TCP connection on host:port. */
function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Polls until host:port accepts connections. Rejects after `timeoutMs`, or as soon as `gaveUp()` says the
 * process that should listen there is gone.
 */
export async function waitForPort(
  port: number,
  options: { host?: string; timeoutMs?: number; gaveUp?: () => boolean } = {},
): Promise<void> {
  const { host = '127.0.0.1', timeoutMs = 30_000, gaveUp = () => false } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(port, host))) {
    if (gaveUp()) throw new Error(`nothing listens on ${host}:${port}: the process exited`);
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
