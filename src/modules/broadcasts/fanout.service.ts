import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Database, Transaction } from '../../db/client.js';
import { findBroadcastSpeed } from '../accounts/accounts.repo.js';
import { quotaWindow } from '../accounts/quota-window.js';
import type { QuotaService } from '../accounts/quota.service.js';
import { tagExists } from '../followers/tags.repo.js';
import { insertOutboxEvent } from '../outbox/outbox.repo.js';
import type { BroadcastJobs, BroadcastRef } from './broadcasts.jobs.js';
import { findBroadcast } from './broadcasts.repo.js';
import {
  completeBatch,
  countEligibleInRange,
  countUnknownOpenids,
  deletePastMassCounters,
  deliverRange,
  findFollowerMassLimit,
  finishBroadcast,
  insertBatches,
  listPendingBatches,
  listUnfinishedBroadcasts,
  lockBatch,
  markSending,
  planRanges,
  recordBatchFailure,
  recordPlanFailure,
  type PendingBatch,
  type UnfinishedBroadcast,
} from './fanout.repo.js';
import { batchDelayMs } from './speed.js';

export type Fanout = ReturnType<typeof createFanout>;

/** A failure to record: which attempt failed, and why (or nothing, to apply the budget to what is recorded). */
type Failure = { attempt: number; error: string };

const SWEEP_PAGE = 500;

/**
 * The broadcast pipeline's work, independent of BullMQ so tests can run a step twice: planning a broadcast into
 * batches, delivering a batch, recording failed attempts, finishing the broadcast, and the sweep that resumes
 * whatever a crash, an outage or BullMQ itself left behind. PostgreSQL is the source of truth: attempts are counted
 * there, the decision to retry or give up is taken there, and the final status is written there together with the
 * MASSSENDJOBFINISH outbox row. Every step can run again and changes nothing the second time.
 */
