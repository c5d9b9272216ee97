import { PRIORITY_LIMIT, type Queue } from 'bullmq';
import { QUEUES, type Producers } from '../../queues/queues.js';

export type BroadcastJobs = ReturnType<typeof createBroadcastJobs>;

/** A broadcast as jobs name it: the account comes along so every step stays inside its tenant. */
export interface BroadcastRef {
  accountId: number;
  broadcastId: number;
}

/** What BullMQ holds for one attempt's job: still to run (or running), gone, or ended without the work done. */
export type JobOutcome = { state: 'live' } | { state: 'missing' } | { state: 'ended'; reason: string };

export const planJobId = (broadcastId: number, attempt: number) => `fanout-${broadcastId}-a${attempt}`;
export const batchJobId = (broadcastId: number, seq: number, attempt: number) => `batch-${broadcastId}-${seq}-a${attempt}`;

/**
 * Fairness between broadcasts: batch k of every broadcast runs before batch k+1 of any, so a small send is not
 * queued behind the whole of a million-follower one that started earlier (equal priorities stay FIFO).
 */
export const batchPriority = (seq: number) => Math.min(seq + 1, PRIORITY_LIMIT);

async function outcomeOf(queue: Queue, jobId: string): Promise<JobOutcome> {
  const state = await queue.getJobState(jobId);
  if (state === 'unknown') return { state: 'missing' };
  if (state !== 'completed' && state !== 'failed') return { state: 'live' };
  const job = await queue.getJob(jobId);
  return { state: 'ended', reason: job?.failedReason || `job ${jobId} ${state} without finishing its work` };
}

/**
 * Producers of the broadcast pipeline. A job id names the attempt it runs (counted in PostgreSQL), so enqueuing the
 * same attempt twice adds nothing while its job exists, and a new attempt is never blocked by a failed job that
 * BullMQ keeps for inspection. The database state (batch done_at, status) keeps a re-run from doing work twice.
 */
export function createBroadcastJobs(producers: Producers) {
  const planner = producers[QUEUES.broadcastFanout];
  const batches = producers[QUEUES.broadcastBatch];
  return {
    async enqueueFanout(ref: BroadcastRef, attempt = 0, delayMs = 0): Promise<void> {
      await planner.add('plan', { ...ref, attempt }, { jobId: planJobId(ref.broadcastId, attempt), ...(delayMs > 0 ? { delay: delayMs } : {}) });
    },

    async enqueueBatches(ref: BroadcastRef, jobs: Array<{ seq: number; attempt: number; delayMs: number }>): Promise<void> {
      // addBulk in slices keeps each Redis pipeline small for million-follower broadcasts.
      for (let i = 0; i < jobs.length; i += 500) {
        await batches.addBulk(
          jobs.slice(i, i + 500).map(({ seq, attempt, delayMs }) => ({
            name: 'deliver',
            data: { ...ref, seq, attempt },
            opts: { jobId: batchJobId(ref.broadcastId, seq, attempt), priority: batchPriority(seq), ...(delayMs > 0 ? { delay: delayMs } : {}) },
          })),
        );
      }
    },

    planJobOutcome: (broadcastId: number, attempt: number) => outcomeOf(planner, planJobId(broadcastId, attempt)),

    batchJobOutcomes: (broadcastId: number, pending: Array<{ seq: number; attempts: number }>) =>
      Promise.all(pending.map(({ seq, attempts }) => outcomeOf(batches, batchJobId(broadcastId, seq, attempts)))),
  };
}
