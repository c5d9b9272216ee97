import { QUEUES, type Producers } from '../../queues/queues.js';

export type BroadcastJobs = ReturnType<typeof createBroadcastJobs>;

/**
 * Producers of the broadcast pipeline. Job ids are derived from database ids, so enqueuing the same work twice
 * while a job exists adds nothing; once a job is gone, the database state (batch done_at, status) is what
 * keeps a re-run from doing the work again.
 */
export function createBroadcastJobs(producers: Producers) {
  return {
    async enqueueFanout(broadcastId: number): Promise<void> {
      await producers[QUEUES.broadcastFanout].add('plan', { broadcastId }, { jobId: `fanout-${broadcastId}` });
    },

    async enqueueBatches(broadcastId: number, batches: Array<{ seq: number; delayMs: number }>): Promise<void> {
      const queue = producers[QUEUES.broadcastBatch];
      // addBulk in slices keeps each Redis pipeline small for million-follower broadcasts.
      for (let i = 0; i < batches.length; i += 500) {
        await queue.addBulk(
          batches.slice(i, i + 500).map(({ seq, delayMs }) => ({
            name: 'deliver',
            data: { broadcastId, seq },
            opts: { jobId: `batch-${broadcastId}-${seq}`, ...(delayMs > 0 ? { delay: delayMs } : {}) },
          })),
        );
      }
    },

    async enqueueFinishEvent(accountId: number, broadcastId: number): Promise<void> {
      await producers[QUEUES.webhookEvents].add(
        'MASSSENDJOBFINISH',
        { kind: 'MASSSENDJOBFINISH', accountId, broadcastId },
        { jobId: `masssendjobfinish-${broadcastId}` },
      );
    },
  };
}
