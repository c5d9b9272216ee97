import { sql } from 'drizzle-orm';
import pg from 'pg';
import { parseTimestamp, type Executor } from '../../db/client.js';
import type { GroupStatementRunner } from '../../db/group-commit.js';
import type { EngagementAction, MessageType, ReadSource } from '../followers/wechat-constants.js';

/**
 * The only SQL over follow_events, messages and article_engagements. Writes take a list of rows and do them in one
 * statement (the group commit of src/db/group-commit.ts hands them over) and return one result per row, in order: rows
 * travel as one array per column (unnest … WITH ORDINALITY numbers them, so results map back to their requests).
 * The statement text is therefore the same for any number of rows, and each runs as a named prepared statement:
 * PostgreSQL plans it once per connection instead of once per group (planning these CTEs costs more than running
 * them for a handful of rows). Group writes are single autocommitted statements, so they take the pool itself.
 * The rules a write depends on are read in the same statement: the follower row (subscribed, blacklisted) for
 * messages, and for engagements whether the article is live (sent, not deleted) in broadcast_articles.
 *
 * WeChat's 64-bit MsgIds exceed 2^53: they are always selected as text (`msg_id::text`) and stay strings.
 */

/** Where group writes run (see GroupStatementRunner). */
export type EventWriter = GroupStatementRunner;

async function runPrepared<Row extends pg.QueryResultRow>(writer: EventWriter, name: string, text: string, values: unknown[]): Promise<Row[]> {
  const result = await writer.query<Row>({ name, text, values });
  return result.rows;
}

export interface FollowWrite {
  accountId: number;
  ownerId: number;
  wechatUserId: number;
  /** Used only if the user never followed this account: an existing follower keeps the openid it has. */
  candidateOpenid: string;
  /** Used only if the user has no unionid for this owner yet. */
  candidateUnionid: string;
  scene: string;
  qrScene: number | null;
  qrSceneStr: string | null;
  /** The ticket of the QR code scanned to follow, pushed as <Ticket>; absent or null for any other follow. */
  qrTicket?: string | null;
  at: Date;
}

export interface UnfollowWrite {
  accountId: number;
  wechatUserId: number;
  at: Date;
}

export interface MessageWrite {
  accountId: number;
  wechatUserId: number;
  msgType: MessageType;
  /** The type's fields under WeChat's push XML names. */
  body: Record<string, unknown>;
  at: Date;
}

export type MessageOutcome =
  | { status: 'stored'; msgId: string; followerId: number; openid: string }
  | { status: 'not_following' }
  | { status: 'blacklisted' };

export interface EngagementWrite {
  accountId: number;
  wechatUserId: number;
  msgDataId: number;
  articleIndex: number;
  action: EngagementAction;
  source: ReadSource;
  shareScene: string | null;
  at: Date;
}

export type EngagementOutcome =
  | { status: 'stored'; id: number; wasFollower: boolean; followerId: number | null; openid: string | null }
  | { status: 'article_not_found' };

/**
 * Follows, or re-follows: the follower row is created or flipped to subscribed, a subscribe event appended, and the
 * user's unionid for the owner created if missing. Only a real state change returns a row: a user who already
 * follows (or appears twice in the list) gets undefined, and appends nothing. Rows are upserted in key order, so
 * concurrent groups lock followers in the same order.
 */
