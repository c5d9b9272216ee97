import { sql } from 'drizzle-orm';
import { parseTimestamp, type Executor } from '../../db/client.js';
import type { EngagementAction, MessageType, ReadSource } from './wechat-constants.js';

export interface FollowInput {
  accountId: number;
  ownerId: number;
  wechatUserId: number;
  candidateOpenid: string;
  candidateUnionid: string;
  scene: string;
  qrScene: number | null;
  qrSceneStr: string | null;
  at: Date;
}

/**
 * Follows, or re-follows, in one statement: the follower row is created or flipped to subscribed, a subscribe
 * event is appended, and the user's unionid for this owner is created if missing. Only a real state change
 * returns a row, so a repeated follow appends nothing. The openid of an existing row is kept.
 */
export async function subscribe(db: Executor, input: FollowInput): Promise<{ followerId: number; openid: string } | undefined> {
  const at = input.at.toISOString();
  const result = await db.execute<{ id: number; openid: string }>(sql`
    WITH upserted AS (
      INSERT INTO followers AS f (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at,
                                  subscribe_scene, qr_scene, qr_scene_str)
      VALUES (${input.accountId}, ${input.wechatUserId}, ${input.candidateOpenid}, true, ${at}, ${at},
              ${input.scene}, ${input.qrScene}, ${input.qrSceneStr})
      ON CONFLICT (account_id, wechat_user_id) DO UPDATE
        SET subscribed = true, subscribed_at = EXCLUDED.subscribed_at, unsubscribed_at = NULL,
            subscribe_scene = EXCLUDED.subscribe_scene, qr_scene = EXCLUDED.qr_scene, qr_scene_str = EXCLUDED.qr_scene_str
        WHERE NOT f.subscribed
      RETURNING f.id, f.openid
    ), event AS (
      INSERT INTO follow_events (account_id, follower_id, wechat_user_id, kind, scene, qr_scene, qr_scene_str, occurred_at)
      SELECT ${input.accountId}, id, ${input.wechatUserId}, 'subscribe', ${input.scene}, ${input.qrScene}, ${input.qrSceneStr}, ${at}
      FROM upserted
    ), union_id AS (
      INSERT INTO union_ids (owner_id, wechat_user_id, unionid)
      VALUES (${input.ownerId}, ${input.wechatUserId}, ${input.candidateUnionid})
      ON CONFLICT DO NOTHING
    )
    SELECT id, openid FROM upserted`);
  const row = result.rows[0];
  return row && { followerId: row.id, openid: row.openid };
}

export async function findFollowerOfUser(
  db: Executor,
  accountId: number,
  wechatUserId: number,
): Promise<{ followerId: number; openid: string; subscribed: boolean; blacklisted: boolean } | undefined> {
  const result = await db.execute<{ id: number; openid: string; subscribed: boolean; blacklisted: boolean }>(sql`
    SELECT id, openid, subscribed, blacklisted FROM followers WHERE account_id = ${accountId} AND wechat_user_id = ${wechatUserId}`);
  const row = result.rows[0];
  return row && { followerId: row.id, openid: row.openid, subscribed: row.subscribed, blacklisted: row.blacklisted };
}

/** Unfollows and appends the unsubscribe event; undefined when the user was not following. */
export async function unsubscribe(db: Executor, accountId: number, wechatUserId: number, at: Date): Promise<{ openid: string } | undefined> {
  const result = await db.execute<{ openid: string }>(sql`
    WITH updated AS (
      UPDATE followers SET subscribed = false, unsubscribed_at = ${at.toISOString()}
      WHERE account_id = ${accountId} AND wechat_user_id = ${wechatUserId} AND subscribed
      RETURNING id, openid
    ), event AS (
      INSERT INTO follow_events (account_id, follower_id, wechat_user_id, kind, occurred_at)
      SELECT ${accountId}, id, ${wechatUserId}, 'unsubscribe', ${at.toISOString()} FROM updated
    )
    SELECT openid FROM updated`);
  return result.rows[0];
}

