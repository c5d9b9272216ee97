import { Worker } from 'bullmq';
import type { Deps } from '../deps.js';
import { startBroadcastConsumers } from '../modules/broadcasts/broadcasts.worker.js';
import { startStatsFolder, type RunningFolder } from '../modules/stats/stats.folder.js';
import { startWebhookRelay } from '../modules/webhooks/webhooks.worker.js';
import { createRedis, watchConnection } from '../redis.js';
import { validatePayload } from './payloads.js';
import { QUEUES } from './queues.js';

/**
 * Starts every BullMQ consumer of the worker process. Only src/worker.ts (and tests that play the worker) import
 * this file, so the API process never consumes jobs.
 */
export interface Consumers {
  workers: Worker[];
  /** Resumes every unfinished broadcast now; idempotent, so it is safe to call whenever a connection comes back. */
  sweep(): Promise<void>;
  /** The statistics folder: catchUp() folds what is visible now (tests wait on it). */
  statsFolder: RunningFolder;
  /** Waits for the jobs in progress to finish, then closes the consumers' Redis connections. */
  close(): Promise<void>;
}

/** The one scheduler of the broadcast sweep, shared by every worker process: upserting it again changes nothing. */
export const SWEEP_SCHEDULER_ID = 'sweep-broadcasts';

export async function startConsumers(deps: Deps): Promise<Consumers> {
  const { config, logger } = deps;
  const fanout = deps.services.fanout;
  const broadcasts = startBroadcastConsumers(deps, fanout);

  // Throws when a broadcast could not be resumed (after trying every other one), so a caller that sweeps because a
  // connection came back knows to try again.
  const sweep = async () => {
    // Expired temporary media (WeChat keeps them 3 days) go with the same upkeep; a failure there is logged, not fatal.
    await deps.services.media.sweepExpired().catch((error: unknown) => logger.warn({ err: error }, 'media sweep failed'));
    // So are the per-follower mass-message counters of past months, which no batch reads again.
    await fanout.sweepPastMassCounters().catch((error: unknown) => logger.warn({ err: error }, 'mass counter sweep failed'));
    const { resumed, failed } = await fanout.sweep();
    if (failed > 0) throw new Error(`sweep could not resume ${failed} of ${resumed + failed} unfinished broadcasts; they are left for the next run`);
  };

  // Periodic upkeep runs as jobs of one scheduler, so a fleet of workers sweeps once per interval, not once each.
  const maintenanceConnection = createRedis(config.redisUrl, 'worker', `oa-platform-worker:${config.redisPrefix}:${QUEUES.maintenance}`, logger);
  const maintenance = new Worker(
    QUEUES.maintenance,
    async (job) => {
      const { task } = validatePayload(QUEUES.maintenance, job.data);
      if (task === 'sweep-broadcasts') await sweep();
    },
    { prefix: config.redisPrefix, connection: maintenanceConnection, concurrency: 1 },
  );
  maintenance.on('failed', (job, error) => logger.warn({ err: error, jobId: job?.id }, 'maintenance job failed'));
  watchConnection(maintenance, logger, `worker ${QUEUES.maintenance}`, { emitter: maintenanceConnection, event: 'ready' });

  const workers = [...broadcasts.workers, maintenance];
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  await deps.producers[QUEUES.maintenance].upsertJobScheduler(
    SWEEP_SCHEDULER_ID,
    { every: config.worker.sweepIntervalMs },
    {
      name: 'sweep-broadcasts',
      data: { task: 'sweep-broadcasts' },
      opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 100, age: 86_400 } },
    },
  );
  // Messages and events to developers' servers: a relay over the webhook outbox in PostgreSQL, not a BullMQ queue.
  const relay = startWebhookRelay(deps);
  // Statistics: new events folded into the rollups about once a second.
  const statsFolder = startStatsFolder(deps);
  // Whatever the previous worker left behind resumes now, not one interval later.
  void sweep().catch((error) => logger.warn({ err: error }, 'start-up sweep failed'));
  return {
    workers,
    sweep,
    statsFolder,
    async close() {
      await Promise.all([broadcasts.close(), maintenance.close(), relay.close(), statsFolder.close()]);
      await maintenanceConnection.quit().catch(() => maintenanceConnection.disconnect());
    },
  };
}