const SUBSCRIBE = `
  WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::timestamptz[], $10::text[])
      WITH ORDINALITY AS i(account_id, owner_id, wechat_user_id, openid, unionid, scene, qr_scene, qr_scene_str, at, qr_ticket, ord)
  ), first AS (
    SELECT DISTINCT ON (account_id, wechat_user_id) * FROM input ORDER BY account_id, wechat_user_id, ord
  ), upserted AS (
    INSERT INTO followers AS f (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at,
                                subscribe_scene, qr_scene, qr_scene_str)
    SELECT account_id, wechat_user_id, openid, true, at, at, scene, qr_scene, qr_scene_str
    FROM first ORDER BY account_id, wechat_user_id
    ON CONFLICT (account_id, wechat_user_id) DO UPDATE
      SET subscribed = true, subscribed_at = EXCLUDED.subscribed_at, unsubscribed_at = NULL,
          subscribe_scene = EXCLUDED.subscribe_scene, qr_scene = EXCLUDED.qr_scene, qr_scene_str = EXCLUDED.qr_scene_str
      WHERE NOT f.subscribed
    RETURNING f.id, f.account_id, f.wechat_user_id, f.openid
  ), event AS (
    INSERT INTO follow_events (account_id, follower_id, wechat_user_id, kind, scene, qr_scene, qr_scene_str, qr_ticket, occurred_at)
    SELECT u.account_id, u.id, u.wechat_user_id, 'subscribe', fi.scene, fi.qr_scene, fi.qr_scene_str, fi.qr_ticket, fi.at
    FROM upserted u JOIN first fi USING (account_id, wechat_user_id)
    ORDER BY fi.ord
  ), union_id AS (
    INSERT INTO union_ids (owner_id, wechat_user_id, unionid)
    SELECT DISTINCT ON (owner_id, wechat_user_id) owner_id, wechat_user_id, unionid FROM input ORDER BY owner_id, wechat_user_id, ord
    ON CONFLICT DO NOTHING
  )
  SELECT fi.ord::int AS ord, u.id, u.openid FROM first fi JOIN upserted u USING (account_id, wechat_user_id)`;

export async function subscribeMany(db: EventWriter, rows: FollowWrite[]): Promise<Array<{ followerId: number; openid: string } | undefined>> {
  const found = await runPrepared<{ ord: number; id: number; openid: string }>(db, 'events_subscribe', SUBSCRIBE, [
    rows.map((r) => r.accountId),
    rows.map((r) => r.ownerId),
    rows.map((r) => r.wechatUserId),
    rows.map((r) => r.candidateOpenid),
    rows.map((r) => r.candidateUnionid),
    rows.map((r) => r.scene),
    rows.map((r) => r.qrScene),
    rows.map((r) => r.qrSceneStr),
    rows.map((r) => r.at.toISOString()),
    rows.map((r) => r.qrTicket ?? null),
  ]);
  const byOrd = new Map(found.map((row) => [row.ord, { followerId: row.id, openid: row.openid }]));
  return rows.map((_, i) => byOrd.get(i + 1));
}

/**
 * Unfollows and appends the unsubscribe event, which records the scene (and QR scene) the follower came from, so
 * cancellations can be counted by source. undefined for a user who was not following (or appears twice).
 */
const UNSUBSCRIBE = `
  WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[]) WITH ORDINALITY AS i(account_id, wechat_user_id, at, ord)
  ), first AS (
    SELECT DISTINCT ON (account_id, wechat_user_id) * FROM input ORDER BY account_id, wechat_user_id, ord
  ), updated AS (
    UPDATE followers f SET subscribed = false, unsubscribed_at = first.at
    FROM first
    WHERE f.account_id = first.account_id AND f.wechat_user_id = first.wechat_user_id AND f.subscribed
    RETURNING f.id, f.account_id, f.wechat_user_id, f.openid, f.subscribe_scene, f.qr_scene, f.qr_scene_str, first.at, first.ord
  ), event AS (
    INSERT INTO follow_events (account_id, follower_id, wechat_user_id, kind, scene, qr_scene, qr_scene_str, occurred_at)
    SELECT account_id, id, wechat_user_id, 'unsubscribe', subscribe_scene, qr_scene, qr_scene_str, at
    FROM updated ORDER BY ord
  )
  SELECT ord::int AS ord, id, openid FROM updated`;

export async function unsubscribeMany(db: EventWriter, rows: UnfollowWrite[]): Promise<Array<{ followerId: number; openid: string } | undefined>> {
  const found = await runPrepared<{ ord: number; id: number; openid: string }>(db, 'events_unsubscribe', UNSUBSCRIBE, [
    rows.map((r) => r.accountId),
    rows.map((r) => r.wechatUserId),
    rows.map((r) => r.at.toISOString()),
  ]);
  const byOrd = new Map(found.map((row) => [row.ord, { followerId: row.id, openid: row.openid }]));
  return rows.map((_, i) => byOrd.get(i + 1));
}

