import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { deleteOldRowsByAccount } from '../../db/sweeps.js';
import type { BroadcastRow, BroadcastStatus } from './broadcasts.repo.js';

/** What the fan-out needs to know of a broadcast to find its audience. */
export type FanoutTarget = Pick<BroadcastRow, 'id' | 'accountId' | 'target' | 'targetTagId'>;

export type FollowerRange = {
  lo: number;
  hi: number;
};

/**
 * The broadcast's audience as `FROM … WHERE …` over `followers f`, optionally limited to the follower-id range
 * (lo, hi]. Each target starts from its smallest set: a tag from its members in `follower_tags` (a range scan of
 * the tag's key), an openid list from `broadcast_openids`, "all" from the account's subscribed followers.
 */
function audience(broadcast: FanoutTarget, range?: FollowerRange): SQL {
  switch (broadcast.target) {
    case 'all':
      // The audience of "all" is the current followers; unfollowers are not part of it.
      return sql`FROM followers f
        WHERE f.account_id = ${broadcast.accountId} AND f.subscribed ${range ? sql`AND f.id > ${range.lo} AND f.id <= ${range.hi}` : sql``}`;
    case 'tag':
      // Each member is looked up by primary key. The LIMIT keeps PostgreSQL from flattening the lookup into a join
      // it may run as a scan of every follower: tag ids repeat across accounts (each numbers its tags from 100),
      // which skews its estimate of how many members one account's tag has.
      return sql`FROM follower_tags t CROSS JOIN LATERAL (
          SELECT id, subscribed, blacklisted FROM followers
          WHERE id = t.follower_id AND account_id = ${broadcast.accountId} LIMIT 1
        ) f
        WHERE t.account_id = ${broadcast.accountId} AND t.tag_id = ${broadcast.targetTagId}
          ${range ? sql`AND t.follower_id > ${range.lo} AND t.follower_id <= ${range.hi}` : sql``}`;
    case 'openids':
      return sql`FROM broadcast_openids o JOIN followers f ON f.openid = o.openid AND f.account_id = ${broadcast.accountId}
        WHERE o.broadcast_id = ${broadcast.id} ${range ? sql`AND f.id > ${range.lo} AND f.id <= ${range.hi}` : sql``}`;
  }
}

/** Batch rows belong to the account through their broadcast; this keeps every batch query inside the tenant. */
function ownBroadcast(accountId: number, broadcastId: number): SQL {
  return sql`broadcast_id = (SELECT id FROM broadcasts WHERE id = ${broadcastId} AND account_id = ${accountId})`;
}

/**
 * Splits the target into keyset ranges (lo, hi] of about batchSize follower ids each. Only the upper bounds are
 * computed; new followers get ids above the last bound and are not part of this broadcast.
 */
export async function planRanges(db: Executor, broadcast: FanoutTarget, batchSize: number): Promise<FollowerRange[]> {
  const result = await db.execute<{ hi: number }>(sql`
    SELECT max(id) AS hi FROM (
      SELECT f.id, (row_number() OVER (ORDER BY f.id) - 1) / ${batchSize}::int AS bucket ${audience(broadcast)}
    ) s GROUP BY bucket ORDER BY bucket`);
  let lo = 0;
  return result.rows.map(({ hi }) => {
    const range = { lo, hi };
    lo = hi;
    return range;
  });
}

