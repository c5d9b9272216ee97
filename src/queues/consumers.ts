import type { Worker } from 'bullmq';
import type { Deps } from '../deps.js';

/**
 * Starts every BullMQ consumer of the worker process. Only src/worker.ts (and tests that play the worker) import
 * this file, so the API process never consumes jobs.
 */
export async function startConsumers(_deps: Deps): Promise<Worker[]> {
  return [];
}