/**
 * A QR-code scan by a user who already follows the account (WeChat's SCAN event); nothing when they do not follow
 * (any more), since a scan then is a follow. Returns whether it was recorded.
 */
export async function insertScan(
  db: Executor,
  scan: { accountId: number; wechatUserId: number; qrScene: number | null; qrSceneStr: string | null; qrTicket: string | null; at: Date },
): Promise<boolean> {
  const result = await db.execute(sql`
    INSERT INTO scan_events (account_id, follower_id, wechat_user_id, qr_scene, qr_scene_str, qr_ticket, occurred_at)
    SELECT f.account_id, f.id, f.wechat_user_id, ${scan.qrScene}, ${scan.qrSceneStr}, ${scan.qrTicket}, ${scan.at.toISOString()}
    FROM followers f WHERE f.account_id = ${scan.accountId} AND f.wechat_user_id = ${scan.wechatUserId} AND f.subscribed`);
  return (result.rowCount ?? 0) > 0;
}

/**
 * Stores each message if, and only if, its sender follows the account and is not blacklisted. MsgIds come from a
 * sequence, drawn in list order (a later row gets a larger MsgId), and are returned as text.
 */
const INSERT_MESSAGES = `
  WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::jsonb[], $5::timestamptz[])
      WITH ORDINALITY AS i(account_id, wechat_user_id, msg_type, body, at, ord)
  ), sender AS (
    SELECT i.*, f.id AS follower_id, f.openid, f.blacklisted
    FROM input i LEFT JOIN followers f ON f.account_id = i.account_id AND f.wechat_user_id = i.wechat_user_id AND f.subscribed
  ), numbered AS (
    -- The sorted subquery is not flattened, so nextval() runs in list order.
    SELECT s.ord, nextval('message_msg_id_seq') AS msg_id
    FROM (SELECT ord FROM sender WHERE follower_id IS NOT NULL AND NOT blacklisted ORDER BY ord) s
  ), stored AS (
    INSERT INTO messages (msg_id, account_id, follower_id, wechat_user_id, msg_type, body, occurred_at)
    SELECT n.msg_id, s.account_id, s.follower_id, s.wechat_user_id, s.msg_type, s.body, s.at
    FROM numbered n JOIN sender s USING (ord)
    ORDER BY n.msg_id
  )
  SELECT s.ord::int AS ord, s.follower_id, s.openid, s.blacklisted, n.msg_id::text AS msg_id
  FROM sender s LEFT JOIN numbered n USING (ord)
  ORDER BY s.ord`;

export async function insertMessages(db: EventWriter, rows: MessageWrite[]): Promise<MessageOutcome[]> {
  const found = await runPrepared<{ follower_id: number | null; openid: string | null; blacklisted: boolean | null; msg_id: string | null }>(
    db,
    'events_insert_messages',
    INSERT_MESSAGES,
    [rows.map((r) => r.accountId), rows.map((r) => r.wechatUserId), rows.map((r) => r.msgType), rows.map((r) => JSON.stringify(r.body)), rows.map((r) => r.at.toISOString())],
  );
  return found.map((row): MessageOutcome => {
    if (row.follower_id === null) return { status: 'not_following' };
    if (row.blacklisted) return { status: 'blacklisted' };
    return { status: 'stored', msgId: row.msg_id!, followerId: row.follower_id, openid: row.openid! };
  });
}

/**
 * Appends engagements with articles the account sent and has not deleted; whether each reader follows the account,
 * and whether the article is live, are read in the same statement (so a deletion cannot slip in between the check
 * and the write). Ids are drawn in list order before the insert, so each row's id maps back to its request.
 */
