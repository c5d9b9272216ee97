import closeWithGrace from 'close-with-grace';
import Fastify from 'fastify';
import { loadConfig } from './config.js';
import { createDeps } from './deps.js';
import { startConsumers } from './queues/consumers.js';

// Worker entry point: the same dependencies as the API, the BullMQ consumers, and a small health endpoint.
const config = loadConfig();
const deps = await createDeps(config, { role: 'worker' });
const consumers = await startConsumers(deps);

const health = Fastify({ logger: false });
health.get('/healthz', async () => ({ status: 'ok' }));
health.get('/readyz', async (_request, reply) => {
  const running = consumers.workers.every((worker) => worker.isRunning());
  return reply.code(running ? 200 : 503).send({ status: running ? 'ok' : 'fail', consumers: consumers.workers.map((w) => w.name) });
});

closeWithGrace({ delay: config.shutdownGraceMs, logger: deps.logger }, async ({ signal, err }) => {
  if (err) deps.logger.error({ err }, 'worker shutting down after an error');
  else deps.logger.info({ signal }, 'worker shutting down: finishing jobs in progress');
  await health.close();
  // Worker.close() waits for the jobs in progress to finish, so nothing is left half-done on a deploy.
  await consumers.close();
  await deps.close();
});

await health.listen({ host: config.host, port: config.workerHealthPort });
deps.logger.info({ consumers: consumers.workers.map((w) => w.name) }, 'worker started');
