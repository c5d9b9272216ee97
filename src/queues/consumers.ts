import type { Worker } from 'bullmq';
import type { Deps } from '../deps.js';
import { startBroadcastConsumers } from '../modules/broadcasts/broadcasts.worker.js';

/**
 * Starts every BullMQ consumer of the worker process. Only src/worker.ts (and tests that play the worker) import
 * this file, so the API process never consumes jobs.
 */
export interface Consumers {
  workers: Worker[];
  /** Runs the periodic recovery sweep once, now (it also runs on a timer). */
  sweep(): Promise<void>;
  /** Stops the timers, then waits for the jobs in progress to finish. */
  close(): Promise<void>;
}

export async function startConsumers(deps: Deps): Promise<Consumers> {
  const broadcasts = startBroadcastConsumers(deps, deps.services.fanout);
  const workers = [...broadcasts.workers];
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  void broadcasts.sweep().catch((error) => deps.logger.warn({ err: error }, 'start-up sweep failed'));
  return {
    workers,
    sweep: broadcasts.sweep,
    async close() {
      broadcasts.stop();
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
