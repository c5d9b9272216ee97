import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import type { GroupStatementRunner } from '../../db/group-commit.js';
import { deleteOldRowsByAccount } from '../../db/sweeps.js';
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

export type PushTarget = {
  accountId: number;
  appid: string;
  originalId: string;
  url: string;
  token: string;
  encodingAesKey: string;
  mode: WebhookMode;
};

const CLAIM_PUSHES = `
  WITH in_flight AS (
    SELECT * FROM unnest($5::bigint[], $6::int[]) AS f(account_id, pushes)
  ), candidates AS (
    -- The oldest due pushes, walked in the due index's order and cut at $2 before anything is probed per row: the
    -- lane check below costs an index probe each, and there may be a due push for every follower.
    SELECT c.id, c.account_id, c.lane, c.next_attempt_at FROM webhook_pushes c
    WHERE c.status = 'pending' AND c.next_attempt_at IS NOT NULL AND c.next_attempt_at <= now()
      AND (c.claimed_until IS NULL OR c.claimed_until < now())
      AND NOT EXISTS (SELECT 1 FROM in_flight f WHERE f.account_id = c.account_id AND f.pushes >= $4)
    ORDER BY c.next_attempt_at, c.id
    LIMIT $2
  ), heads AS (
    -- A due push is its lane's head by construction; two transactions writing the first pushes of one lane at once
    -- can both make theirs due, so the later one waits here until the earlier is finished.
    SELECT c.id, c.account_id, c.next_attempt_at FROM candidates c
    WHERE NOT EXISTS (
      SELECT 1 FROM webhook_pushes e
      WHERE e.account_id = c.account_id AND e.lane = c.lane AND e.status = 'pending' AND e.id < c.id)
  ), within_share AS (
    SELECT r.id, r.next_attempt_at FROM (
      SELECT c.id, c.next_attempt_at,
             row_number() OVER (PARTITION BY c.account_id ORDER BY c.next_attempt_at, c.id) + coalesce(f.pushes, 0) AS slot
      FROM heads c LEFT JOIN in_flight f ON f.account_id = c.account_id) r
    WHERE r.slot <= $4
  ), chosen AS (
    SELECT p.id FROM webhook_pushes p JOIN within_share w ON w.id = p.id
    WHERE p.status = 'pending' AND (p.claimed_until IS NULL OR p.claimed_until < now())
    ORDER BY w.next_attempt_at, p.id
    LIMIT $1
    FOR UPDATE OF p SKIP LOCKED
  ), claimed AS (
    UPDATE webhook_pushes p SET claimed_until = now() + $3 * interval '1 millisecond'
    FROM chosen WHERE p.id = chosen.id
    RETURNING p.id, p.account_id, p.lane, p.openid, p.kind, p.msg_id, p.create_time, p.content, p.attempts
  )
  SELECT k.id, k.account_id AS "accountId", k.lane, k.openid, k.kind, k.msg_id AS "msgId", k.create_time AS "createTime",
         k.content, k.attempts, c.url, c.token, c.encoding_aes_key AS "encodingAesKey", c.mode, a.appid, a.original_id AS "originalId"
  FROM claimed k LEFT JOIN webhook_configs c ON c.account_id = k.account_id LEFT JOIN accounts a ON a.id = k.account_id
  ORDER BY k.id`;

/**
 * Claims up to `limit` pushes that may go now, each the oldest pending push of its lane, for `leaseMs`, with the
 * server each goes to (null when its account no longer has one): one statement. Another relay takes a push over
 * only once its lease has passed (its relay died mid-push), so a push is normally sent by one relay at a time and,
 * after a crash, again with the same MsgId and CreateTime. No account gets more than `perAccount` pushes in flight,
 * counting the ones `inFlight` says this relay already has, so one slow receiver cannot take every slot; the first
 * `scanLimit` due pushes are considered, so an account at its share does not hide the ones behind it for long.
 */
export async function claimDuePushes(
  pool: GroupStatementRunner,
  input: { limit: number; scanLimit: number; leaseMs: number; perAccount: number; inFlight: ReadonlyMap<number, number> },
): Promise<Array<{ push: ClaimedPush; target: PushTarget | null }>> {
  const result = await pool.query<ClaimedPush & Partial<Omit<PushTarget, 'accountId'>>>({
    name: 'webhook_claim_pushes',
    text: CLAIM_PUSHES,
    values: [input.limit, input.scanLimit, input.leaseMs, input.perAccount, [...input.inFlight.keys()], [...input.inFlight.values()]],
  });
  return result.rows.map(({ url, token, encodingAesKey, mode, appid, originalId, ...push }) => ({
    push,
    target: url ? { accountId: push.accountId, url, token: token!, encodingAesKey: encodingAesKey!, mode: mode!, appid: appid!, originalId: originalId! } : null,
  }));
}

export interface AttemptRecord {
  attemptedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseFirstBytes: string | null;
  succeeded: boolean;
}

/** An attempt to record: what happened, where the push goes next, and the passive reply to keep, if any. */
export interface AttemptWrite {
  push: { id: number; accountId: number };
  attempt: AttemptRecord;
  outcome: { status: 'delivered' | 'failed' } | { status: 'pending'; retryDelayMs: number };
  reply?: { inReplyToMsgId: string | null; message: Record<string, unknown>; at: Date };
}

