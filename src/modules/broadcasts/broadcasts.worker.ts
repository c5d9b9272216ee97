import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Deps } from '../../deps.js';
import { describeError } from '../../errors.js';
import { unavailableDependency } from '../../outages.js';
import { isPayload, validatePayload } from '../../queues/payloads.js';
import { QUEUES } from '../../queues/queues.js';
import { createRedis, watchConnection } from '../../redis.js';
import type { Fanout } from './fanout.service.js';

/**
 * The broadcast consumers: planning (one job per broadcast and attempt) and delivery (one job per batch and
 * attempt), with concurrency from configuration. A failed attempt is reported to the fan-out, which counts it in
 * PostgreSQL and either enqueues the next attempt or gives up (the batch's followers as errors, or the broadcast
 * failed with its quota returned). The processor reports its own failures before the job is marked failed; the
 * 'failed' listener reports those BullMQ decides alone (a job stalled too often is failed without running); the
 * sweep reports whatever both missed. Each report names its attempt, so only the first one counts.
 */
export function startBroadcastConsumers(deps: Deps, fanout: Fanout): { workers: Worker[]; close(): Promise<void> } {
  const { config, logger } = deps;
  const connections: Redis[] = [];
  // Named after the deployment's prefix and the queue, so CLIENT LIST tells whose connection it is.
  const connect = (queue: string) => {
    const connection = createRedis(config.redisUrl, 'worker', `oa-platform-worker:${config.redisPrefix}:${queue}`, logger);
    connections.push(connection);
    return connection;
  };
  const common = { prefix: config.redisPrefix, lockDuration: config.worker.lockDurationMs, stalledInterval: Math.max(1000, Math.floor(config.worker.lockDurationMs / 2)) };

  // While PostgreSQL or Redis is down every job fails for the same reason; the connection watchers log the outage
  // once, so these per-job lines drop to debug instead of flooding the log with one line per batch.
  const levelFor = (error: unknown, otherwise: 'warn' | 'error') => (unavailableDependency(error) ? 'debug' : otherwise);

  /** Reports a failed attempt; a report that cannot be written now is left to the 'failed' listener and the sweep. */
  const report = (what: string, context: object, write: () => Promise<void>) =>
    write().catch((err) => logger[levelFor(err, 'error')]({ err, ...context }, `could not record a failed ${what}; the sweep will`));

  const plannerConnection = connect(QUEUES.broadcastFanout);
  const planner = new Worker(
    QUEUES.broadcastFanout,
    async (job) => {
      const { accountId, broadcastId, attempt } = validatePayload(QUEUES.broadcastFanout, job.data);
      try {
        await fanout.plan({ accountId, broadcastId });
      } catch (error) {
        await report('planning', { broadcastId, attempt }, () => fanout.planFailed({ accountId, broadcastId }, attempt, describeError(error)));
        throw error;
      }
    },
    { ...common, connection: plannerConnection, concurrency: config.fanout.planConcurrency },
  );

  const delivererConnection = connect(QUEUES.broadcastBatch);
  const deliverer = new Worker(
    QUEUES.broadcastBatch,
    async (job) => {
      const { accountId, broadcastId, seq, attempt } = validatePayload(QUEUES.broadcastBatch, job.data);
      try {
        return await fanout.deliverBatch({ accountId, broadcastId }, seq);
      } catch (error) {
        await report('batch', { broadcastId, seq, attempt }, () => fanout.batchFailed({ accountId, broadcastId }, seq, attempt, describeError(error)));
        throw error;
      }
    },
    { ...common, connection: delivererConnection, concurrency: config.fanout.batchConcurrency },
  );

  planner.on('failed', (job: Job | undefined, error: Error) => {
    if (!job || !isPayload(QUEUES.broadcastFanout, job.data)) {
      logger.error({ err: error, jobId: job?.id, queue: QUEUES.broadcastFanout }, 'planning job failed and was dropped');
      return;
    }
    const { accountId, broadcastId, attempt } = job.data;
    logger[levelFor(error, 'warn')]({ err: error, broadcastId, attempt }, 'fan-out planning failed');
    void report('planning', { broadcastId, attempt }, () => fanout.planFailed({ accountId, broadcastId }, attempt, describeError(error)));
  });
  deliverer.on('failed', (job: Job | undefined, error: Error) => {
    if (!job || !isPayload(QUEUES.broadcastBatch, job.data)) {
      logger.error({ err: error, jobId: job?.id, queue: QUEUES.broadcastBatch }, 'batch job failed and was dropped');
      return;
    }
    const { accountId, broadcastId, seq, attempt } = job.data;
    logger[levelFor(error, 'warn')]({ err: error, broadcastId, seq, attempt }, 'batch delivery failed');
    void report('batch', { broadcastId, seq, attempt }, () => fanout.batchFailed({ accountId, broadcastId }, seq, attempt, describeError(error)));
  });

  watchConnection(planner, logger, `worker ${QUEUES.broadcastFanout}`, { emitter: plannerConnection, event: 'ready' });
  watchConnection(deliverer, logger, `worker ${QUEUES.broadcastBatch}`, { emitter: delivererConnection, event: 'ready' });

  return {
    workers: [planner, deliverer],
    async close() {
      // Worker.close() waits for the jobs in progress; the connections were handed in, so BullMQ leaves them open.
      await Promise.all([planner.close(), deliverer.close()]);
      await Promise.all(connections.map((connection) => connection.quit().catch(() => connection.disconnect())));
    },
  };
}
