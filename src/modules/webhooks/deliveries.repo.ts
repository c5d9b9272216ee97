import { sql } from 'drizzle-orm';
import { parseTimestamp, type Executor } from '../../db/client.js';
import type { PushStatus } from './pushes.repo.js';

/**
 * The delivery log as an account's owner reads it: its pushes newest first with every attempt, replays of a push,
 * and the health of the last hour. Written by the relay (pushes.repo.ts); only replays are written here.
 */

export type DeliveryRow = {
  id: number;
  kind: string;
  openid: string | null;
  /** 64-bit, as text. */
  msgId: string | null;
  createTime: number;
  status: PushStatus;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
};

export type AttemptRow = {
  attemptedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseFirstBytes: string | null;
  succeeded: boolean;
};

type RawDelivery = Omit<DeliveryRow, 'createdAt' | 'finishedAt'> & { createdAt: string | Date; finishedAt: string | Date | null };

const deliveryColumns = sql.raw(`id, kind, openid, msg_id AS "msgId", create_time AS "createTime", status, attempts, last_error AS "lastError",
  created_at AS "createdAt", finished_at AS "finishedAt"`);

function toDeliveryRow(row: RawDelivery): DeliveryRow {
  return { ...row, createdAt: parseTimestamp(row.createdAt), finishedAt: parseTimestamp(row.finishedAt) };
}

/** A page of the account's pushes, newest first: those with an id below `beforeId` (the previous page's last). */
export async function listDeliveries(
  db: Executor,
  accountId: number,
  options: { beforeId: number | null; limit: number; status?: PushStatus; openid?: string },
): Promise<DeliveryRow[]> {
  const result = await db.execute<RawDelivery>(sql`
    SELECT ${deliveryColumns} FROM webhook_pushes
    WHERE account_id = ${accountId}
      ${options.beforeId ? sql`AND id < ${options.beforeId}` : sql``}
      ${options.status ? sql`AND status = ${options.status}::webhook_push_status` : sql``}
      ${options.openid !== undefined ? sql`AND openid = ${options.openid}` : sql``}
    ORDER BY id DESC LIMIT ${options.limit}`);
  return result.rows.map(toDeliveryRow);
}

/** The attempts of the given pushes of the account, each push's oldest first, in one query. */
export async function listAttempts(db: Executor, accountId: number, pushIds: number[]): Promise<Map<number, AttemptRow[]>> {
  const byPush = new Map<number, AttemptRow[]>();
  if (pushIds.length === 0) return byPush;
  const result = await db.execute<Omit<AttemptRow, 'attemptedAt'> & { pushId: number; attemptedAt: string | Date }>(sql`
    SELECT push_id AS "pushId", attempted_at AS "attemptedAt", status_code AS "statusCode", latency_ms AS "latencyMs", error,
           response_first_bytes AS "responseFirstBytes", succeeded
    FROM webhook_attempts
    WHERE account_id = ${accountId} AND push_id = ANY(${sql.param(pushIds)}::bigint[])
    ORDER BY push_id, id`);
  for (const { pushId, attemptedAt, ...attempt } of result.rows) {
    const list = byPush.get(pushId) ?? [];
    list.push({ ...attempt, attemptedAt: parseTimestamp(attemptedAt) });
    byPush.set(pushId, list);
  }
  return byPush;
}

/**
 * Queues a push of the account again as a new push: same lane, openid, kind, MsgId, CreateTime and content, so the
 * receiver can recognise it as the same message. Its source is `replay:<push id>:<id of the replay>`, unique by
 * construction (two replays at once cannot collide). Like the triggers of migration 0008, it waits while an earlier
 * push of its lane is pending, and wakes the relay at commit. Undefined when the account has no such push or no
 * developer server.
 */
export async function insertReplay(db: Executor, accountId: number, pushId: number): Promise<DeliveryRow | undefined> {
  const result = await db.execute<RawDelivery>(sql`
    WITH original AS (
      SELECT p.account_id, p.lane, p.openid, p.kind, p.msg_id, p.create_time, p.content,
             nextval(pg_get_serial_sequence('webhook_pushes', 'id')) AS replay_id
      FROM webhook_pushes p JOIN webhook_configs c ON c.account_id = p.account_id
      WHERE p.id = ${pushId} AND p.account_id = ${accountId}
    ), replay AS (
      INSERT INTO webhook_pushes (id, account_id, lane, openid, kind, source, msg_id, create_time, content, next_attempt_at)
      OVERRIDING SYSTEM VALUE
      SELECT o.replay_id, o.account_id, o.lane, o.openid, o.kind, 'replay:' || ${pushId} || ':' || o.replay_id, o.msg_id, o.create_time, o.content,
             CASE WHEN EXISTS (SELECT 1 FROM webhook_pushes q WHERE q.account_id = o.account_id AND q.lane = o.lane AND q.status = 'pending')
                  THEN NULL ELSE now() END
      FROM original o
      RETURNING ${deliveryColumns}
    )
    SELECT replay.* FROM replay CROSS JOIN LATERAL (SELECT pg_notify('webhook_pushes', '')) AS wake`);
  const [row] = result.rows;
  return row && toDeliveryRow(row);
}

export type DeliveryHealthRow = {
  attempts: number;
  succeeded: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  pending: number;
  lastError: { at: Date; error: string; statusCode: number | null } | null;
};

/**
 * The account's attempts since `since` (counts and latency percentiles), its pending pushes now, and its latest
 * failed attempt whenever it was. One statement; the attempts are read through (account_id, attempted_at).
 */
export async function readDeliveryHealth(db: Executor, accountId: number, since: Date): Promise<DeliveryHealthRow> {
  const result = await db.execute<{
    attempts: number;
    succeeded: number;
    p50: number | null;
    p99: number | null;
    pending: number;
    lastErrorAt: string | Date | null;
    lastError: string | null;
    lastErrorStatusCode: number | null;
  }>(sql`
    SELECT w.attempts, w.succeeded, w.p50, w.p99,
           (SELECT count(*) FROM webhook_pushes WHERE account_id = ${accountId} AND status = 'pending') AS pending,
           f.attempted_at AS "lastErrorAt", f.error AS "lastError", f.status_code AS "lastErrorStatusCode"
    FROM (
      SELECT count(*) AS attempts, count(*) FILTER (WHERE succeeded) AS succeeded,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
      FROM webhook_attempts WHERE account_id = ${accountId} AND attempted_at >= ${since.toISOString()}
    ) w
    LEFT JOIN LATERAL (
      SELECT attempted_at, coalesce(error, 'failed') AS error, status_code FROM webhook_attempts
      WHERE account_id = ${accountId} AND NOT succeeded
      ORDER BY attempted_at DESC, id DESC LIMIT 1
    ) f ON true`);
  const row = result.rows[0]!;
  return {
    attempts: row.attempts,
    succeeded: row.succeeded,
    latencyP50Ms: row.p50 === null ? null : Math.round(row.p50),
    latencyP99Ms: row.p99 === null ? null : Math.round(row.p99),
    pending: row.pending,
    lastError: row.lastErrorAt === null ? null : { at: parseTimestamp(row.lastErrorAt), error: row.lastError!, statusCode: row.lastErrorStatusCode },
  };
}
