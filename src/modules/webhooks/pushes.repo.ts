import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import type { WebhookMode } from './webhooks.repo.js';

/**
 * The webhook outbox (webhook_pushes, filled by triggers in the transaction of each message or event: migration
 * 0008), its attempts and the passive replies. Ids and MsgIds: pushes' ids stay below 2^53; MsgIds are text.
 */

export type PushStatus = 'pending' | 'delivered' | 'failed';

export type ClaimedPush = {
  id: number;
  accountId: number;
  lane: string;
  openid: string | null;
  kind: string;
  msgId: string | null;
  createTime: number;
  content: Record<string, unknown>;
  attempts: number;
};

/**
 * Claims up to `limit` pushes that may go now, each the oldest pending push of its lane, for `leaseMs`: another
 * relay takes a push over only once its lease has passed (its relay died mid-push), so a push is normally sent by
 * one relay at a time and, after a crash, again with the same MsgId and CreateTime. Accounts in `busyAccountIds`
 * (as many pushes in flight as they may have) are skipped, so one slow receiver cannot take every slot.
 */
export async function claimDuePushes(db: Executor, input: { limit: number; leaseMs: number; busyAccountIds: number[] }): Promise<ClaimedPush[]> {
  const result = await db.execute<ClaimedPush>(sql`
    UPDATE webhook_pushes p SET claimed_until = now() + ${input.leaseMs} * interval '1 millisecond'
    WHERE p.id IN (
      SELECT c.id FROM webhook_pushes c
      WHERE c.status = 'pending' AND c.next_attempt_at IS NOT NULL AND c.next_attempt_at <= now()
        AND (c.claimed_until IS NULL OR c.claimed_until < now())
        AND c.account_id <> ALL(${sql.param(input.busyAccountIds)}::bigint[])
        AND NOT EXISTS (
          SELECT 1 FROM webhook_pushes e
          WHERE e.account_id = c.account_id AND e.lane = c.lane AND e.status = 'pending' AND e.id < c.id)
      ORDER BY c.next_attempt_at, c.id
      LIMIT ${input.limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING p.id, p.account_id AS "accountId", p.lane, p.openid, p.kind, p.msg_id AS "msgId", p.create_time AS "createTime",
              p.content, p.attempts`);
  return result.rows;
}

export type PushTarget = {
  accountId: number;
  appid: string;
  originalId: string;
  url: string;
  token: string;
  encodingAesKey: string;
  mode: WebhookMode;
};

export async function findPushTargets(db: Executor, accountIds: number[]): Promise<Map<number, PushTarget>> {
  if (accountIds.length === 0) return new Map();
  const result = await db.execute<PushTarget>(sql`
    SELECT c.account_id AS "accountId", a.appid, a.original_id AS "originalId", c.url, c.token,
           c.encoding_aes_key AS "encodingAesKey", c.mode
    FROM webhook_configs c JOIN accounts a ON a.id = c.account_id
    WHERE c.account_id = ANY(${sql.param(accountIds)}::bigint[])`);
  return new Map(result.rows.map((row) => [row.accountId, row]));
}

export interface AttemptRecord {
  attemptedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseFirstBytes: string | null;
  succeeded: boolean;
}

/**
 * Records an attempt and moves the push on, in one statement: delivered or given up (then the lane's next push may
 * go), or back to pending with its next attempt `retryDelayMs` from now. Only a push still pending is changed; returns false
 * when it was not (another relay finished it after this one's lease ran out).
 */
export async function recordAttempt(
  db: Executor,
  push: { id: number; accountId: number },
  attempt: AttemptRecord,
  outcome: { status: 'delivered' | 'failed' } | { status: 'pending'; retryDelayMs: number },
): Promise<boolean> {
  const finished = outcome.status !== 'pending';
  const result = await db.execute<{ lane: string }>(sql`
    WITH moved AS (
      UPDATE webhook_pushes
      SET status = ${outcome.status}::webhook_push_status, attempts = attempts + 1, claimed_until = NULL,
          last_error = ${attempt.error},
          -- On PostgreSQL's clock, as the claim that compares it.
          next_attempt_at = CASE WHEN ${outcome.status === 'pending'} THEN now() + ${outcome.status === 'pending' ? outcome.retryDelayMs : 0} * interval '1 millisecond' END,
          finished_at = ${finished ? attempt.attemptedAt.toISOString() : null}::timestamptz
      WHERE id = ${push.id} AND account_id = ${push.accountId} AND status = 'pending'
      RETURNING id, account_id, lane
    ), attempt AS (
      INSERT INTO webhook_attempts (push_id, account_id, attempted_at, status_code, latency_ms, error, response_first_bytes, succeeded)
      SELECT id, account_id, ${attempt.attemptedAt.toISOString()}, ${attempt.statusCode}, ${attempt.latencyMs}, ${attempt.error},
             ${attempt.responseFirstBytes}, ${attempt.succeeded}
      FROM moved
    ), next_in_lane AS (
      UPDATE webhook_pushes n SET next_attempt_at = now()
      WHERE ${finished} AND n.id = (
        SELECT q.id FROM webhook_pushes q, moved m
        WHERE q.account_id = m.account_id AND q.lane = m.lane AND q.status = 'pending' AND q.id > m.id
        ORDER BY q.id LIMIT 1)
        AND n.next_attempt_at IS NULL
    )
    SELECT lane FROM moved`);
  return result.rows.length > 0;
}