const RECORD_ATTEMPTS = `
  WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::timestamptz[], $6::int[], $7::int[], $8::text[],
                         $9::text[], $10::boolean[], $11::text[], $12::text[], $13::timestamptz[])
      AS i(id, account_id, status, retry_delay_ms, attempted_at, status_code, latency_ms, error, response_first_bytes, succeeded,
           reply, in_reply_to_msg_id, replied_at)
  ), moved AS (
    UPDATE webhook_pushes p
    SET status = i.status::webhook_push_status, attempts = p.attempts + 1, claimed_until = NULL, last_error = i.error,
        -- On PostgreSQL's clock, as the claim that compares it.
        next_attempt_at = CASE WHEN i.status = 'pending' THEN now() + i.retry_delay_ms * interval '1 millisecond' END,
        finished_at = CASE WHEN i.status <> 'pending' THEN i.attempted_at END
    FROM input i
    WHERE p.id = i.id AND p.account_id = i.account_id AND p.status = 'pending'
    RETURNING p.id, p.account_id, p.lane, p.openid, i.status
  ), attempt AS (
    INSERT INTO webhook_attempts (push_id, account_id, attempted_at, status_code, latency_ms, error, response_first_bytes, succeeded)
    SELECT i.id, i.account_id, i.attempted_at, i.status_code, i.latency_ms, i.error, i.response_first_bytes, i.succeeded
    FROM input i JOIN moved m ON m.id = i.id
  ), reply AS (
    INSERT INTO webhook_replies (account_id, openid, push_id, in_reply_to_msg_id, message, created_at)
    SELECT m.account_id, m.openid, m.id, i.in_reply_to_msg_id, i.reply::jsonb, i.replied_at
    FROM input i JOIN moved m ON m.id = i.id
    WHERE i.reply IS NOT NULL AND m.openid IS NOT NULL
    ON CONFLICT (push_id) DO NOTHING
  ), next_in_lane AS (
    -- A finished push lets its lane's next one go. Only a lane's head is ever claimed, so no two rows here share a lane.
    UPDATE webhook_pushes n SET next_attempt_at = now()
    FROM (
      SELECT (SELECT q.id FROM webhook_pushes q
              WHERE q.account_id = m.account_id AND q.lane = m.lane AND q.status = 'pending' AND q.id > m.id
              ORDER BY q.id LIMIT 1) AS id
      FROM moved m WHERE m.status <> 'pending') following
    WHERE n.id = following.id AND n.next_attempt_at IS NULL
  )
  SELECT i.id, m.id IS NOT NULL AS moved FROM input i LEFT JOIN moved m ON m.id = i.id`;

/**
 * What a receiver sent is stored as text, and PostgreSQL's text and jsonb cannot hold U+0000: a server answering
 * `success\0` must cost a log row with U+FFFD in it, not a rejected record (and a push retried forever).
 */
const storable = (text: string | null) => (text === null ? null : text.replaceAll('\u0000', '\uFFFD'));
const storableJson = (value: unknown) => JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' ? storable(item) : item));

/**
 * Records attempts and moves their pushes on, all in one statement (the relay group-commits them): delivered or
 * given up (then the lane's next push may go), or back to pending with its next attempt `retryDelayMs` from now;
 * a passive reply is stored with its push. Only a push still pending is changed; its result is false when it was
 * not (another relay finished it after this one's lease ran out), and then nothing of it is written.
 */
export async function recordAttempts(pool: GroupStatementRunner, writes: AttemptWrite[]): Promise<boolean[]> {
  const result = await pool.query<{ id: number; moved: boolean }>({
    name: 'webhook_record_attempts',
    text: RECORD_ATTEMPTS,
    values: [
      writes.map((w) => w.push.id),
      writes.map((w) => w.push.accountId),
      writes.map((w) => w.outcome.status),
      writes.map((w) => (w.outcome.status === 'pending' ? w.outcome.retryDelayMs : 0)),
      writes.map((w) => w.attempt.attemptedAt.toISOString()),
      writes.map((w) => w.attempt.statusCode),
      writes.map((w) => w.attempt.latencyMs),
      writes.map((w) => storable(w.attempt.error)),
      writes.map((w) => storable(w.attempt.responseFirstBytes)),
      writes.map((w) => w.attempt.succeeded),
      writes.map((w) => (w.reply ? storableJson(w.reply.message) : null)),
      writes.map((w) => w.reply?.inReplyToMsgId ?? null),
      writes.map((w) => w.reply?.at.toISOString() ?? null),
    ],
  });
  const moved = new Map(result.rows.map((row) => [row.id, row.moved]));
  return writes.map((w) => moved.get(w.push.id) ?? false);
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

/**
 * Deletes delivery-log rows older than `before` in small batches (each its own short statement, so no long lock is
 * held and replication keeps up): attempts first, then finished pushes with their replies kept (the inbox needs
 * them). Returns how many pushes were removed.
 */
export async function trimDeliveryLog(db: Executor, before: Date, batchSize = 5_000): Promise<number> {
  let removed = 0;
  for (;;) {
    // Attempts are found account by account (webhook_attempts_account_time_idx); pushes by webhook_pushes_finished_idx,
    // each deleted by its key (= ANY: as IN, the planner may join the ids to the whole table instead).
    const attempts = await deleteOldRowsByAccount(db, 'webhook_attempts', 'attempted_at', before, batchSize);
    const pushes = await db.execute(sql`
      DELETE FROM webhook_pushes WHERE id = ANY(ARRAY(
        SELECT id FROM webhook_pushes WHERE finished_at < ${before.toISOString()} ORDER BY finished_at LIMIT ${batchSize}))`);
    removed += pushes.rowCount ?? 0;
    if (attempts < batchSize && (pushes.rowCount ?? 0) < batchSize) return removed;
  }
}