const INSERT_ENGAGEMENTS = `
  WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::smallint[], $4::bigint[], $5::engagement_action[], $6::text[], $7::text[], $8::timestamptz[])
      WITH ORDINALITY AS i(account_id, msg_data_id, article_index, wechat_user_id, action, source, share_scene, at, ord)
  ), reader AS (
    SELECT i.*, f.id AS follower_id, f.openid, coalesce(f.subscribed, false) AS was_follower,
           EXISTS (SELECT 1 FROM broadcast_articles a JOIN broadcasts b ON b.id = a.broadcast_id
                   WHERE a.msg_data_id = i.msg_data_id AND a.idx = i.article_index AND a.account_id = i.account_id
                     AND a.deleted_at IS NULL AND b.deleted_at IS NULL AND b.status = 'SEND_SUCCESS') AS article_live
    FROM input i LEFT JOIN followers f ON f.account_id = i.account_id AND f.wechat_user_id = i.wechat_user_id
  ), numbered AS (
    SELECT r.ord, nextval(pg_get_serial_sequence('article_engagements', 'id')) AS id
    FROM (SELECT ord FROM reader WHERE article_live ORDER BY ord) r
  ), stored AS (
    INSERT INTO article_engagements (id, account_id, msg_data_id, article_index, wechat_user_id, follower_id, was_follower,
                                     action, source, share_scene, occurred_at)
    OVERRIDING SYSTEM VALUE
    SELECT n.id, r.account_id, r.msg_data_id, r.article_index, r.wechat_user_id, r.follower_id, r.was_follower,
           r.action, r.source, r.share_scene, r.at
    FROM numbered n JOIN reader r USING (ord)
    ORDER BY n.id
  )
  SELECT n.id, r.follower_id, r.was_follower, r.openid
  FROM reader r LEFT JOIN numbered n USING (ord)
  ORDER BY r.ord`;

export async function insertEngagements(db: EventWriter, rows: EngagementWrite[]): Promise<EngagementOutcome[]> {
  const found = await runPrepared<{ id: number | null; follower_id: number | null; was_follower: boolean; openid: string | null }>(
    db,
    'events_insert_engagements',
    INSERT_ENGAGEMENTS,
    [
      rows.map((r) => r.accountId),
      rows.map((r) => r.msgDataId),
      rows.map((r) => r.articleIndex),
      rows.map((r) => r.wechatUserId),
      rows.map((r) => r.action),
      rows.map((r) => r.source),
      rows.map((r) => r.shareScene),
      rows.map((r) => r.at.toISOString()),
    ],
  );
  return found.map((row): EngagementOutcome =>
    row.id === null
      ? { status: 'article_not_found' }
      : { status: 'stored', id: row.id, wasFollower: row.was_follower, followerId: row.follower_id, openid: row.openid },
  );
}

// ---- reads by account and time, for webhooks and statistics ---------------------------------------------------

/** A window of an account's events, [from, to), in (occurredAt, id) order; `after` continues a previous page. */
export interface EventRange {
  from: Date;
  to: Date;
  after?: { occurredAt: Date; id: number };
  limit: number;
}

function rangeFilter(range: EventRange) {
  const after = range.after
    ? sql`AND (occurred_at, id) > (${range.after.occurredAt.toISOString()}::timestamptz, ${range.after.id}::bigint)`
    : sql``;
  return sql`occurred_at >= ${range.from.toISOString()}::timestamptz AND occurred_at < ${range.to.toISOString()}::timestamptz ${after}`;
}

export interface FollowEventRecord {
  id: number;
  followerId: number;
  wechatUserId: number;
  openid: string;
  kind: 'subscribe' | 'unsubscribe';
  scene: string;
  qrScene: number | null;
  qrSceneStr: string | null;
  occurredAt: Date;
}

export async function listFollowEvents(db: Executor, accountId: number, range: EventRange): Promise<FollowEventRecord[]> {
  const result = await db.execute<{
    id: number;
    follower_id: number;
    wechat_user_id: number;
    openid: string;
    kind: 'subscribe' | 'unsubscribe';
    scene: string;
    qr_scene: number | null;
    qr_scene_str: string | null;
    occurred_at: string;
  }>(sql`
    SELECT e.id, e.follower_id, e.wechat_user_id, f.openid, e.kind, e.scene, e.qr_scene, e.qr_scene_str, e.occurred_at
    FROM (SELECT * FROM follow_events WHERE account_id = ${accountId} AND ${rangeFilter(range)} ORDER BY occurred_at, id LIMIT ${range.limit}) e
    JOIN followers f ON f.id = e.follower_id
    ORDER BY e.occurred_at, e.id`);
  return result.rows.map((row) => ({
    id: row.id,
    followerId: row.follower_id,
    wechatUserId: row.wechat_user_id,
    openid: row.openid,
    kind: row.kind,
    scene: row.scene,
    qrScene: row.qr_scene,
    qrSceneStr: row.qr_scene_str,
    occurredAt: parseTimestamp(row.occurred_at),
  }));
}

