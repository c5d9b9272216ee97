import { sql } from 'drizzle-orm';
import type { Executor } from '../client.js';

/**
 * Set-based generators for demo and benchmark data. Each call writes one chunk entirely inside PostgreSQL
 * (INSERT … SELECT over generate_series), so nothing is sent row by row and a million followers take seconds.
 * Distributions are weighted to look like a real Chinese-language account.
 */

/** Picks from a weighted list with one random() per row: `weighted(['a', 3], ['b', 1])`. */
function weightedPick(choices: Array<[string | number, number]>, random: ReturnType<typeof sql>) {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let cumulative = 0;
  const branches = choices.map(([value, weight]) => {
    cumulative += weight;
    return sql`WHEN ${random} < ${cumulative / total} THEN ${sql.raw(typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "''")}'`)}`;
  });
  return sql`CASE ${sql.join(branches, sql` `)} END`;
}

const SCENES: Array<[string, number]> = [
  ['ADD_SCENE_SEARCH', 35],
  ['ADD_SCENE_QR_CODE', 20],
  ['ADD_SCENE_PROFILE_CARD', 14],
  ['ADD_SCENE_PROFILE_LINK', 8],
  ['ADD_SCENE_WECHAT_ADVERTISEMENT', 6],
  ['ADD_SCENE_PROFILE_ITEM', 4],
  ['ADD_SCENE_REPRINT', 3],
  ['ADD_SCENE_PAID', 2],
  ['ADD_SCENE_CHANNELS', 2],
  ['ADD_SCENE_LIVESTREAM', 1],
  ['ADD_SCENE_ACCOUNT_MIGRATION', 1],
  ['ADD_SCENE_OTHERS', 4],
];

const LANGUAGES: Array<[string, number]> = [
  ['zh_CN', 86],
  ['en', 6],
  ['zh_TW', 4],
  ['zh_HK', 2],
  ['ja', 1],
  ['ko', 1],
];

// (province, city) pairs with rough population weights; a few percent are abroad.
const REGIONS: Array<[string, string, string, number]> = [
  ['中国', '广东', '广州', 9],
  ['中国', '广东', '深圳', 9],
  ['中国', '北京', '北京', 8],
  ['中国', '上海', '上海', 8],
  ['中国', '浙江', '杭州', 6],
  ['中国', '江苏', '南京', 5],
  ['中国', '江苏', '苏州', 4],
  ['中国', '四川', '成都', 6],
  ['中国', '湖北', '武汉', 5],
  ['中国', '山东', '济南', 4],
  ['中国', '河南', '郑州', 4],
  ['中国', '陕西', '西安', 4],
  ['中国', '福建', '厦门', 3],
  ['中国', '湖南', '长沙', 3],
  ['中国', '重庆', '重庆', 4],
  ['中国', '天津', '天津', 3],
  ['中国', '辽宁', '沈阳', 3],
  ['中国', '', '', 6],
  ['美国', '加利福尼亚', '旧金山', 1],
  ['新加坡', '', '', 1],
  ['日本', '东京', '', 1],
];

export interface FollowerChunk {
  accountId: number;
  ownerId: number;
  count: number;
  /** Follow times spread over [from, to); more recent days are more likely, as accounts grow. */
  from: Date;
  to: Date;
  /** How many of the `count` followers have since unfollowed. */
  churned: number;
  /** Position of this chunk, to make nicknames unique across chunks. */
  offset: number;
}

/** Writes one chunk of WeChat users, their followers rows, unionids and follow/unfollow events. */
export async function seedFollowerChunk(db: Executor, chunk: FollowerChunk): Promise<void> {
  const regionIndex = weightedPick(
    REGIONS.map(([, , , weight], index) => [index + 1, weight]),
    sql`r.region_roll`,
  );
  const countries = sql.raw(`ARRAY[${REGIONS.map(([c]) => `'${c}'`).join(',')}]`);
  const provinces = sql.raw(`ARRAY[${REGIONS.map(([, p]) => `'${p}'`).join(',')}]`);
  const cities = sql.raw(`ARRAY[${REGIONS.map(([, , c]) => `'${c}'`).join(',')}]`);
  const spanSeconds = (chunk.to.getTime() - chunk.from.getTime()) / 1000;

  await db.execute(sql`
    WITH rolls AS (
      SELECT g, random() AS gender_roll, random() AS language_roll, random() AS region_roll
      FROM generate_series(1, ${chunk.count}::int) AS g
    ), new_users AS (
      INSERT INTO wechat_users (nickname, gender, language, country, province, city)
      SELECT 'fan' || (${chunk.offset}::int + r.g),
             CASE WHEN r.gender_roll < 0.10 THEN 0 WHEN r.gender_roll < 0.58 THEN 1 ELSE 2 END,
             ${weightedPick(LANGUAGES, sql`r.language_roll`)},
             (${countries})[idx.i], (${provinces})[idx.i], (${cities})[idx.i]
      FROM rolls r CROSS JOIN LATERAL (SELECT ${regionIndex} AS i) idx
      RETURNING id
    ), numbered AS (
      SELECT id, row_number() OVER () AS rn FROM new_users
    ), follows AS (
      SELECT u.id AS user_id,
             -- sqrt skews follow times towards the end of the span: an account gains more followers as it grows.
             ${chunk.from.toISOString()}::timestamptz + make_interval(secs => ${spanSeconds}::float8 * sqrt(random())) AS followed_at,
             u.rn > ${chunk.count - chunk.churned}::int AS churned,
             random() AS scene_roll,
             random() AS stay_roll
      FROM numbered u
    ), shaped AS (
      SELECT f.*, ${weightedPick(SCENES, sql`f.scene_roll`)} AS scene,
             CASE WHEN f.churned THEN f.followed_at + (${chunk.to.toISOString()}::timestamptz - f.followed_at) * f.stay_roll END AS left_at
      FROM follows f
    ), new_followers AS (
      INSERT INTO followers (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at, unsubscribed_at,
                             subscribe_scene, qr_scene)
      SELECT ${chunk.accountId}::bigint, s.user_id,
             'o' || left(translate(encode(decode(md5(random()::text) || md5(random()::text), 'hex'), 'base64'), '+/=', '-_'), 27),
             NOT s.churned, s.followed_at, s.followed_at, s.left_at, s.scene,
             CASE WHEN s.scene = 'ADD_SCENE_QR_CODE' THEN 1 + floor(random() * 20)::int END
      FROM shaped s
      RETURNING id, wechat_user_id, subscribed, subscribed_at, unsubscribed_at, subscribe_scene, qr_scene
    ), union_id AS (
      INSERT INTO union_ids (owner_id, wechat_user_id, unionid)
      SELECT ${chunk.ownerId}::bigint, u.id, 'o' || left(translate(encode(decode(md5(random()::text) || md5(random()::text), 'hex'), 'base64'), '+/=', '-_'), 27)
      FROM new_users u
      ON CONFLICT DO NOTHING
    )
    INSERT INTO follow_events (account_id, follower_id, wechat_user_id, kind, scene, qr_scene, occurred_at)
    SELECT ${chunk.accountId}::bigint, id, wechat_user_id, 'subscribe'::follow_event_kind, subscribe_scene, qr_scene, subscribed_at FROM new_followers
    UNION ALL
    -- An unsubscribe records the scene the follower came from (statistics split cancellations by source).
    SELECT ${chunk.accountId}::bigint, id, wechat_user_id, 'unsubscribe'::follow_event_kind, subscribe_scene, qr_scene, unsubscribed_at FROM new_followers WHERE NOT subscribed`);
}

/**
 * Upstream messages from a sample of the account's current followers: each sampled follower sends 1 to 15 messages
 * of weighted types on random days, which is what activation statistics count.
 */
export async function seedMessages(db: Executor, input: { accountId: number; sampleRate: number; from: Date; to: Date }): Promise<number> {
  const spanSeconds = (input.to.getTime() - input.from.getTime()) / 1000;
  const types: Array<[string, number]> = [
    ['text', 70],
    ['image', 12],
    ['voice', 8],
    ['link', 4],
    ['location', 3],
    ['video', 2],
    ['shortvideo', 1],
  ];
  const result = await db.execute(sql`
    WITH senders AS (
      SELECT id, wechat_user_id, subscribed_at, 1 + floor(random() * random() * 15)::int AS n
      FROM followers WHERE account_id = ${input.accountId}::bigint AND subscribed AND random() < ${input.sampleRate}::float8
    ), sent AS (
      SELECT s.id, s.wechat_user_id, random() AS type_roll,
             greatest(s.subscribed_at, ${input.from.toISOString()}::timestamptz + make_interval(secs => ${spanSeconds}::float8 * random())) AS at
      FROM senders s CROSS JOIN LATERAL generate_series(1, s.n)
    ), typed AS (
      SELECT sent.*, ${weightedPick(types, sql`sent.type_roll`)} AS msg_type FROM sent
    )
    INSERT INTO messages (msg_id, account_id, follower_id, wechat_user_id, msg_type, body, occurred_at)
    SELECT nextval('message_msg_id_seq'), ${input.accountId}::bigint, id, wechat_user_id, msg_type,
           CASE msg_type WHEN 'text' THEN jsonb_build_object('Content', '你好')
                         WHEN 'location' THEN jsonb_build_object('Location_X', 23.13, 'Location_Y', 113.35, 'Scale', 15, 'Label', '广州')
                         WHEN 'link' THEN jsonb_build_object('Title', '链接', 'Description', '', 'Url', 'https://example.com')
                         ELSE jsonb_build_object('MediaId', md5(random()::text)) END,
           least(at, ${input.to.toISOString()}::timestamptz)
    FROM typed`);
  return result.rowCount ?? 0;
}