export type MessageOutcome = { status: 'stored'; msgId: string; openid: string } | { status: 'not_following' } | { status: 'blacklisted' };

/**
 * Stores an upstream message if, and only if, the sender follows the account and is not blacklisted, in one
 * round trip. The MsgId comes from a sequence and is returned as text: it does not fit a JavaScript number.
 */
export async function insertMessage(
  db: Executor,
  input: { accountId: number; wechatUserId: number; msgType: MessageType; body: Record<string, unknown>; at: Date },
): Promise<MessageOutcome> {
  const result = await db.execute<{ follower_id: number | null; openid: string | null; blacklisted: boolean | null; msg_id: string | null }>(sql`
    WITH sender AS (
      SELECT id, openid, blacklisted FROM followers
      WHERE account_id = ${input.accountId} AND wechat_user_id = ${input.wechatUserId} AND subscribed
    ), stored AS (
      INSERT INTO messages (msg_id, account_id, follower_id, wechat_user_id, msg_type, body, occurred_at)
      SELECT nextval('message_msg_id_seq'), ${input.accountId}, id, ${input.wechatUserId}, ${input.msgType},
             ${JSON.stringify(input.body)}::jsonb, ${input.at.toISOString()}
      FROM sender WHERE NOT blacklisted
      RETURNING msg_id::text
    )
    SELECT s.id AS follower_id, s.openid, s.blacklisted, (SELECT msg_id FROM stored) AS msg_id
    FROM (SELECT 1) AS one LEFT JOIN sender s ON true`);
  const row = result.rows[0]!;
  if (row.follower_id === null) return { status: 'not_following' };
  if (row.blacklisted) return { status: 'blacklisted' };
  return { status: 'stored', msgId: row.msg_id!, openid: row.openid! };
}

/** Appends one engagement; whether the reader follows the account is read in the same statement. */
export async function insertEngagement(
  db: Executor,
  input: {
    accountId: number;
    wechatUserId: number;
    msgDataId: number;
    articleIndex: number;
    action: EngagementAction;
    source: ReadSource;
    shareScene: string | null;
    at: Date;
  },
): Promise<{ id: number; wasFollower: boolean; openid: string | null }> {
  const result = await db.execute<{ id: number; was_follower: boolean; openid: string | null }>(sql`
    WITH reader AS (
      SELECT id, openid, subscribed FROM followers WHERE account_id = ${input.accountId} AND wechat_user_id = ${input.wechatUserId}
    ), stored AS (
      INSERT INTO article_engagements (account_id, msg_data_id, article_index, wechat_user_id, follower_id, was_follower,
                                       action, source, share_scene, occurred_at)
      SELECT ${input.accountId}, ${input.msgDataId}, ${input.articleIndex}, ${input.wechatUserId},
             (SELECT id FROM reader), coalesce((SELECT subscribed FROM reader), false),
             ${input.action}, ${input.source}, ${input.shareScene}, ${input.at.toISOString()}
      RETURNING id, was_follower
    )
    SELECT stored.id, stored.was_follower, (SELECT openid FROM reader) AS openid FROM stored`);
  const row = result.rows[0]!;
  return { id: row.id, wasFollower: row.was_follower, openid: row.openid };
}

export interface FollowerRecord {
  id: number;
  openid: string;
  subscribed: boolean;
  nickname: string;
  gender: number;
  language: string;
  country: string;
  province: string;
  city: string;
  subscribedAt: Date;
  subscribeScene: string;
  qrScene: number | null;
  qrSceneStr: string | null;
  remark: string;
  blacklisted: boolean;
  unionid: string | null;
  tagIds: number[];
}

const followerColumns = sql`
  f.id, f.openid, f.subscribed, u.nickname, u.gender, u.language, u.country, u.province, u.city,
  f.subscribed_at AS "subscribedAt", f.subscribe_scene AS "subscribeScene", f.qr_scene AS "qrScene",
  f.qr_scene_str AS "qrSceneStr", f.remark, f.blacklisted, uid.unionid,
  coalesce((SELECT array_agg(ft.tag_id ORDER BY ft.tag_id) FROM follower_tags ft WHERE ft.follower_id = f.id), '{}') AS "tagIds"`;