export interface MessageRecord {
  id: number;
  /** WeChat's 64-bit MsgId, exactly, as decimal text. */
  msgId: string;
  followerId: number;
  wechatUserId: number;
  openid: string;
  msgType: MessageType;
  body: Record<string, unknown>;
  occurredAt: Date;
}

const messageColumns = sql`m.id, m.msg_id::text AS msg_id, m.follower_id, m.wechat_user_id, f.openid, m.msg_type, m.body, m.occurred_at`;

type MessageRow = {
  id: number;
  msg_id: string;
  follower_id: number;
  wechat_user_id: number;
  openid: string;
  msg_type: MessageType;
  body: Record<string, unknown>;
  occurred_at: string;
};

function toMessageRecord(row: MessageRow): MessageRecord {
  return {
    id: row.id,
    msgId: row.msg_id,
    followerId: row.follower_id,
    wechatUserId: row.wechat_user_id,
    openid: row.openid,
    msgType: row.msg_type,
    body: row.body,
    occurredAt: parseTimestamp(row.occurred_at),
  };
}

export async function listMessages(db: Executor, accountId: number, range: EventRange): Promise<MessageRecord[]> {
  const result = await db.execute<MessageRow>(sql`
    SELECT ${messageColumns}
    FROM (SELECT * FROM messages WHERE account_id = ${accountId} AND ${rangeFilter(range)} ORDER BY occurred_at, id LIMIT ${range.limit}) m
    JOIN followers f ON f.id = m.follower_id
    ORDER BY m.occurred_at, m.id`);
  return result.rows.map(toMessageRecord);
}

/** One message by its MsgId (decimal text; compared as bigint in SQL, never as a JS number). */
export async function findMessage(db: Executor, accountId: number, msgId: string): Promise<MessageRecord | undefined> {
  const result = await db.execute<MessageRow>(sql`
    SELECT ${messageColumns} FROM messages m JOIN followers f ON f.id = m.follower_id
    WHERE m.account_id = ${accountId} AND m.msg_id = ${msgId}::bigint`);
  const row = result.rows[0];
  return row && toMessageRecord(row);
}

export interface EngagementRecord {
  id: number;
  msgDataId: number;
  articleIndex: number;
  wechatUserId: number;
  followerId: number | null;
  openid: string | null;
  wasFollower: boolean;
  action: EngagementAction;
  source: ReadSource;
  shareScene: string | null;
  occurredAt: Date;
}

export async function listEngagements(db: Executor, accountId: number, range: EventRange): Promise<EngagementRecord[]> {
  const result = await db.execute<{
    id: number;
    msg_data_id: number;
    article_index: number;
    wechat_user_id: number;
    follower_id: number | null;
    openid: string | null;
    was_follower: boolean;
    action: EngagementAction;
    source: ReadSource;
    share_scene: string | null;
    occurred_at: string;
  }>(sql`
    SELECT e.id, e.msg_data_id, e.article_index, e.wechat_user_id, e.follower_id, f.openid, e.was_follower, e.action,
           e.source, e.share_scene, e.occurred_at
    FROM (SELECT * FROM article_engagements WHERE account_id = ${accountId} AND ${rangeFilter(range)} ORDER BY occurred_at, id LIMIT ${range.limit}) e
    LEFT JOIN followers f ON f.id = e.follower_id
    ORDER BY e.occurred_at, e.id`);
  return result.rows.map((row) => ({
    id: row.id,
    msgDataId: row.msg_data_id,
    articleIndex: row.article_index,
    wechatUserId: row.wechat_user_id,
    followerId: row.follower_id,
    openid: row.openid,
    wasFollower: row.was_follower,
    action: row.action,
    source: row.source,
    shareScene: row.share_scene,
    occurredAt: parseTimestamp(row.occurred_at),
  }));
}
