import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/deps.js';

/**
 * The API as a process of its own for the HTTP benchmarks, so that load generation and serving do not share an
 * event loop: the real application over the benchmark database (from env). Reports its port to the parent over
 * IPC and exits on SIGTERM (after closing, so a --cpu-prof profile is written).
 *
 * With the argument `bare` it serves instead Fastify and loopback HTTP alone: a route that answers a constant
 * user/info body (the baseline of bench:compat's user/info rate), and `GET /body`, which sends whatever was last
 * `PUT /body` (bench:stats: what an answer's size alone costs to send).
 */
if (process.argv[2] === 'bare') {
  const bare = Fastify({ logger: false });
  const userInfo = { subscribe: 1, openid: 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M', language: 'zh_CN', subscribe_time: 1382694957, remark: '', groupid: 0, tagid_list: [], subscribe_scene: 'ADD_SCENE_SEARCH', qr_scene: 0, qr_scene_str: '' };
  bare.get('/cgi-bin/user/info', async () => userInfo);
  let body: Buffer = Buffer.alloc(0);
  bare.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: 64 * 1024 * 1024 }, (_request, raw, done) => done(null, raw));
  bare.put('/body', async (request) => {
    body = request.body as Buffer;
    return { bytes: body.length };
  });
  bare.get('/body', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
  await bare.listen({ host: '127.0.0.1', port: 0 });
  process.send?.({ port: (bare.server.address() as { port: number }).port });
  process.on('SIGTERM', () => void bare.close().then(() => process.exit(0)));
} else {
  const config = loadConfig({ ...process.env, PORT: '0' });
  const deps = await createDeps(config, { role: 'api' });
  const app = await buildApp(deps);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;

  process.send?.({ port });
  process.on('SIGTERM', () => {
    void app
      .close()
      .then(() => process.send?.({ eventGroups: deps.services.events.grouping() }))
      .then(() => deps.close())
      .then(() => process.exit(0));
  });
}
