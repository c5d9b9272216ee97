import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build:web` (web/build.ts) writes the console. */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/**
 * The console's own entry paths (web/src/App.tsx): each answers index.html, so a reload or a shared link of any page
 * opens it. Named one by one rather than caught by `/*`: a catch-all would also win GETs under /cgi-bin that only a
 * POST route has, and WeChat's scope answers those itself (43002 with the method's errcode), as every API scope
 * answers its own unknown paths.
 */
export const CONSOLE_ROUTES = ['/', '/login', '/register', '/accounts', '/accounts/*'] as const;

/** Files whose names do not change with their content: cached, but checked (ETag) before each use. */
const REVALIDATE = { 'cache-control': 'no-cache' };

/**
 * The web console (web/, a single-page app over /v1) at `/`, when it has been built: hashed files under /assets/
 * are cached for a year (their names change with their content), everything else is revalidated on every load, and
 * the console's entry paths (CONSOLE_ROUTES) get index.html, so its pages (/accounts/12/stats/growth) survive a
 * reload. Any other path stays the API's. Without a build the API runs as before.
 */
export async function webConsolePlugin(app: FastifyInstance, { distDir = WEB_DIST_DIR }: { distDir?: string }): Promise<void> {
  if (!existsSync(path.join(distDir, 'index.html'))) {
    app.log.info({ distDir }, 'web console not built (npm run build:web): serving the API only');
    return;
  }
  await app.register(fastifyStatic, {
    root: path.join(distDir, 'assets'),
    prefix: '/assets/',
    maxAge: '365d',
    immutable: true,
    // The build writes .br and .gz beside each text asset.
    preCompressed: true,
    index: false,
  });

  // Top-level files of the build (favicon.svg, …), each its own route; dot files (the build's .inputs-hash), the
  // compressed copies and index.html (served by the console's routes, below) are left out.
  for (const entry of readdirSync(distDir, { withFileTypes: true })) {
    const name = entry.name;
    if (!entry.isFile() || name === 'index.html' || name.startsWith('.') || name.endsWith('.br') || name.endsWith('.gz')) continue;
    app.get(`/${name}`, { schema: { hide: true } }, async (_request, reply) => reply.headers(REVALIDATE).sendFile(name, distDir, { cacheControl: false }));
  }

  for (const url of CONSOLE_ROUTES) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) => reply.headers(REVALIDATE).sendFile('index.html', distDir, { cacheControl: false }));
  }
}
