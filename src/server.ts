import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { createDepsOrExit, listenOrExit, stopWhenLauncherExits } from './startup.js';

// API entry point: configuration, dependencies, the app, listen; on SIGTERM stop accepting, drain, close, exit 0.
// A start that fails (PostgreSQL or Redis unreachable, port taken) ends with one log line and exit code 1.
const deps = await createDepsOrExit('api');
const { config } = deps;
const app = await buildApp(deps);

closeWithGrace({ delay: config.shutdownGraceMs, logger: deps.logger }, async ({ signal, err }) => {
  if (err) deps.logger.error({ err }, 'shutting down after an error');
  else deps.logger.info({ signal }, 'shutting down: draining requests');
  await app.close();
  await deps.close();
});
stopWhenLauncherExits();

await listenOrExit('api', app, { host: config.host, port: config.port }, config.logLevel);