export function createFanout(deps: {
  db: Database;
  clock: Clock;
  quota: QuotaService;
  jobs: BroadcastJobs;
  batchSize: number;
  /** QUOTA_TIMEZONE: the calendar month of the per-follower limit on mass messages is counted in it. */
  timeZone: string;
  /** Failed attempts after which a batch counts its followers as errors, or a broadcast that cannot be planned fails. */
  maxAttempts: number;
  /** The first retry's delay; each further retry doubles it. */
  retryDelayMs: number;
  logger: Logger;
}) {
  const { db } = deps;
  const retryDelay = (failedAttempts: number) => deps.retryDelayMs * 2 ** Math.min(failedAttempts - 1, 16);

  /**
   * Final status, quota refund for a broadcast that reached nobody, and the MASSSENDJOBFINISH outbox row, in the
   * caller's transaction: the announcement exists exactly when the final status does, and only once.
   */
  async function finish(tx: Transaction, ref: BroadcastRef, failReason: string): Promise<boolean> {
    const finished = await finishBroadcast(tx, ref.accountId, ref.broadcastId, { failReason, at: deps.clock.now() });
    if (!finished) return false;
    if (finished.status === 'SEND_FAIL' && finished.quotaLedgerId !== null) await deps.quota.refund(finished.accountId, finished.quotaLedgerId, tx);
    await insertOutboxEvent(tx, finished.accountId, {
      kind: 'MASSSENDJOBFINISH',
      idempotencyKey: `MASSSENDJOBFINISH:${finished.id}`,
      payload: {
        broadcastId: finished.id,
        msgId: finished.msgId,
        status: finished.status,
        failReason: finished.failReason,
        counts: { total: finished.totalCount, filtered: finished.filteredCount, sent: finished.sentCount, errors: finished.errorCount },
        finishedAt: finished.finishedAt.toISOString(),
      },
      at: finished.finishedAt,
    });
    return true;
  }

  /** Enqueues batch jobs for the given pending batches, spaced out by the account's speed level. */
  async function enqueueBatches(ref: BroadcastRef, pending: PendingBatch[]): Promise<void> {
    if (pending.length === 0) return;
    const speed = await findBroadcastSpeed(db, ref.accountId);
    const first = pending[0]!.seq;
    await deps.jobs.enqueueBatches(
      ref,
      pending.map(({ seq, attempts }) => ({ seq, attempt: attempts, delayMs: batchDelayMs(seq - first, deps.batchSize, speed) })),
    );
  }

  /** A batch that will not be delivered: its eligible followers count as errors, and it may finish the broadcast. */
  async function giveUpBatch(tx: Transaction, ref: BroadcastRef, seq: number, range: { lo: number; hi: number }): Promise<void> {
    const broadcast = await findBroadcast(tx, ref.accountId, ref.broadcastId);
    if (!broadcast || broadcast.status !== 'SENDING') return;
    const errors = await countEligibleInRange(tx, broadcast, range);
    const progress = await completeBatch(tx, ref.accountId, ref.broadcastId, seq, { candidates: errors, filtered: 0, sent: 0, errors }, deps.clock.now());
    if (progress.batchesDone >= progress.batchesTotal) await finish(tx, ref, 'DELIVERY_ERRORS');
  }

  /**
   * Counts a failed attempt of a batch (once, however many report it) and decides in the same transaction: retry
   * under the next attempt's job id, or, past the budget, give up on the batch. With no failure given it only applies
   * the budget to what is recorded.
   */
  async function settleBatch(ref: BroadcastRef, seq: number, failure: Failure | null): Promise<void> {
    const retry = await db.transaction(async (tx) => {
      const batch = await lockBatch(tx, ref.accountId, ref.broadcastId, seq);
      if (!batch || batch.done) return undefined;
      const attempts = failure ? await recordBatchFailure(tx, ref.accountId, ref.broadcastId, seq, failure) : batch.attempts;
      if (attempts === undefined) return undefined;
      if (attempts < deps.maxAttempts) return failure ? attempts : undefined;
      deps.logger.error({ ...ref, seq, attempts, lastError: failure?.error ?? batch.lastError }, 'giving up on a batch: its followers count as errors');
      await giveUpBatch(tx, ref, seq, batch);
      return undefined;
    });
    if (retry !== undefined) await deps.jobs.enqueueBatches(ref, [{ seq, attempt: retry, delayMs: retryDelay(retry) }]);
  }

  /** The planning counterpart of settleBatch; past the budget the broadcast fails and its quota unit returns. */
  async function settlePlan(ref: BroadcastRef, failure: Failure | null): Promise<void> {
    const retry = await db.transaction(async (tx) => {
      const broadcast = await findBroadcast(tx, ref.accountId, ref.broadcastId, { forUpdate: true });
      if (!broadcast || broadcast.status !== 'queued') return undefined;
      const attempts = failure ? await recordPlanFailure(tx, ref.accountId, ref.broadcastId, failure) : broadcast.planAttempts;
      if (attempts === undefined) return undefined;
      if (attempts < deps.maxAttempts) return failure ? attempts : undefined;
      deps.logger.error({ ...ref, attempts, lastError: failure?.error }, 'giving up on planning a broadcast');
      await finish(tx, ref, 'PLANNING_FAILED');
      return undefined;
    });
    if (retry !== undefined) await deps.jobs.enqueueFanout(ref, retry, retryDelay(retry));
  }

  /** A SENDING broadcast with every batch done but no final status cannot come from one transaction; settle it anyway. */
  async function finishIfComplete(ref: BroadcastRef): Promise<void> {
    await db.transaction(async (tx) => {
      const broadcast = await findBroadcast(tx, ref.accountId, ref.broadcastId, { forUpdate: true });
      if (broadcast?.status === 'SENDING' && broadcast.batchesDone >= (broadcast.batchesTotal ?? 0)) await finish(tx, ref, 'NO_ELIGIBLE_RECIPIENTS');
    });
  }

  /**
   * Brings one unfinished broadcast back on track from what PostgreSQL and BullMQ hold now: a job still to run is
   * left alone, a missing one is enqueued again, one that ended without its work done (failed, or failed by BullMQ
   * for stalling) counts as a failed attempt.
   */
  async function resume(broadcast: UnfinishedBroadcast): Promise<void> {
    const ref = { accountId: broadcast.accountId, broadcastId: broadcast.id };
    if (broadcast.status === 'queued') {
      if (broadcast.planAttempts >= deps.maxAttempts) return settlePlan(ref, null);
      const outcome = await deps.jobs.planJobOutcome(broadcast.id, broadcast.planAttempts);
      if (outcome.state === 'missing') await deps.jobs.enqueueFanout(ref, broadcast.planAttempts);
      else if (outcome.state === 'ended') await settlePlan(ref, { attempt: broadcast.planAttempts, error: outcome.reason });
      return;
    }
    const pending = await listPendingBatches(db, ref.accountId, ref.broadcastId);
    if (pending.length === 0) return finishIfComplete(ref);
    const outcomes = await deps.jobs.batchJobOutcomes(broadcast.id, pending);
    const missing: PendingBatch[] = [];
    for (const [i, batch] of pending.entries()) {
      const outcome = outcomes[i]!;
      if (batch.attempts >= deps.maxAttempts) await settleBatch(ref, batch.seq, null);
      else if (outcome.state === 'ended') await settleBatch(ref, batch.seq, { attempt: batch.attempts, error: outcome.reason });
      else if (outcome.state === 'missing') missing.push(batch);
    }
    await enqueueBatches(ref, missing);
  }

  return {
    /**
     * Plans the broadcast into batches (once: the plan is stored with the status change) and enqueues every batch
     * not yet done. Running it again re-enqueues the same attempts' jobs, which BullMQ deduplicates by id.
     */
    async plan(ref: BroadcastRef): Promise<void> {
      const sending = await db.transaction(async (tx) => {
        const broadcast = await findBroadcast(tx, ref.accountId, ref.broadcastId, { forUpdate: true });
        if (!broadcast || broadcast.isPreview) return false;
        if (broadcast.status !== 'queued') return broadcast.status === 'SENDING';
        if (broadcast.target === 'tag' && !(await tagExists(tx, broadcast.accountId, broadcast.targetTagId!))) {
          await finish(tx, ref, 'TAG_DELETED');
          return false;
        }
        const ranges = await planRanges(tx, broadcast, deps.batchSize);
        const unknown = broadcast.target === 'openids' ? await countUnknownOpenids(tx, broadcast) : 0;
        await insertBatches(tx, ref.accountId, ref.broadcastId, ranges);
        await markSending(tx, ref.accountId, ref.broadcastId, { batches: ranges.length, errors: unknown, at: deps.clock.now() });
        if (ranges.length > 0) return true;
        await finish(tx, ref, 'NO_ELIGIBLE_RECIPIENTS');
        return false;
      });
      if (sending) await enqueueBatches(ref, await listPendingBatches(db, ref.accountId, ref.broadcastId));
    },

    /**
     * Delivers one batch in one transaction with its bookkeeping; a batch already done is skipped. Where the account's
     * type limits the mass messages a follower receives per calendar month (service accounts: 4), followers at the
     * limit in the month of delivery are filtered out; WeChat counts them in TotalCount but not FilterCount (§10.6).
     */
    async deliverBatch(ref: BroadcastRef, seq: number): Promise<'delivered' | 'skipped'> {
      return db.transaction(async (tx) => {
        const batch = await lockBatch(tx, ref.accountId, ref.broadcastId, seq);
        if (!batch || batch.done) return 'skipped';
        const broadcast = await findBroadcast(tx, ref.accountId, ref.broadcastId);
        if (!broadcast || broadcast.status !== 'SENDING') return 'skipped';
        const at = deps.clock.now();
        const limit = await findFollowerMassLimit(tx, ref.accountId);
        const cap = limit === null ? undefined : { limit, monthStart: quotaWindow(at, 'month', deps.timeZone).start };
        const counts = await deliverRange(tx, broadcast, batch, at, cap);
        const progress = await completeBatch(tx, ref.accountId, ref.broadcastId, seq, { ...counts, errors: 0 }, at);
        if (progress.batchesDone >= progress.batchesTotal) await finish(tx, ref, 'NO_ELIGIBLE_RECIPIENTS');
        return 'delivered';
      });
    },

    /** Attempt `attempt` of a batch failed: retry it under a new job id, or give up past the budget. */
    batchFailed: (ref: BroadcastRef, seq: number, attempt: number, error: string) => settleBatch(ref, seq, { attempt, error }),

    /** Attempt `attempt` of planning failed: retry it, or fail the broadcast past the budget. */
    planFailed: (ref: BroadcastRef, attempt: number, error: string) => settlePlan(ref, { attempt, error }),

    resume,

    /**
     * Resumes every unfinished broadcast, whatever its age: the safety net behind "enqueue after commit" (Redis
     * down at send time), lost or failed jobs, and a worker that died between a failure and its bookkeeping. Runs on
     * a job scheduler, at worker start, and when a connection comes back; every step it repeats is idempotent.
     */
    async sweep(): Promise<{ resumed: number; failed: number }> {
      let afterId = 0;
      let resumed = 0;
      let failed = 0;
      for (;;) {
        const page = await listUnfinishedBroadcasts(db, { afterId, limit: SWEEP_PAGE });
        for (const broadcast of page) {
          try {
            await resume(broadcast);
            resumed++;
          } catch (error) {
            failed++;
            deps.logger.warn({ err: error, broadcastId: broadcast.id }, 'sweep could not resume a broadcast');
          }
        }
        if (page.length < SWEEP_PAGE) return { resumed, failed };
        afterId = page[page.length - 1]!.id;
      }
    },

    /**
     * Deletes the per-follower mass-message counters of months before the previous one, a bounded number per call
     * (the maintenance sweep calls it each interval). The previous month is kept so that a worker whose clock lags
     * midnight of the 1st still finds its month's counts.
     */
    async sweepPastMassCounters(limit = 10_000): Promise<number> {
      const thisMonth = quotaWindow(deps.clock.now(), 'month', deps.timeZone).start;
      const previousMonth = quotaWindow(new Date(thisMonth.getTime() - 1), 'month', deps.timeZone).start;
      return deletePastMassCounters(db, previousMonth, limit);
    },
  };
}
