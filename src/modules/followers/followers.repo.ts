import { sql } from 'drizzle-orm';
import { parseTimestamp, preparedRead, type Database, type Executor } from '../../db/client.js';

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
  coalesce((SELECT array_agg(ft.tag_id ORDER BY ft.tag_id) FROM follower_tags ft WHERE ft.follower_id = f.id AND ft.account_id = f.account_id), '{}') AS "tagIds"`;

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
  if (options.tagId !== undefined) return listFollowersOfTag(db, accountId, options.tagId, options);
  const result = await db.execute(sql`
    SELECT ${followerColumns} FROM followers f ${followerJoins}
    WHERE f.account_id = ${accountId} AND f.subscribed AND f.id > ${options.afterId}
    ORDER BY f.id
    LIMIT ${options.limit}`);
  return result.rows.map(toFollowerRecord);
}

/**
 * The same page for one tag, read from the tag's range of follower_tags in follower order, each member looked up
 * by primary key: a page costs its own rows, however many followers the account has and wherever the tag's members
 * sit among them. OFFSET 0 keeps the lookup a per-member probe; as a plain join the planner may choose a merge join
 * that walks the account's followers from the lowest id up to the tag's first member.
 */
async function listFollowersOfTag(db: Executor, accountId: number, tagId: number, options: { afterId: number; limit: number }): Promise<FollowerRecord[]> {
  const result = await db.execute(sql`
    SELECT ${followerColumns}
    FROM follower_tags ft
    CROSS JOIN LATERAL (SELECT * FROM followers WHERE id = ft.follower_id OFFSET 0) f
    ${followerJoins}
    WHERE ft.account_id = ${accountId} AND ft.tag_id = ${tagId} AND ft.follower_id > ${options.afterId}
      AND f.account_id = ${accountId} AND f.subscribed
    ORDER BY ft.follower_id
    LIMIT ${options.limit}`);
  return result.rows.map(toFollowerRecord);
}

const followerByOpenid = preparedRead<Record<string, unknown>, { accountId: number; openid: string }>('follower_by_openid', sql`
  SELECT ${followerColumns} FROM followers f ${followerJoins}
  WHERE f.account_id = ${sql.placeholder('accountId')} AND f.openid = ${sql.placeholder('openid')}`);

/** Prepared (planned once per connection): the WeChat API's user/info runs it on every call. */
export async function findFollowerByOpenid(db: Database, accountId: number, openid: string): Promise<FollowerRecord | undefined> {
  const [row] = await followerByOpenid(db, { accountId, openid });
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

/** The follower id behind an openid of this account (subscribed or not): where an openid-keyed page continues from. */
export async function findFollowerIdByOpenid(db: Executor, accountId: number, openid: string): Promise<number | undefined> {
  const result = await db.execute<{ id: number }>(sql`SELECT id FROM followers WHERE openid = ${openid} AND account_id = ${accountId}`);
  return result.rows[0]?.id;
}

/**
 * Openids only, for WeChat's user/get: a page of current followers after `afterId` in id order, read along
 * followers_subscribed_idx. No profile joins, so a 10,000-row page costs its index range and heap rows.
 */
export async function listSubscribedOpenids(db: Executor, accountId: number, options: { afterId: number; limit: number }): Promise<string[]> {
  const result = await db.execute<{ openid: string }>(sql`
    SELECT openid FROM followers
    WHERE account_id = ${accountId} AND subscribed AND id > ${options.afterId}
    ORDER BY id LIMIT ${options.limit}`);
  return result.rows.map((row) => row.openid);
}

export async function countSubscribed(db: Executor, accountId: number): Promise<number> {
  const result = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM followers WHERE account_id = ${accountId} AND subscribed`);
  return result.rows[0]!.n;
}

export async function countBlacklisted(db: Executor, accountId: number): Promise<number> {
  const result = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM followers WHERE account_id = ${accountId} AND blacklisted`);
  return result.rows[0]!.n;
}

/** The account's followers among `openids`, in no particular order; unknown openids are simply absent. */
export async function findFollowersByOpenids(db: Executor, accountId: number, openids: string[]): Promise<FollowerRecord[]> {
  const result = await db.execute(sql`
    SELECT ${followerColumns} FROM followers f ${followerJoins}
    WHERE f.account_id = ${accountId} AND f.openid = ANY(${sql.param(openids)}::text[])`);
  return result.rows.map(toFollowerRecord);
}

/** The openids among `openids` that no account has: forged or mistyped, rather than another account's. */
export async function openidsUnknownToAnyAccount(db: Executor, openids: string[]): Promise<string[]> {
  const result = await db.execute<{ openid: string }>(sql`
    SELECT o.openid FROM unnest(${sql.param(openids)}::text[]) AS o(openid)
    WHERE NOT EXISTS (SELECT 1 FROM followers f WHERE f.openid = o.openid)`);
  return result.rows.map((row) => row.openid);
}