const followerJoins = sql`
  JOIN wechat_users u ON u.id = f.wechat_user_id
  JOIN accounts a ON a.id = f.account_id
  LEFT JOIN union_ids uid ON uid.owner_id = a.created_by AND uid.wechat_user_id = f.wechat_user_id`;

function toFollowerRecord(row: Record<string, unknown>): FollowerRecord {
  return { ...(row as unknown as FollowerRecord), subscribedAt: parseTimestamp(row.subscribedAt as string) };
}

/**
 * A page of the account's current followers in id order, after `afterId`. New follows get higher ids, so paging
 * while people follow never repeats or skips anyone who was following when paging began.
 */
export async function listFollowers(
  db: Executor,
  accountId: number,
  options: { afterId: number; limit: number; tagId?: number },
): Promise<FollowerRecord[]> {
  const tagFilter = options.tagId === undefined ? sql`` : sql`AND EXISTS (SELECT 1 FROM follower_tags t WHERE t.follower_id = f.id AND t.tag_id = ${options.tagId})`;
  const result = await db.execute(sql`
    SELECT ${followerColumns} FROM followers f ${followerJoins}
    WHERE f.account_id = ${accountId} AND f.subscribed AND f.id > ${options.afterId} ${tagFilter}
    ORDER BY f.id
    LIMIT ${options.limit}`);
  return result.rows.map(toFollowerRecord);
}

export async function findFollowerByOpenid(db: Executor, accountId: number, openid: string): Promise<FollowerRecord | undefined> {
  const result = await db.execute(sql`
    SELECT ${followerColumns} FROM followers f ${followerJoins}
    WHERE f.account_id = ${accountId} AND f.openid = ${openid}`);
  const row = result.rows[0];
  return row && toFollowerRecord(row);
}

export async function updateRemark(db: Executor, accountId: number, openid: string, remark: string): Promise<boolean> {
  const result = await db.execute(sql`UPDATE followers SET remark = ${remark} WHERE account_id = ${accountId} AND openid = ${openid}`);
  return (result.rowCount ?? 0) > 0;
}

/** Follower ids of the given openids in this account, locked for the rest of the transaction in id order. */
export async function lockFollowersByOpenid(db: Executor, accountId: number, openids: string[]): Promise<Array<{ id: number; openid: string }>> {
  const result = await db.execute<{ id: number; openid: string }>(sql`
    SELECT id, openid FROM followers
    WHERE account_id = ${accountId} AND openid = ANY(${sql.param(openids)}::text[])
    ORDER BY id
    FOR UPDATE`);
  return result.rows;
}

export async function setBlacklisted(db: Executor, accountId: number, followerIds: number[], blacklisted: boolean, at: Date): Promise<number> {
  const result = await db.execute(sql`
    UPDATE followers SET blacklisted = ${blacklisted}, blacklisted_at = ${blacklisted ? at.toISOString() : null}
    WHERE account_id = ${accountId} AND id = ANY(${sql.param(followerIds)}::bigint[]) AND blacklisted <> ${blacklisted}`);
  return result.rowCount ?? 0;
}

export async function listBlacklist(
  db: Executor,
  accountId: number,
  options: { afterId: number; limit: number },
): Promise<Array<{ id: number; openid: string; blacklistedAt: Date }>> {
  const result = await db.execute<{ id: number; openid: string; blacklisted_at: string }>(sql`
    SELECT id, openid, blacklisted_at FROM followers
    WHERE account_id = ${accountId} AND blacklisted AND id > ${options.afterId}
    ORDER BY id LIMIT ${options.limit}`);
  return result.rows.map((row) => ({ id: row.id, openid: row.openid, blacklistedAt: parseTimestamp(row.blacklisted_at) }));
}
