import { Worker, type Job } from 'bullmq';
import type { Deps } from '../../deps.js';
import { QUEUES, type QueuePayloads } from '../../queues/queues.js';
import { createRedis } from '../../redis.js';
import { findBroadcastsToSweep } from './broadcasts.repo.js';
import type { Fanout } from './fanout.js';

function exhausted(job: Job): boolean {
  return job.attemptsMade >= (job.opts.attempts ?? 1);
}

/**
 * The broadcast consumers: planning (one job per broadcast) and delivery (one job per batch), with concurrency from
 * configuration. A job that runs out of attempts is recorded (the batch's followers as errors, or the broadcast as
 * failed with its quota returned), so every broadcast reaches a final status.
 */
export function startBroadcastConsumers(deps: Deps, fanout: Fanout): { workers: Worker[]; sweep(): Promise<void>; stop(): void } {
  const { config, logger } = deps;
  const common = { prefix: config.redisPrefix, lockDuration: config.worker.lockDurationMs, stalledInterval: Math.max(1000, Math.floor(config.worker.lockDurationMs / 2)) };

  const planner = new Worker<QueuePayloads['broadcast-fanout']>(
    QUEUES.broadcastFanout,
    async (job) => fanout.plan(job.data.broadcastId),
    { ...common, connection: createRedis(config.redisUrl, 'worker', 'oa-platform-worker-fanout'), concurrency: config.fanout.planConcurrency },
  );
  planner.on('failed', (job, error) => {
    logger.warn({ err: error, broadcastId: job?.data.broadcastId, attempt: job?.attemptsMade }, 'fan-out planning failed');
    if (job && exhausted(job)) void fanout.failPlanning(job.data.broadcastId, 'PLANNING_FAILED').catch((err) => logger.error({ err }, 'could not record the failure'));
  });

  const deliverer = new Worker<QueuePayloads['broadcast-batch']>(
    QUEUES.broadcastBatch,
    async (job) => fanout.deliverBatch(job.data.broadcastId, job.data.seq),
    { ...common, connection: createRedis(config.redisUrl, 'worker', 'oa-platform-worker-batch'), concurrency: config.fanout.batchConcurrency },
  );
  deliverer.on('failed', (job, error) => {
    logger.warn({ err: error, broadcastId: job?.data.broadcastId, seq: job?.data.seq, attempt: job?.attemptsMade }, 'batch delivery failed');
    if (job && exhausted(job)) void fanout.failBatch(job.data.broadcastId, job.data.seq).catch((err) => logger.error({ err }, 'could not record the failure'));
  });

  for (const worker of [planner, deliverer]) worker.on('error', (error) => logger.error({ err: error, queue: worker.name }, 'worker error'));

  /**
   * The safety net behind "enqueue after commit": broadcasts left queued (Redis was down at send time), sending
   * broadcasts whose batch jobs were lost, and finished ones whose MASSSENDJOBFINISH is not yet on its queue.
   * Every step it repeats is idempotent.
   */
  async function sweep() {
    const due = await findBroadcastsToSweep(deps.database.db, new Date(deps.clock.now().getTime() - config.worker.sweepIntervalMs));
    for (const broadcast of due) {
      try {
        if (broadcast.status === 'queued' || broadcast.status === 'SENDING') await fanout.plan(broadcast.id);
        else await fanout.announceFinish(broadcast.id, broadcast.accountId);
      } catch (error) {
        logger.warn({ err: error, broadcastId: broadcast.id }, 'sweep could not resume a broadcast');
      }
    }
  }
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    void sweep()
      .catch((error) => logger.warn({ err: error }, 'sweep failed'))
      .finally(() => {
        sweeping = false;
      });
  }, config.worker.sweepIntervalMs);
  timer.unref();

  return { workers: [planner, deliverer], sweep, stop: () => clearInterval(timer) };
}