/**
 * Lanes whose next push is waiting for a predecessor that is no longer pending: the push and its predecessor's
 * completion committed concurrently, so the completion did not see it. Rare; a periodic sweep releases them.
 */
export async function releaseStrandedPushes(db: Executor, limit = 1000): Promise<number> {
  const result = await db.execute(sql`
    UPDATE webhook_pushes p SET next_attempt_at = now()
    WHERE p.id IN (
      SELECT c.id FROM webhook_pushes c
      WHERE c.status = 'pending' AND c.next_attempt_at IS NULL
        AND NOT EXISTS (
          SELECT 1 FROM webhook_pushes e
          WHERE e.account_id = c.account_id AND e.lane = c.lane AND e.status = 'pending' AND e.id < c.id)
      LIMIT ${limit})`);
  return result.rowCount ?? 0;
}

/** Pushes of an account that no longer has a server: given up, with the reason, so their lanes do not wait forever. */
export async function abandonPushesWithoutServer(db: Executor, pushIds: number[], at: Date): Promise<void> {
  if (pushIds.length === 0) return;
  await db.execute(sql`
    UPDATE webhook_pushes SET status = 'failed', claimed_until = NULL, finished_at = ${at.toISOString()},
           last_error = 'the account has no developer server any more'
    WHERE id = ANY(${sql.param(pushIds)}::bigint[]) AND status = 'pending'`);
}

export async function insertReply(
  db: Executor,
  reply: { accountId: number; openid: string; pushId: number; inReplyToMsgId: string | null; message: Record<string, unknown>; at: Date },
): Promise<void> {
  await db.execute(sql`
    INSERT INTO webhook_replies (account_id, openid, push_id, in_reply_to_msg_id, message, created_at)
    VALUES (${reply.accountId}, ${reply.openid}, ${reply.pushId}, ${reply.inReplyToMsgId}, ${JSON.stringify(reply.message)}::jsonb, ${reply.at.toISOString()})
    ON CONFLICT (push_id) DO NOTHING`);
}


/** Gives a claimed push back untried, for another round (the relay claimed more than an account's share). */
export async function releaseClaims(db: Executor, pushIds: number[]): Promise<void> {
  if (pushIds.length === 0) return;
  await db.execute(sql`UPDATE webhook_pushes SET claimed_until = NULL WHERE id = ANY(${sql.param(pushIds)}::bigint[]) AND status = 'pending'`);
}

/**
 * Deletes delivery-log rows older than `before` in small batches (each its own short statement, so no long lock is
 * held and replication keeps up): attempts first, then finished pushes with their replies kept (the inbox needs
 * them). Returns how many pushes were removed.
 */
export async function trimDeliveryLog(db: Executor, before: Date, batchSize = 5_000): Promise<number> {
  let removed = 0;
  for (;;) {
    const attempts = await db.execute(sql`
      DELETE FROM webhook_attempts WHERE id IN (
        SELECT id FROM webhook_attempts WHERE attempted_at < ${before.toISOString()} ORDER BY attempted_at LIMIT ${batchSize})`);
    const pushes = await db.execute(sql`
      DELETE FROM webhook_pushes WHERE id IN (
        SELECT id FROM webhook_pushes WHERE finished_at < ${before.toISOString()} ORDER BY finished_at LIMIT ${batchSize})`);
    removed += pushes.rowCount ?? 0;
    if ((attempts.rowCount ?? 0) < batchSize && (pushes.rowCount ?? 0) < batchSize) return removed;
  }
}
