import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Database, Transaction } from '../../db/client.js';
import type { QuotaService } from '../accounts/quota.service.js';
import type { BroadcastJobs } from './broadcasts.jobs.js';
import {
  completeBatch,
  countEligibleInRange,
  countUnknownOpenids,
  deliverRange,
  findBroadcastById,
  findBroadcastSpeed,
  finishBroadcast,
  insertBatches,
  listPendingBatches,
  lockBatch,
  markFinishEventQueued,
  markSending,
  planRanges,
  type BroadcastRow,
} from './broadcasts.repo.js';
import { tagExists } from '../followers/tags.repo.js';

/** WeChat's mass-send speed levels: recipients per minute for speed 0 (fastest) to 4. */
export const SPEED_RECIPIENTS_PER_MINUTE = [800_000, 600_000, 450_000, 300_000, 100_000] as const;

/** When batch `seq` may start, relative to the first, so the account's fan-out stays at its speed level. */
export function batchDelayMs(seq: number, batchSize: number, speed: number | null): number {
  if (speed === null) return 0;
  const perMinute = SPEED_RECIPIENTS_PER_MINUTE[speed] ?? SPEED_RECIPIENTS_PER_MINUTE[0];
  return Math.floor((seq * batchSize * 60_000) / perMinute);
}

export type Fanout = ReturnType<typeof createFanout>;

/**
 * The broadcast pipeline's work, independent of BullMQ so tests can run a step twice: planning a broadcast into
 * batches, delivering a batch, and finishing the broadcast. Every step can run again after a crash or a duplicate
 * job and changes nothing the second time.
 */
export function createFanout(deps: { db: Database; clock: Clock; quota: QuotaService; jobs: BroadcastJobs; batchSize: number; logger: Logger }) {
  const { db } = deps;

  /** Final status in the same transaction as the last counts; a broadcast that delivered nothing gets its quota back. */
  async function finish(tx: Transaction, broadcast: BroadcastRow, sentCount: number, reason?: string) {
    const failed = sentCount === 0;
    const changed = await finishBroadcast(tx, broadcast.id, {
      status: failed ? 'SEND_FAIL' : 'SEND_SUCCESS',
      reason: failed ? (reason ?? 'NO_ELIGIBLE_RECIPIENTS') : null,
      at: deps.clock.now(),
    });
    if (changed && failed && broadcast.quotaLedgerId !== null) await deps.quota.refund(broadcast.accountId, broadcast.quotaLedgerId, tx);
    return changed;
  }

  async function announceFinish(broadcastId: number, accountId: number) {
    await deps.jobs.enqueueFinishEvent(accountId, broadcastId);
    await markFinishEventQueued(db, broadcastId, deps.clock.now());
  }

  return {
    /**
     * Plans the broadcast into batches (once: the plan is stored with the status change) and enqueues every batch
     * not yet done. Running it again re-enqueues the same batch jobs, which BullMQ and the batch rows deduplicate.
     */
    async plan(broadcastId: number): Promise<void> {
      const planned = await db.transaction(async (tx) => {
        const broadcast = await findBroadcastById(tx, broadcastId, { forUpdate: true });
        if (!broadcast || broadcast.isPreview) return undefined;
        if (broadcast.status === 'queued') {
          if (broadcast.target === 'tag' && !(await tagExists(tx, broadcast.accountId, broadcast.targetTagId!))) {
            await finish(tx, broadcast, 0, 'TAG_DELETED');
            return { broadcast, finished: true };
          }
          const ranges = await planRanges(tx, broadcast, deps.batchSize);
          const unknown = broadcast.target === 'openids' ? await countUnknownOpenids(tx, broadcast) : 0;
          await insertBatches(tx, broadcast.id, ranges);
          await markSending(tx, broadcast.id, { batches: ranges.length, errors: unknown, at: deps.clock.now() });
          if (ranges.length === 0) {
            await finish(tx, broadcast, 0);
            return { broadcast, finished: true };
          }
          return { broadcast, finished: false };
        }
        return { broadcast, finished: broadcast.status !== 'SENDING' };
      });
      if (!planned) return;
      if (planned.finished) {
        const current = await findBroadcastById(db, broadcastId);
        if (current && !current.finishEventQueuedAt) await announceFinish(broadcastId, current.accountId);
        return;
      }
      const speed = await findBroadcastSpeed(db, planned.broadcast.accountId);
      const pending = await listPendingBatches(db, broadcastId);
      await deps.jobs.enqueueBatches(
        broadcastId,
        pending.map((seq) => ({ seq, delayMs: batchDelayMs(seq - (pending[0] ?? 0), deps.batchSize, speed) })),
      );
    },

    /** Delivers one batch in one transaction with its bookkeeping; a batch already done is skipped. */
    async deliverBatch(broadcastId: number, seq: number): Promise<'delivered' | 'skipped'> {
      const outcome = await db.transaction(async (tx) => {
        const batch = await lockBatch(tx, broadcastId, seq);
        if (!batch || batch.done) return { status: 'skipped' as const };
        const broadcast = await findBroadcastById(tx, broadcastId);
        if (!broadcast || broadcast.status !== 'SENDING') return { status: 'skipped' as const };
        const counts = await deliverRange(tx, broadcast, batch, deps.clock.now());
        const progress = await completeBatch(tx, broadcastId, seq, { ...counts, errors: 0 }, deps.clock.now());
        const finished = progress.batchesDone === progress.batchesTotal && (await finish(tx, broadcast, progress.sentCount));
        return { status: 'delivered' as const, finished, accountId: broadcast.accountId };
      });
      if (outcome.status === 'delivered' && outcome.finished) await announceFinish(broadcastId, outcome.accountId);
      return outcome.status;
    },

    /**
     * A batch whose job ran out of attempts: its candidates count as errors so the broadcast can still finish.
     * Nothing of the batch was delivered, because each attempt's transaction rolled back.
     */
    async failBatch(broadcastId: number, seq: number): Promise<void> {
      const outcome = await db.transaction(async (tx) => {
        const batch = await lockBatch(tx, broadcastId, seq);
        if (!batch || batch.done) return undefined;
        const broadcast = await findBroadcastById(tx, broadcastId);
        if (!broadcast || broadcast.status !== 'SENDING') return undefined;
        const errors = await countEligibleInRange(tx, broadcast, batch);
        const progress = await completeBatch(tx, broadcastId, seq, { candidates: errors, filtered: 0, sent: 0, errors }, deps.clock.now());
        const finished = progress.batchesDone === progress.batchesTotal && (await finish(tx, broadcast, progress.sentCount, 'DELIVERY_ERRORS'));
        return { finished, accountId: broadcast.accountId };
      });
      if (outcome?.finished) await announceFinish(broadcastId, outcome.accountId);
    },

    /** A planning job that ran out of attempts: nothing was delivered, so the broadcast fails and the unit returns. */
    async failPlanning(broadcastId: number, reason: string): Promise<void> {
      const finished = await db.transaction(async (tx) => {
        const broadcast = await findBroadcastById(tx, broadcastId, { forUpdate: true });
        if (!broadcast || broadcast.status !== 'queued') return undefined;
        return (await finish(tx, broadcast, 0, reason)) ? broadcast : undefined;
      });
      if (finished) await announceFinish(broadcastId, finished.accountId);
    },

    announceFinish,
  };
}
