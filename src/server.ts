import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createDeps } from './deps.js';

// API entry point: configuration, dependencies, the app, listen; on SIGTERM stop accepting, drain, close, exit 0.
const config = loadConfig();
const deps = await createDeps(config, { role: 'api' });
const app = await buildApp(deps);

closeWithGrace({ delay: config.shutdownGraceMs, logger: deps.logger }, async ({ signal, err }) => {
  if (err) deps.logger.error({ err }, 'shutting down after an error');
  else deps.logger.info({ signal }, 'shutting down: draining requests');
  await app.close();
  await deps.close();
});

await app.listen({ host: config.host, port: config.port });
