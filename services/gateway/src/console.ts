import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Serves the operator console's built files at `/`. Vite names assets by content hash, so they are cached for
 * a year; index.html is revalidated every time, so a new build is picked up at once. Returns false (and
 * serves nothing) when the console has not been built: the API works without it.
 */
export async function registerConsole(app: FastifyInstance, dir: string): Promise<boolean> {
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    app.log.warn({ dir }, 'console not built (make build): serving the API only');
    return false;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: 'index.html',
    setHeaders: (reply, file) => {
      reply.header(
        'cache-control',
        file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  return true;
}

/**
 * The single-page fallback: a browser's GET of any path outside /api that is not a file gets index.html,
 * so a deep link or a reload lands in the console. Returns undefined for everything else (the API's 404).
 */
export function consoleFallback(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const url = request.url.split('?')[0] ?? '';
  const page = request.method === 'GET' || request.method === 'HEAD';
  if (!page || url === '/api' || url.startsWith('/api/') || path.extname(url) !== '') return undefined;
  if (!(request.headers.accept ?? '').includes('text/html')) return undefined;
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').sendFile('index.html');
}
