import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/deps.js';

/**
 * A server process for the HTTP benchmarks, so that load generation and serving do not share an event loop.
 * `hello` is the bare-Fastify baseline; `app` is the real application over the benchmark database (from env).
 * Reports its port to the parent over IPC and exits on SIGTERM.
 */
const mode = process.argv[2];
let close: () => Promise<unknown>;
let port: number;

if (mode === 'hello') {
  const app = Fastify({ logger: false });
  app.get('/hello', async () => ({ hello: 'world' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
  close = () => app.close();
} else {
  const config = loadConfig({ ...process.env, PORT: '0' });
  const deps = await createDeps(config, { role: 'api' });
  const app = await buildApp(deps);
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
  close = async () => {
    await app.close();
    await deps.close();
  };
}

process.send?.({ port });
process.on('SIGTERM', () => {
  void close().then(() => process.exit(0));
});
