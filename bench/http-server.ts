import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/deps.js';

/**
 * The API as a process of its own for the HTTP benchmarks, so that load generation and serving do not share an
 * event loop: the real application over the benchmark database (from env). Reports its port to the parent over
 * IPC and exits on SIGTERM (after closing, so a --cpu-prof profile is written).
 */
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
