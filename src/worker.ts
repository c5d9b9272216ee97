import closeWithGrace from 'close-with-grace';
import Fastify from 'fastify';
import { healthRoutes } from './modules/health/health.routes.js';
import { createReadinessCheck } from './modules/health/health.service.js';
import { startConsumers } from './queues/consumers.js';
import { resumeAfterOutages } from './queues/resume.js';
import { createDepsOrExit, listenOrExit, stopWhenLauncherExits } from './startup.js';

// Worker entry point: the same dependencies as the API, the BullMQ consumers, and a small health server whose
// /readyz checks what the worker needs, as the API's does: PostgreSQL, Redis, and its consumers running.
const deps = await createDepsOrExit('worker');
const { config } = deps;
const consumers = await startConsumers(deps);
// After a PostgreSQL or Redis outage, in-flight broadcasts resume as soon as it answers, not at the next sweep.
resumeAfterOutages(deps, consumers);

const health = Fastify({ logger: false });
await health.register(healthRoutes, {
  readiness: createReadinessCheck({
    db: deps.database.db,
    redis: deps.redis,
    logger: deps.logger,
    consumersRunning: () => consumers.workers.every((worker) => worker.isRunning()),
  }),
});

closeWithGrace({ delay: config.shutdownGraceMs, logger: deps.logger }, async ({ signal, err }) => {
  if (err) deps.logger.error({ err }, 'worker shutting down after an error');
  else deps.logger.info({ signal }, 'worker shutting down: finishing jobs in progress');
  await health.close();
  // Worker.close() waits for the jobs in progress to finish, so nothing is left half-done on a deploy.
  await consumers.close();
  await deps.close();
});
stopWhenLauncherExits();

await listenOrExit('worker', health, { host: config.host, port: config.workerHealthPort }, config.logLevel);
deps.logger.info({ consumers: consumers.workers.map((w) => w.name) }, 'worker started');