export async function countUnknownOpenids(db: Executor, broadcast: FanoutTarget): Promise<number> {
  const result = await db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM broadcast_openids o
    WHERE o.broadcast_id = ${broadcast.id}
      AND NOT EXISTS (SELECT 1 FROM followers f WHERE f.account_id = ${broadcast.accountId} AND f.openid = o.openid)`);
  return result.rows[0]!.n;
}

export async function insertBatches(db: Executor, accountId: number, broadcastId: number, ranges: FollowerRange[]): Promise<void> {
  if (ranges.length === 0) return;
  await db.execute(sql`
    INSERT INTO broadcast_batches (broadcast_id, seq, lo, hi)
    SELECT b.id, s.seq, s.lo, s.hi
    FROM broadcasts b,
         unnest(${sql.param(ranges.map((_, i) => i))}::int[], ${sql.param(ranges.map((r) => r.lo))}::bigint[], ${sql.param(ranges.map((r) => r.hi))}::bigint[])
         AS s(seq, lo, hi)
    WHERE b.id = ${broadcastId} AND b.account_id = ${accountId}
    ON CONFLICT DO NOTHING`);
}

export async function markSending(db: Executor, accountId: number, broadcastId: number, input: { batches: number; errors: number; at: Date }): Promise<void> {
  await db.execute(sql`
    UPDATE broadcasts SET status = 'SENDING', batches_total = ${input.batches}, error_count = error_count + ${input.errors},
                          total_count = total_count + ${input.errors}, started_at = ${input.at.toISOString()}
    WHERE id = ${broadcastId} AND account_id = ${accountId} AND status = 'queued'`);
}

export interface PendingBatch {
  seq: number;
  /** Failed attempts so far; the next job for the batch is attempt number `attempts`. */
  attempts: number;
}

export async function listPendingBatches(db: Executor, accountId: number, broadcastId: number): Promise<PendingBatch[]> {
  const result = await db.execute<{ seq: number; attempts: number }>(sql`
    SELECT seq, attempts FROM broadcast_batches WHERE ${ownBroadcast(accountId, broadcastId)} AND done_at IS NULL ORDER BY seq`);
  return result.rows;
}

export type LockedBatch = FollowerRange & {
  done: boolean;
  attempts: number;
  lastError: string | null;
};

export async function lockBatch(db: Executor, accountId: number, broadcastId: number, seq: number): Promise<LockedBatch | undefined> {
  const result = await db.execute<LockedBatch>(sql`
    SELECT lo, hi, done_at IS NOT NULL AS done, attempts, last_error AS "lastError"
    FROM broadcast_batches WHERE ${ownBroadcast(accountId, broadcastId)} AND seq = ${seq} FOR UPDATE`);
  return result.rows[0];
}

export type BatchCounts = {
  candidates: number;
  filtered: number;
  sent: number;
};

/** The per-follower monthly limit on mass messages as one batch applies it: the limit and the month it counts in. */
export type FollowerMassCap = {
  limit: number;
  monthStart: Date;
};

/**
 * The limit on mass messages per follower and calendar month for the account's type (quota_policies), or null
 * when its type has none.
 */
export async function findFollowerMassLimit(db: Executor, accountId: number): Promise<number | null> {
  const result = await db.execute<{ limit: number | null }>(sql`
    SELECT p.per_follower_monthly_mass_limit AS "limit" FROM accounts a JOIN quota_policies p ON p.account_type = a.type
    WHERE a.id = ${accountId}`);
  return result.rows[0]?.limit ?? null;
}

/**
 * Deletes up to `limit` per-follower counters of months that started before `before`: no batch reads them again.
 * Each account's old months are a range of its primary key, so the sweep never reads the current month's rows.
 */
export async function deletePastMassCounters(db: Executor, before: Date, limit: number): Promise<number> {
  return deleteOldRowsByAccount(db, 'follower_mass_counters', 'month_start', before, limit);
}

/**
 * Delivers one range, set-based: eligible followers (subscribed, not blacklisted, now) get a delivery row; the
 * primary key with ON CONFLICT DO NOTHING makes a second run of the same range deliver nothing. With a cap, only
 * the followers who get a unit of it are delivered to, and the others count as filtered.
 */
export async function deliverRange(db: Executor, broadcast: FanoutTarget, range: FollowerRange, at: Date, cap?: FollowerMassCap): Promise<BatchCounts> {
  if (cap) return deliverRangeCapped(db, broadcast, range, at, cap);
  const result = await db.execute<BatchCounts>(sql`
    WITH candidates AS (
      SELECT f.id, (f.subscribed AND NOT f.blacklisted) AS eligible ${audience(broadcast, range)}
    ), delivered AS (
      INSERT INTO deliveries (follower_id, broadcast_id, delivered_at)
      SELECT id, ${broadcast.id}, ${at.toISOString()} FROM candidates WHERE eligible
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT count(*)::int AS candidates, (count(*) FILTER (WHERE NOT eligible))::int AS filtered,
           (SELECT count(*) FROM delivered)::int AS sent
    FROM candidates`);
  return result.rows[0]!;
}

/**
 * deliverRange under a per-follower monthly cap, still one statement. Each eligible follower not yet delivered to
 * takes a unit of its month's counter (INSERT … ON CONFLICT DO UPDATE … WHERE received < limit); only those whose
 * counter row comes back get a delivery. Racing broadcasts of the account queue on the counter rows, each re-checking
 * the limit against the committed count, so none passes it; rows are taken in follower order, so two batches that
 * share followers wait on each other and never deadlock. The counter is taken before the delivery is written, so it
 * must skip followers this broadcast already reached, or a second run would charge them again: the NOT EXISTS does.
 * It reads the statement's snapshot, which is exact because the caller holds the batch's row lock (lockBatch), so
 * no other run of this range is in progress. The range bounds on the probe keep a hash anti-join from reading every
 * delivery the broadcast made so far: each batch reads only its own slice of the key.
 */
async function deliverRangeCapped(db: Executor, broadcast: FanoutTarget, range: FollowerRange, at: Date, cap: FollowerMassCap): Promise<BatchCounts> {
  const result = await db.execute<BatchCounts>(sql`
    WITH candidates AS (
      SELECT f.id, (f.subscribed AND NOT f.blacklisted) AS eligible ${audience(broadcast, range)}
    ), due AS (
      SELECT c.id FROM candidates c
      WHERE c.eligible AND NOT EXISTS (
        SELECT 1 FROM deliveries d
        WHERE d.broadcast_id = ${broadcast.id} AND d.follower_id = c.id AND d.follower_id > ${range.lo} AND d.follower_id <= ${range.hi})
    ), granted AS (
      INSERT INTO follower_mass_counters AS m (account_id, month_start, follower_id, received)
      SELECT ${broadcast.accountId}, ${cap.monthStart.toISOString()}, id, 1 FROM due WHERE ${cap.limit}::int > 0 ORDER BY id
      ON CONFLICT (account_id, month_start, follower_id) DO UPDATE SET received = m.received + 1
      WHERE m.received < ${cap.limit}::int
      RETURNING m.follower_id
    ), delivered AS (
      INSERT INTO deliveries (follower_id, broadcast_id, delivered_at)
      SELECT follower_id, ${broadcast.id}, ${at.toISOString()} FROM granted
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT count(*)::int AS candidates,
           ((count(*) FILTER (WHERE NOT eligible)) + (SELECT count(*) FROM due) - (SELECT count(*) FROM granted))::int AS filtered,
           (SELECT count(*) FROM delivered)::int AS sent
    FROM candidates`);
  return result.rows[0]!;
}

/** Followers of a range who would have received the broadcast; a batch that cannot be delivered counts them as errors. */
export async function countEligibleInRange(db: Executor, broadcast: FanoutTarget, range: FollowerRange): Promise<number> {
  const result = await db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n ${audience(broadcast, range)} AND f.subscribed AND NOT f.blacklisted`);
  return result.rows[0]!.n;
}

/** Records a finished batch and adds its counts to the broadcast; returns the broadcast's progress after it. */
export async function completeBatch(
  db: Executor,
  accountId: number,
  broadcastId: number,
  seq: number,
  counts: BatchCounts & { errors: number },
  at: Date,
): Promise<{ batchesDone: number; batchesTotal: number }> {
  await db.execute(sql`
    UPDATE broadcast_batches SET candidates = ${counts.candidates}, filtered = ${counts.filtered}, sent = ${counts.sent},
                                 errors = ${counts.errors}, done_at = ${at.toISOString()}
    WHERE ${ownBroadcast(accountId, broadcastId)} AND seq = ${seq}`);
  const result = await db.execute<{ batchesDone: number; batchesTotal: number }>(sql`
    UPDATE broadcasts SET batches_done = batches_done + 1, total_count = total_count + ${counts.candidates},
                          filtered_count = filtered_count + ${counts.filtered}, sent_count = sent_count + ${counts.sent},
                          error_count = error_count + ${counts.errors}
    WHERE id = ${broadcastId} AND account_id = ${accountId}
    RETURNING batches_done AS "batchesDone", batches_total AS "batchesTotal"`);
  return result.rows[0]!;
}

/**
 * Counts a failed attempt of a pending batch, if `attempt` is still the current one: the job of that attempt and
 * anything that noticed its failure (the processor, the 'failed' listener, the sweep) may all report it, and only
 * the first report counts. Returns the attempts after it, or undefined when the report was stale.
 */
export async function recordBatchFailure(
  db: Executor,
  accountId: number,
  broadcastId: number,
  seq: number,
  input: { attempt: number; error: string },
): Promise<number | undefined> {
  const result = await db.execute<{ attempts: number }>(sql`
    UPDATE broadcast_batches SET attempts = attempts + 1, last_error = ${input.error}
    WHERE ${ownBroadcast(accountId, broadcastId)} AND seq = ${seq} AND attempts = ${input.attempt} AND done_at IS NULL
    RETURNING attempts`);
  return result.rows[0]?.attempts;
}

/** The planning counterpart of recordBatchFailure, on a broadcast still queued. */
export async function recordPlanFailure(db: Executor, accountId: number, broadcastId: number, input: { attempt: number; error: string }): Promise<number | undefined> {
  const result = await db.execute<{ attempts: number }>(sql`
    UPDATE broadcasts SET plan_attempts = plan_attempts + 1, fail_reason = ${input.error}
    WHERE id = ${broadcastId} AND account_id = ${accountId} AND status = 'queued' AND plan_attempts = ${input.attempt}
    RETURNING plan_attempts AS attempts`);
  return result.rows[0]?.attempts;
}

export interface FinishedBroadcast {
  id: number;
  accountId: number;
  /** 64-bit, so read as text. */
  msgId: string;
  status: 'SEND_SUCCESS' | 'SEND_FAIL';
  failReason: string | null;
  totalCount: number;
  filteredCount: number;
  sentCount: number;
  errorCount: number;
  quotaLedgerId: number | null;
  finishedAt: Date;
}

/**
 * Moves a broadcast to its final status: SEND_SUCCESS when anyone received it, SEND_FAIL otherwise, with
 * DELIVERY_ERRORS when a batch was given up on and `failReason` when nobody was eligible. Only the first caller
 * changes anything and gets the final row back.
 */
export async function finishBroadcast(
  db: Executor,
  accountId: number,
  broadcastId: number,
  input: { failReason: string; at: Date },
): Promise<FinishedBroadcast | undefined> {
  const result = await db.execute<Omit<FinishedBroadcast, 'finishedAt'>>(sql`
    UPDATE broadcasts
    SET status = CASE WHEN sent_count > 0 THEN 'SEND_SUCCESS' ELSE 'SEND_FAIL' END::broadcast_status,
        fail_reason = CASE WHEN sent_count > 0 THEN NULL
                           WHEN EXISTS (SELECT 1 FROM broadcast_batches bb WHERE bb.broadcast_id = broadcasts.id AND bb.errors > 0)
                             THEN 'DELIVERY_ERRORS'
                           ELSE ${input.failReason} END,
        finished_at = ${input.at.toISOString()}
    WHERE id = ${broadcastId} AND account_id = ${accountId} AND status IN ('queued', 'SENDING')
    RETURNING id, account_id AS "accountId", msg_id::text AS "msgId", status, fail_reason AS "failReason", total_count AS "totalCount",
              filtered_count AS "filteredCount", sent_count AS "sentCount", error_count AS "errorCount",
              quota_ledger_id AS "quotaLedgerId"`);
  const row = result.rows[0];
  return row && { ...row, finishedAt: input.at };
}

export type UnfinishedBroadcast = {
  id: number;
  accountId: number;
  status: Extract<BroadcastStatus, 'queued' | 'SENDING'>;
  planAttempts: number;
};

/**
 * Broadcasts not yet final, whatever their age, in id order after `afterId`. Reads only the partial index
 * broadcasts_unfinished_idx, so its cost follows the unfinished broadcasts, not the history.
 */
export async function listUnfinishedBroadcasts(db: Executor, options: { afterId: number; limit: number }): Promise<UnfinishedBroadcast[]> {
  const result = await db.execute<UnfinishedBroadcast>(unfinishedBroadcastsQuery(options));
  return result.rows;
}

/** The sweep's query, on its own so a test can EXPLAIN it. */
export function unfinishedBroadcastsQuery(options: { afterId: number; limit: number }): SQL {
  return sql`
    SELECT id, account_id AS "accountId", status, plan_attempts AS "planAttempts" FROM broadcasts
    WHERE status IN ('queued', 'SENDING') AND NOT is_preview AND id > ${options.afterId}
    ORDER BY id LIMIT ${options.limit}`;
}
