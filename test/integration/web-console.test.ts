import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemPlugin } from '../../src/plugins/problem.js';
import { webConsolePlugin } from '../../src/plugins/web-console.js';
import { expectProblem } from '../helpers/admin.js';

/** How the API serves the built console (src/plugins/web-console.ts), over a small build of its own. */
describe('serving the web console at /', () => {
  let dist: string;
  let app: FastifyInstance;
  const script = 'console.log("the console");'.repeat(100);

  async function appServing(distDir: string): Promise<FastifyInstance> {
    const server = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
    await server.register(problemPlugin);
    server.get('/v1/accounts', async () => ({ items: [] }));
    server.get('/docs', async () => 'docs');
    await server.register(webConsolePlugin, { distDir });
    await server.ready();
    return server;
  }

  beforeAll(async () => {
    dist = await mkdtemp(path.join(tmpdir(), 'oa-web-dist-'));
    await mkdir(path.join(dist, 'assets'));
    await writeFile(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(path.join(dist, 'assets', 'index-Ab12Cd34.js'), script);
    await writeFile(path.join(dist, 'assets', 'index-Ab12Cd34.js.br'), brotliCompressSync(script));
    app = await appServing(dist);
  });

  afterAll(async () => {
    await app?.close();
    await rm(dist, { recursive: true, force: true });
  });

  it('answers / and the console’s own routes with index.html, revalidated on every load', async () => {
    for (const url of ['/', '/login', '/accounts', '/accounts/12/stats/growth?from=2026-01-01&to=2026-01-31']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toMatch(/^text\/html/);
      expect(response.headers['cache-control'], url).toBe('no-cache');
      expect(response.body).toContain('<div id="root">');
    }
    expect((await app.inject({ method: 'HEAD', url: '/accounts/3' })).statusCode).toBe(200);
  });

  it('caches hashed assets for a year as immutable, and sends the precompressed file the browser accepts', async () => {
    const plain = await app.inject({ method: 'GET', url: '/assets/index-Ab12Cd34.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.body).toBe(script);
    const compressed = await app.inject({ method: 'GET', url: '/assets/index-Ab12Cd34.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(compressed.headers['content-encoding']).toBe('br');
    expect(compressed.rawPayload.length).toBeLessThan(script.length / 10);
  });

  it('serves the other top-level files revalidated, and a missing file is a problem+json 404, not index.html', async () => {
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
    expectProblem(await app.inject({ method: 'GET', url: '/robots.txt' }), 404, 'NOT_FOUND');
    expectProblem(await app.inject({ method: 'GET', url: '/assets/index-gone.js' }), 404, 'NOT_FOUND');
    expectProblem(await app.inject({ method: 'GET', url: '/.inputs-hash' }), 404, 'NOT_FOUND');
  });

  it('leaves the API’s paths alone: their routes answer, and what no route answers stays a problem+json 404', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/accounts' })).json()).toEqual({ items: [] });
    expect((await app.inject({ method: 'GET', url: '/docs' })).body).toBe('docs');
    for (const url of ['/v1/nothing-here', '/client/v1/nothing', '/cgi-bin/nothing', '/datacube/nothing', '/docs/nothing', '/media/nothing', '/q/nothing', '/healthz/x']) {
      expectProblem(await app.inject({ method: 'GET', url }), 404, 'NOT_FOUND');
    }
    expectProblem(await app.inject({ method: 'POST', url: '/accounts' }), 404, 'NOT_FOUND');
  });

  it('serves the API alone when the console is not built', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'oa-web-empty-'));
    const apiOnly = await appServing(empty);
    try {
      expectProblem(await apiOnly.inject({ method: 'GET', url: '/' }), 404, 'NOT_FOUND');
      expectProblem(await apiOnly.inject({ method: 'GET', url: '/accounts/3' }), 404, 'NOT_FOUND');
      expect((await apiOnly.inject({ method: 'GET', url: '/v1/accounts' })).statusCode).toBe(200);
    } finally {
      await apiOnly.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
