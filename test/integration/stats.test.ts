import { sql, TransactionRollbackError } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { SENDER_TYPE_COLUMNS } from '../../src/db/schema/stats.js';
import { WechatError } from '../../src/errors.js';
import { MESSAGE_TYPES } from '../../src/modules/followers/wechat-constants.js';
import { foldEvents, recountAccount, ROLLUP_TABLES } from '../../src/modules/stats/fold.repo.js';
import { startStatsFolder } from '../../src/modules/stats/stats.folder.js';
import { addMember, createAccount, expectProblem, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { newsMessage, sendBroadcast, waitForFinish } from '../helpers/broadcasts.js';
import { createWechatUser, follow, unfollow, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { executedPlan, rowsReadFrom } from '../helpers/plans.js';
import { childEnv, startEntryPoint } from '../helpers/processes.js';
import { useWorker } from '../helpers/worker.js';

// The folder runs only when a test asks (catchUp), so each test decides what has been folded.
const ctx = useTestContext({ STATS_FOLD_INTERVAL_MS: '60000' });
const worker = useWorker(ctx);

const db = () => ctx.deps.database.db;

async function setup() {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  return { owner, account };
}

/** The fields of a message of each type the client API takes. */
const MESSAGE_FIELDS = {
  text: { content: 'hi' },
  image: { picUrl: 'https://example.com/p.png' },
  voice: { format: 'amr' },
  video: { videoUrl: 'https://example.com/v.mp4', thumbUrl: 'https://example.com/t.jpg' },
  shortvideo: { videoUrl: 'https://example.com/v.mp4', thumbUrl: 'https://example.com/t.jpg' },
  location: { latitude: 22.54, longitude: 114.06, scale: 15, label: '深圳' },
  link: { title: 'a link', description: 'shared', url: 'https://example.com/a' },
} as const;

async function say(user: WechatUserSession, account: CreatedAccount, msgType: keyof typeof MESSAGE_FIELDS = 'text') {
  const payload = { appid: account.appid, msgType, ...MESSAGE_FIELDS[msgType] };
  const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: user.headers, payload });
  expect(response.statusCode, response.body).toBe(201);
}

async function stats(session: AdminSession, accountId: number, route: string, query: string) {
  const response = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/stats/${route}?${query}`, headers: session.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items as Array<Record<string, unknown>>;
}

/** Distinct senders and messages per Shanghai hour and key (type, 'all', WeChat's combined types), as a recount gives them. */
async function hourlyMessageRecount(accountId: number) {
  const recounted = await db().execute(sql`
    SELECT (occurred_at AT TIME ZONE 'Asia/Shanghai')::date::text AS day, extract(hour FROM occurred_at AT TIME ZONE 'Asia/Shanghai')::int AS hour, t AS key,
           count(DISTINCT wechat_user_id)::int AS users, count(*)::int AS count
    FROM messages CROSS JOIN LATERAL unnest(ARRAY[msg_type, 'all',
      CASE WHEN msg_type IN ('video', 'shortvideo') THEN 'wechat:4' WHEN msg_type IN ('link', 'location') THEN 'wechat:6' END]) AS t
    WHERE account_id = ${accountId} AND t IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`);
  return recounted.rows;
}

/** The same figures as the fold keeps them. */
async function hourlyMessageRollups(accountId: number) {
  const rolled = await db().execute(sql`
    SELECT day::text, hour::int, key, users, count FROM stats_hourly WHERE account_id = ${accountId} AND metric = 'msg' ORDER BY 1, 2, 3`);
  return rolled.rows;
}

/**
 * Senders (distinct in the period), messages and senders by messages sent per day, ISO week and month and per type
 * ('all', each type, WeChat's combined types), as a recount from the events gives them.
 */
async function messagePeriodRecount(accountId: number) {
  const recounted = await db().execute(sql`
    WITH events AS (
      SELECT (occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS day, msg_type, wechat_user_id FROM messages WHERE account_id = ${accountId}
    ), per_sender AS (
      SELECT p.period, p.start, t AS msg_type, wechat_user_id, count(*) AS n
      FROM events
      CROSS JOIN LATERAL (VALUES ('day', day), ('week', date_trunc('week', day)::date), ('month', date_trunc('month', day)::date)) AS p(period, start)
      CROSS JOIN LATERAL unnest(ARRAY[msg_type, 'all',
        CASE WHEN msg_type IN ('video', 'shortvideo') THEN 'wechat:4' WHEN msg_type IN ('link', 'location') THEN 'wechat:6' END]) AS t
      WHERE t IS NOT NULL
      GROUP BY 1, 2, 3, 4)
    -- Senders by messages sent (1–5, 6–10, more) are kept for all types together only.
    SELECT period, start::text, msg_type, count(*)::int AS msg_user, sum(n)::int AS msg_count,
           count(*) FILTER (WHERE n BETWEEN 1 AND 5 AND msg_type = 'all')::int AS b1, count(*) FILTER (WHERE n BETWEEN 6 AND 10 AND msg_type = 'all')::int AS b2,
           count(*) FILTER (WHERE n > 10 AND msg_type = 'all')::int AS b3
    FROM per_sender GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`);
  return recounted.rows;
}

/**
 * The same figures as the fold keeps them: a row per period, taken apart into a row per type with messages (WeChat's
 * combined types have their own distinct senders and their types' messages).
 */
async function messagePeriodRollups(accountId: number) {
  const rolled = await db().execute(sql`
    SELECT m.period, m.period_start::text AS start, t.msg_type, t.msg_user, t.msg_count, t.b1, t.b2, t.b3
    FROM stats_message_periods m
    CROSS JOIN LATERAL (VALUES ('all', m.msg_user, m.msg_count, m.senders_1_to_5, m.senders_6_to_10, m.senders_over_10),
      ('text', m.text_user, m.text_count, 0, 0, 0), ('image', m.image_user, m.image_count, 0, 0, 0), ('voice', m.voice_user, m.voice_count, 0, 0, 0),
      ('video', m.video_user, m.video_count, 0, 0, 0), ('shortvideo', m.shortvideo_user, m.shortvideo_count, 0, 0, 0),
      ('location', m.location_user, m.location_count, 0, 0, 0), ('link', m.link_user, m.link_count, 0, 0, 0),
      ('wechat:4', m.wechat_4_user, m.video_count + m.shortvideo_count, 0, 0, 0), ('wechat:6', m.wechat_6_user, m.link_count + m.location_count, 0, 0, 0))
      AS t(msg_type, msg_user, msg_count, b1, b2, b3)
    WHERE m.account_id = ${accountId} AND t.msg_count > 0 ORDER BY 1, 2, 3`);
  return rolled.rows;
}

/**
 * Each sender's messages per day, ISO week and month, in all and per type, capped at 11 (all the buckets of messages
 * sent need), as a recount from the events gives them.
 */
async function senderPeriodRecount(accountId: number) {
  const recounted = await db().execute(sql`
    SELECT p.period, p.start::text, wechat_user_id, least(count(*), 11)::int AS msg_count,
           ${sql.join(
             MESSAGE_TYPES.map((type) => sql`least(count(*) FILTER (WHERE msg_type = ${type}), 11)::int AS ${sql.identifier(type)}`),
             sql`, `,
           )}
    FROM (SELECT (occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS day, msg_type, wechat_user_id FROM messages WHERE account_id = ${accountId}) AS e
    CROSS JOIN LATERAL (VALUES ('day', day), ('week', date_trunc('week', day)::date), ('month', date_trunc('month', day)::date)) AS p(period, start)
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`);
  return recounted.rows;
}

/** The same counts as the fold keeps them (stats_period_senders). */
async function senderPeriodRollups(accountId: number) {
  const rolled = await db().execute(sql`
    SELECT period, period_start::text AS start, wechat_user_id, msg_count,
           ${sql.join(
             MESSAGE_TYPES.map((type) => sql`${sql.identifier(SENDER_TYPE_COLUMNS[type])} AS ${sql.identifier(type)}`),
             sql`, `,
           )}
    FROM stats_period_senders WHERE account_id = ${accountId} ORDER BY 1, 2, 3`);
  return rolled.rows;
}

/** Article engagement per article and day, per day and channel, and per hour, as a recount from the events gives it. */
const engagementRecount = async (accountId: number) => ({
  perArticle: (
    await db().execute(sql`
    WITH e AS (SELECT *, (occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS day FROM article_engagements WHERE account_id = ${accountId}),
    firsts AS (SELECT msg_data_id, article_index, action, min(day) AS day FROM e GROUP BY wechat_user_id, 1, 2, 3)
    SELECT d.msg_data_id::text, d.article_index::int, d.day::text, d.action::text, d.users, d.count, coalesce(f.first_users, 0)::int AS first_users
    FROM (SELECT msg_data_id, article_index, day, action, count(DISTINCT wechat_user_id)::int AS users, count(*)::int AS count FROM e GROUP BY 1, 2, 3, 4) d
    LEFT JOIN (SELECT msg_data_id, article_index, day, action, count(*) AS first_users FROM firsts GROUP BY 1, 2, 3, 4) f USING (msg_data_id, article_index, day, action)
    ORDER BY 1, 2, 3, 4`)
  ).rows,
  perChannel: (
    await db().execute(sql`
    SELECT (occurred_at AT TIME ZONE 'Asia/Shanghai')::date::text AS day, action::text, c AS channel, count(DISTINCT wechat_user_id)::int AS users, count(*)::int AS count
    FROM article_engagements CROSS JOIN LATERAL unnest(ARRAY[source, 'all', 'scene:' || share_scene]) AS c
    WHERE account_id = ${accountId} AND c IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`)
  ).rows,
  hourly: (
    await db().execute(sql`
    SELECT (occurred_at AT TIME ZONE 'Asia/Shanghai')::date::text AS day, extract(hour FROM occurred_at AT TIME ZONE 'Asia/Shanghai')::int AS hour, k.metric, k.key,
           count(DISTINCT wechat_user_id)::int AS users, count(*)::int AS count
    FROM article_engagements CROSS JOIN LATERAL (VALUES (action::text, source), (action::text, 'all'), (action::text, 'scene:' || share_scene),
                                                        ('article:' || action::text, msg_data_id || '/' || article_index)) AS k(metric, key)
    WHERE account_id = ${accountId} AND k.key IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`)
  ).rows,
});
/** The same as the rollups keep it: the day rollups keep every action in one row, taken apart into a row per action with any figure. */
const engagementRollups = async (accountId: number) => ({
  perArticle: (
    await db().execute(sql`
    SELECT d.msg_data_id::text, d.article_index::int, d.day::text, a.action, a.users, a.count, a.first_users
    FROM stats_article_days d
    CROSS JOIN LATERAL (VALUES ('read', d.read_users, d.read_count, d.read_first_users), ('original', d.original_users, d.original_count, d.original_first_users),
                               ('share', d.share_users, d.share_count, d.share_first_users), ('favorite', d.favorite_users, d.favorite_count, d.favorite_first_users))
      AS a(action, users, count, first_users)
    WHERE d.account_id = ${accountId} AND (a.users, a.count, a.first_users) <> (0, 0, 0) ORDER BY 1, 2, 3, 4`)
  ).rows,
  perChannel: (
    await db().execute(sql`
    SELECT r.day::text, a.action, r.channel, a.users, a.count
    FROM stats_read_days r
    CROSS JOIN LATERAL (VALUES ('read', r.read_users, r.read_count), ('original', r.original_users, r.original_count),
                               ('share', r.share_users, r.share_count), ('favorite', r.favorite_users, r.favorite_count)) AS a(action, users, count)
    WHERE r.account_id = ${accountId} AND (a.users, a.count) <> (0, 0) ORDER BY 1, 2, 3`)
  ).rows,
  hourly: (
    await db().execute(sql`
    SELECT day::text, hour::int, metric, key, users, count FROM stats_hourly WHERE account_id = ${accountId} AND metric <> 'msg' ORDER BY 1, 2, 3, 4`)
  ).rows,
});

describe('statistics', () => {
  it('counts follows, unfollows and messages per Shanghai day across a midnight and a month end', async () => {
    const { owner, account } = await setup();
    const [a, b, c] = [await createWechatUser(ctx.app), await createWechatUser(ctx.app), await createWechatUser(ctx.app)];
    // 2026-10-31 in Shanghai (UTC+8) runs from 2026-10-30T16:00Z to 2026-10-31T16:00Z.
    ctx.clock.set('2026-10-30T17:00:00Z'); // Oct 31, 01:00 in Shanghai
    await follow(ctx.app, a, account.appid, 'ADD_SCENE_SEARCH');
    await follow(ctx.app, b, account.appid, 'ADD_SCENE_QR_CODE');
    await say(a, account);
    await say(a, account, 'image');
    ctx.clock.set('2026-10-31T15:59:00Z'); // Oct 31, 23:59
    await unfollow(ctx.app, b, account.appid);
    await follow(ctx.app, b, account.appid, 'ADD_SCENE_PROFILE_CARD'); // refollow the same day
    for (let i = 0; i < 6; i++) await say(b, account);
    ctx.clock.set('2026-10-31T16:01:00Z'); // Nov 1, 00:01: a new day and a new month
    await follow(ctx.app, c, account.appid, 'ADD_SCENE_SEARCH');
    await unfollow(ctx.app, a, account.appid);
    await say(c, account);
    await say(b, account);
    ctx.clock.set('2026-11-02T04:00:00Z');

    await worker().statsFolder.catchUp();
    const growth = await stats(owner, account.id, 'followers', 'from=2026-10-30&to=2026-11-02');
    expect(growth).toEqual([
      { refDate: '2026-10-30', newUser: 0, cancelUser: 0, netUser: 0, cumulateUser: 0, userSource: [] },
      {
        refDate: '2026-10-31',
        newUser: 3,
        cancelUser: 1,
        netUser: 2,
        cumulateUser: 2,
        userSource: [
          { scene: 'ADD_SCENE_PROFILE_CARD', newUser: 1, cancelUser: 0 },
          // b's unfollow counts under the scene b had come from.
          { scene: 'ADD_SCENE_QR_CODE', newUser: 1, cancelUser: 1 },
          { scene: 'ADD_SCENE_SEARCH', newUser: 1, cancelUser: 0 },
        ],
      },
      { refDate: '2026-11-01', newUser: 1, cancelUser: 1, netUser: 0, cumulateUser: 2, userSource: [{ scene: 'ADD_SCENE_SEARCH', newUser: 1, cancelUser: 1 }] },
      { refDate: '2026-11-02', newUser: 0, cancelUser: 0, netUser: 0, cumulateUser: 2, userSource: [] },
    ]);
    // A range that starts later carries the followers from before it.
    expect((await stats(owner, account.id, 'followers', 'from=2026-11-01&to=2026-11-01'))[0]).toMatchObject({ cumulateUser: 2 });
    const byMonth = await stats(owner, account.id, 'followers', 'from=2026-10-15&to=2026-11-02&granularity=month');
    expect(byMonth.map((row) => [row.refDate, row.newUser, row.cancelUser, row.cumulateUser])).toEqual([
      ['2026-10-01', 3, 1, 2],
      ['2026-11-01', 1, 1, 2],
    ]);

    // By scene over the range, most follows first, then by scene; as CSV too (what the console's sources chart shows).
    const sources = [
      { scene: 'ADD_SCENE_SEARCH', newUser: 2, cancelUser: 1 },
      { scene: 'ADD_SCENE_PROFILE_CARD', newUser: 1, cancelUser: 0 },
      { scene: 'ADD_SCENE_QR_CODE', newUser: 1, cancelUser: 1 },
    ];
    expect(await stats(owner, account.id, 'followers/sources', 'from=2026-10-30&to=2026-11-02')).toEqual(sources);
    expect(await stats(owner, account.id, 'followers/sources', 'from=2026-11-01&to=2026-11-02')).toEqual([{ scene: 'ADD_SCENE_SEARCH', newUser: 1, cancelUser: 1 }]);
    const sourcesCsv = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/followers/sources?from=2026-10-30&to=2026-11-02&format=csv`, headers: owner.headers });
    expect(sourcesCsv.body).toBe(['scene,newUser,cancelUser', ...sources.map((row) => `${row.scene},${row.newUser},${row.cancelUser}`)].join('\r\n') + '\r\n');

    // Whole periods: a range that ends on Oct 31 still gives its week in full, Nov 1 included (Oct 26 – Nov 1).
    const byWeek = await stats(owner, account.id, 'followers', 'from=2026-10-31&to=2026-10-31&granularity=week');
    expect(byWeek.map((row) => [row.refDate, row.newUser, row.cancelUser, row.cumulateUser])).toEqual([['2026-10-26', 4, 2, 2]]);

    const activity = await stats(owner, account.id, 'activation', 'from=2026-10-31&to=2026-11-01');
    expect(activity).toEqual([
      {
        refDate: '2026-10-31',
        msgUser: 2,
        msgCount: 8,
        avgPerUser: 4,
        byType: [
          { msgType: 'image', msgUser: 1, msgCount: 1 },
          { msgType: 'text', msgUser: 2, msgCount: 7 },
        ],
        distribution: { '0': 0, '1-5': 1, '6-10': 1, '>10': 0 },
      },
      {
        refDate: '2026-11-01',
        msgUser: 2,
        msgCount: 2,
        avgPerUser: 1,
        byType: [{ msgType: 'text', msgUser: 2, msgCount: 2 }],
        distribution: { '0': 0, '1-5': 2, '6-10': 0, '>10': 0 },
      },
    ]);
    // Over the two days as one month each: b wrote on both days and is one sender of those (7 messages, 6–10).
    const monthly = await stats(owner, account.id, 'activation', 'from=2026-10-31&to=2026-11-01&granularity=month');
    expect(monthly.map((row) => [row.refDate, row.msgUser, row.msgCount, row.distribution])).toEqual([
      ['2026-10-01', 2, 8, { '0': 0, '1-5': 1, '6-10': 1, '>10': 0 }],
      ['2026-11-01', 2, 2, { '0': 0, '1-5': 2, '6-10': 0, '>10': 0 }],
    ]);
    const weekly = await stats(owner, account.id, 'activation', 'from=2026-10-31&to=2026-11-01&granularity=week');
    // Oct 31 (Saturday) and Nov 1 (Sunday) are one ISO week, starting Monday Oct 26: a, b and c wrote in it.
    // a wrote and left: 2 followers at the end of the week less 3 senders is not below 0.
    expect(weekly.map((row) => [row.refDate, row.msgUser, row.msgCount, row.distribution])).toEqual([['2026-10-26', 3, 10, { '0': 0, '1-5': 2, '6-10': 1, '>10': 0 }]]);

    // On Nov 2 d follows and nobody writes: three followers sent no message; over the month b and c wrote, d did not.
    const d = await createWechatUser(ctx.app);
    await follow(ctx.app, d, account.appid);
    await worker().statsFolder.catchUp();
    expect((await stats(owner, account.id, 'activation', 'from=2026-11-02&to=2026-11-02'))[0]).toMatchObject({ msgUser: 0, distribution: { '0': 3, '1-5': 0 } });
    expect((await stats(owner, account.id, 'activation', 'from=2026-11-02&to=2026-11-02&granularity=month'))[0]).toMatchObject({ msgUser: 2, distribution: { '0': 1, '1-5': 2 } });
  });

  it('equals a recount from the events after a random stream of follows, unfollows, refollows, messages, reads and shares across midnights', async () => {
    const { owner, account } = await setup();
    // A few profiles, so that every attribute has several values (and 'unknown' for a blank one).
    const profiles = [
      { gender: 1, language: 'zh_CN', country: '中国', province: '广东', city: '深圳' },
      { gender: 2, language: 'en', country: '中国', province: '北京', city: '北京' },
      { gender: 0, language: 'zh_TW', country: '美国', province: '', city: '' },
    ];
    const users = await Promise.all(Array.from({ length: 8 }, (_, i) => createWechatUser(ctx.app, profiles[i % profiles.length])));
    const following = new Set<number>();
    let seed = 11;
    const random = (n: number) => (seed = (seed * 48_271) % 2_147_483_647) % n;
    let at = Date.parse('2026-09-28T10:00:00Z');
    const scenes = ['ADD_SCENE_SEARCH', 'ADD_SCENE_QR_CODE', 'ADD_SCENE_PROFILE_CARD'];
    // A news broadcast of two articles for anyone (followers or not) to read, share and favourite.
    ctx.clock.set(new Date(at).toISOString());
    await follow(ctx.app, users[0]!, account.appid);
    following.add(0);
    const sent = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: newsMessage(2) });
    expect(sent.statusCode, sent.body).toBe(202);
    const msgDataId = (await waitForFinish(ctx.app, owner, account.id, sent.json().id)).msgDataId as number;
    const sources = ['session', 'moments', 'friends', 'history'];
    const engage = async (user: WechatUserSession) => {
      const action = (['read', 'read', 'original', 'share', 'favorite'] as const)[random(5)];
      const payload = { appid: account.appid, msgDataId, articleIndex: 1 + random(2), action, source: sources[random(sources.length)] };
      const extra = action === 'share' ? { shareScene: ['friend', 'moments', 'other'][random(3)] } : {};
      const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: user.headers, payload: { ...payload, ...extra } });
      expect(response.statusCode, response.body).toBe(201);
    };
    for (let step = 0; step < 220; step++) {
      at += random(4) * 3_600_000 + random(3_600) * 1000; // 0–4 hours on: midnights and a month end are crossed
      ctx.clock.set(new Date(at).toISOString());
      const i = random(users.length);
      const user = users[i]!;
      const roll = random(10);
      if (roll >= 7) await engage(user);
      else if (!following.has(i) || roll === 0) {
        if (following.has(i)) {
          await unfollow(ctx.app, user, account.appid);
          following.delete(i);
        } else {
          await follow(ctx.app, user, account.appid, scenes[random(scenes.length)]);
          following.add(i);
        }
      } else {
        await say(user, account, roll < 2 ? 'image' : roll < 3 ? 'video' : roll < 4 ? 'shortvideo' : roll < 5 ? 'link' : 'text');
      }
      // Fold now and then, so rollups are added to in many small steps, as in production.
      if (step % 37 === 0) await worker().statsFolder.catchUp();
    }
    await worker().statsFolder.catchUp();

    const recount = async () => ({
      follows: (
        await db().execute(sql`
        SELECT (occurred_at AT TIME ZONE 'Asia/Shanghai')::date::text AS day, scene,
               count(*) FILTER (WHERE kind = 'subscribe')::int AS new_user, count(*) FILTER (WHERE kind = 'unsubscribe')::int AS cancel_user
        FROM follow_events WHERE account_id = ${account.id} GROUP BY 1, 2 ORDER BY 1, 2`)
      ).rows,
      messages: await messagePeriodRecount(account.id),
    });
    const rollups = async () => ({
      follows: (
        await db().execute(sql`
        SELECT day::text, s.key AS scene, (s.value->>0)::int AS new_user, (s.value->>1)::int AS cancel_user
        FROM stats_follow_daily CROSS JOIN LATERAL jsonb_each(by_scene) AS s
        WHERE account_id = ${account.id} ORDER BY 1, 2`)
      ).rows,
      messages: await messagePeriodRollups(account.id),
    });
    // Engagement: per article and day (users that day, events, users new to the article), per channel and day, and
    // per hour by channel and by article, each as a recount from the events gives it.
    // Attributes: followers gained less lost per Shanghai day, and per month, by attribute and value.
    const attributeRecount = async () => {
      const days = (
        await db().execute<{ day: string; attribute: string; value: string; delta: number }>(sql`
        SELECT (e.occurred_at AT TIME ZONE 'Asia/Shanghai')::date::text AS day, a.attribute, a.value,
               sum(CASE WHEN e.kind = 'subscribe' THEN 1 ELSE -1 END)::int AS delta
        FROM follow_events e JOIN wechat_users u ON u.id = e.wechat_user_id
        CROSS JOIN LATERAL unnest(ARRAY['gender', 'language', 'country', 'province', 'city'],
          ARRAY[CASE u.gender WHEN 1 THEN 'male' WHEN 2 THEN 'female' ELSE 'unknown' END, coalesce(nullif(u.language, ''), 'unknown'),
                coalesce(nullif(u.country, ''), 'unknown'), coalesce(nullif(u.province, ''), 'unknown'), coalesce(nullif(u.city, ''), 'unknown')]) AS a(attribute, value)
        WHERE e.account_id = ${account.id} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`)
      ).rows;
      const months = new Map<string, { month_start: string; attribute: string; value: string; delta: number }>();
      for (const { day, attribute, value, delta } of days) {
        const key = `${day.slice(0, 7)}-01 ${attribute} ${value}`;
        const month = months.get(key) ?? { month_start: `${day.slice(0, 7)}-01`, attribute, value, delta: 0 };
        months.set(key, { ...month, delta: month.delta + delta });
      }
      return { days, months: [...months.keys()].sort().map((key) => months.get(key)!) };
    };
    const attributeRollups = async () => ({
      days: (await db().execute(sql`SELECT day::text, attribute, value, delta FROM stats_attribute_daily WHERE account_id = ${account.id} ORDER BY 1, 2, 3`)).rows,
      months: (
        await db().execute(sql`
        SELECT month_start::text, attribute, value, delta FROM stats_attribute_monthly WHERE account_id = ${account.id} ORDER BY 1, attribute COLLATE "C", value COLLATE "C"`)
      ).rows,
    });
    const expected = await recount();
    expect(await hourlyMessageRollups(account.id)).toEqual(await hourlyMessageRecount(account.id));
    expect(await engagementRollups(account.id)).toEqual(await engagementRecount(account.id));
    expect((await engagementRecount(account.id)).perArticle.length).toBeGreaterThan(10);
    expect(expected.follows.length).toBeGreaterThan(5);
    expect(expected.messages.length).toBeGreaterThan(5);
    // The stream moves senders past 5 and past 10 in a period (where their counts stop), and covers both of WeChat's
    // combined types.
    expect(expected.messages.some((row) => (row.b2 as number) > 0)).toBe(true);
    expect(expected.messages.some((row) => (row.b3 as number) > 0)).toBe(true);
    expect(expected.messages.some((row) => row.msg_type === 'wechat:4') && expected.messages.some((row) => row.msg_type === 'wechat:6')).toBe(true);
    expect(await rollups()).toEqual(expected);
    const attributes = await attributeRecount();
    expect(new Set(attributes.months.map((row) => row.month_start)).size).toBeGreaterThan(1);
    expect(await attributeRollups()).toEqual(attributes);
    // The route's cumulative figure is the number following now; the recount command changes nothing.
    const today = new Date(at + 8 * 3_600_000).toISOString().slice(0, 10);
    const [last] = (await stats(owner, account.id, 'followers', `from=${today}&to=${today}`)).slice(-1);
    expect(last!.cumulateUser).toBe(following.size);
    // Follower attributes at the end of every day of the stream (inside months, at the month end, the day after) are
    // the followers a recount of that day's and earlier days' events gives.
    const nextDay = (day: string) => new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
    for (let day = attributes.days[0]!.day; day <= today; day = nextDay(day)) {
      const counted = new Map<string, number>();
      for (const row of attributes.days) {
        const key = `${row.attribute}:${row.value}`;
        if (row.day <= day) counted.set(key, (counted.get(key) ?? 0) + row.delta);
      }
      const answer = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/attributes?date=${day}&top=100`, headers: owner.headers });
      expect(answer.statusCode, answer.body).toBe(200);
      const items = answer.json().items as Array<{ attribute: string; value: string; followers: number }>;
      expect(items.map((item) => `${item.attribute}:${item.value}=${item.followers}`).sort(), day).toEqual(
        [...counted].filter(([, followers]) => followers > 0).map(([key, followers]) => `${key}=${followers}`).sort(),
      );
    }
    await recountAccount(db(), account.id, 'Asia/Shanghai');
    expect(await rollups()).toEqual(expected);
    expect(await attributeRollups()).toEqual(attributes);
    expect(await engagementRollups(account.id)).toEqual(await engagementRecount(account.id));
  });

  it('counts a sender once per hour and key, and chatty senders past the cap once per week and month, however the folds fall, late messages included', async () => {
    const { owner, account } = await setup();
    const users = await Promise.all(Array.from({ length: 3 }, () => createWechatUser(ctx.app)));
    for (const user of users) await follow(ctx.app, user, account.appid);
    let seed = 7;
    const random = (n: number) => (seed = (seed * 48_271) % 2_147_483_647) % n;
    const types = ['text', 'image', 'video', 'shortvideo', 'link'] as const;
    let at = Date.parse('2026-10-31T14:00:00Z'); // 22:00 in Shanghai: the stream crosses a midnight and a month end
    for (let step = 0; step < 90; step++) {
      at += random(25) * 60_000 + random(60) * 1000;
      // Now and then a message written late: an hour or two back, after later ones were folded.
      const late = random(8) === 0 ? (1 + random(2)) * 3_600_000 : 0;
      ctx.clock.set(new Date(at - late).toISOString());
      // The first sender sends only texts: past the 11 where their day's count stops, into new hours.
      const sender = random(users.length);
      await say(users[sender]!, account, sender === 0 ? 'text' : types[random(types.length)]);
      // Mostly a fold after each message or two, so that one sender's hour is added to across many folds.
      if (random(3) > 0) await worker().statsFolder.catchUp();
    }
    await worker().statsFolder.catchUp();
    const recounted = await hourlyMessageRecount(account.id);
    // The stream repeats senders within an hour, in every key, and over more than one day.
    expect(recounted.some((row) => row.key === 'all' && (row.count as number) > (row.users as number) && (row.users as number) > 1)).toBe(true);
    expect(recounted.some((row) => row.key === 'wechat:4' && (row.count as number) > (row.users as number))).toBe(true);
    expect(new Set(recounted.map((row) => row.day)).size).toBeGreaterThan(1);
    const chatty = await db().execute<{ messages: number; hours: number }>(sql`
      SELECT count(*)::int AS messages, count(DISTINCT extract(hour FROM occurred_at AT TIME ZONE 'Asia/Shanghai'))::int AS hours
      FROM messages WHERE account_id = ${account.id} AND wechat_user_id = ${users[0]!.userId}
      GROUP BY (occurred_at AT TIME ZONE 'Asia/Shanghai')::date ORDER BY 1 DESC LIMIT 1`);
    expect(chatty.rows[0]!.messages).toBeGreaterThan(15);
    expect(chatty.rows[0]!.hours).toBeGreaterThan(5);
    expect(await hourlyMessageRollups(account.id)).toEqual(recounted);
    // Past the cap in a day, a sender's week and month are not looked up again (they are past it too) while the
    // batch adds only types the day is past the cap in; a new type, or a late message of another day, is looked up.
    expect(await messagePeriodRollups(account.id)).toEqual(await messagePeriodRecount(account.id));
    expect(await senderPeriodRollups(account.id)).toEqual(await senderPeriodRecount(account.id));
    // The routes read them so: the activation by hour of the first day.
    const hours = await stats(owner, account.id, 'activation/hourly', 'date=2026-10-31');
    const first = recounted.filter((row) => row.day === '2026-10-31' && row.key === 'all');
    expect(hours.filter((hour) => (hour.msgCount as number) > 0).map((hour) => [hour.refHour, hour.msgUser, hour.msgCount])).toEqual(
      first.map((row) => [row.hour, row.users, row.count]),
    );
    // A recount gives the same hours.
    await recountAccount(db(), account.id, 'Asia/Shanghai');
    expect(await hourlyMessageRollups(account.id)).toEqual(recounted);
    expect(await messagePeriodRollups(account.id)).toEqual(await messagePeriodRecount(account.id));
  });

  it("counts a sender past the cap into a new type, and a late message beside a new day's, in the week and month", async () => {
    const { owner, account } = await setup();
    const [chatty, quiet] = await Promise.all([createWechatUser(ctx.app), createWechatUser(ctx.app)]);
    for (const user of [chatty, quiet]) await follow(ctx.app, user!, account.appid);
    // Wednesday 4 November 2026 in Shanghai, then the Thursday: one ISO week, one month.
    const at = (time: string) => ctx.clock.set(new Date(`${time}+08:00`).toISOString());
    const fold = () => worker().statsFolder.catchUp();
    at('2026-11-04T09:00:00');
    for (let i = 0; i < 12; i++) await say(chatty!, account, 'text');
    await fold();
    // Past the cap in all, but new to images: the week and month gain an image sender.
    at('2026-11-04T10:00:00');
    await say(chatty!, account, 'image');
    await fold();
    // Past the cap in all and in texts: nothing moves in the week and month but the messages.
    at('2026-11-04T11:00:00');
    await say(chatty!, account, 'text');
    await say(quiet!, account, 'text');
    await fold();
    // One batch: a late text of the Wednesday (settled) and the Thursday's first video (not): the week and month
    // gain a video sender.
    at('2026-11-05T08:00:00');
    await say(chatty!, account, 'video');
    at('2026-11-04T23:30:00');
    await say(chatty!, account, 'text');
    await fold();
    // The quiet sender past the cap over two days of the week, not in either: the week's bucket moves.
    for (const time of ['2026-11-04T12:00:00', '2026-11-05T12:00:00']) {
      at(time);
      for (let i = 0; i < 6; i++) await say(quiet!, account, 'link');
      await fold();
    }
    // Per type, a sender past the cap in another type moving into it on the same day (the check of that type in
    // what makes a day settled): the week and month gain a sender of the type, and of WeChat's combined type.
    at('2026-11-05T13:00:00');
    const movers = await Promise.all(MESSAGE_TYPES.map(() => createWechatUser(ctx.app)));
    for (const [index, type] of MESSAGE_TYPES.entries()) {
      await follow(ctx.app, movers[index]!, account.appid);
      for (let i = 0; i < 11; i++) await say(movers[index]!, account, type === 'text' ? 'image' : 'text');
    }
    await fold();
    at('2026-11-05T14:00:00');
    for (const [index, type] of MESSAGE_TYPES.entries()) await say(movers[index]!, account, type);
    await fold();
    // At 11 in all but 10 in texts, a day is not settled by another text: its week and month reach 11 texts too.
    const edge = await createWechatUser(ctx.app);
    await follow(ctx.app, edge, account.appid);
    at('2026-11-05T15:00:00');
    await say(edge, account, 'image');
    for (let i = 0; i < 10; i++) await say(edge, account, 'text');
    await fold();
    await say(edge, account, 'text');
    await fold();
    expect(await senderPeriodRollups(account.id)).toEqual(await senderPeriodRecount(account.id));
    const recounted = await messagePeriodRecount(account.id);
    const row = (period: string, start: string, type: string) => recounted.find((r) => r.period === period && r.start === start && r.msg_type === type);
    // Senders of each type in the week and the month: the chatty one (texts, an image, a video), the quiet one (a
    // text, links), the movers (texts, or images for the one moving to texts, then their new type) and the edge one.
    const senders = { text: 10, image: 4, voice: 1, video: 2, shortvideo: 1, location: 1, link: 2, 'wechat:4': 3, 'wechat:6': 3 };
    for (const [period, start] of [['week', '2026-11-02'], ['month', '2026-11-01']]) {
      for (const [type, msgUser] of Object.entries(senders)) expect(row(period!, start!, type), `${period} ${type}`).toMatchObject({ msg_user: msgUser });
    }
    for (const [period, start] of [['week', '2026-11-02'], ['month', '2026-11-01']]) {
      expect(row(period!, start!, 'all')).toMatchObject({ msg_user: 10, msg_count: 29 + 7 * 12 + 12, b1: 0, b2: 0, b3: 10 });
    }
    expect(await messagePeriodRollups(account.id)).toEqual(recounted);
    const weeks = await stats(owner, account.id, 'activation', 'from=2026-11-02&to=2026-11-05&granularity=week');
    expect(weeks[0]).toMatchObject({ refDate: '2026-11-02', msgUser: 10, msgCount: 125, distribution: { '1-5': 0, '6-10': 0, '>10': 10 } });
    await recountAccount(db(), account.id, 'Asia/Shanghai');
    expect(await messagePeriodRollups(account.id)).toEqual(recounted);
    expect(await senderPeriodRollups(account.id)).toEqual(await senderPeriodRecount(account.id));
  });

  it('counts a reader once per hour, channel and article however the folds fall, late engagements included', async () => {
    const { owner, account } = await setup();
    const users = await Promise.all(Array.from({ length: 3 }, () => createWechatUser(ctx.app)));
    for (const user of users) await follow(ctx.app, user, account.appid);
    let at = Date.parse('2026-10-31T14:00:00Z'); // 22:00 in Shanghai: the stream crosses a midnight and a month end
    ctx.clock.set(new Date(at).toISOString());
    const sent = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: newsMessage(2) });
    expect(sent.statusCode, sent.body).toBe(202);
    const msgDataId = (await waitForFinish(ctx.app, owner, account.id, sent.json().id)).msgDataId as number;
    let seed = 5;
    const random = (n: number) => (seed = (seed * 48_271) % 2_147_483_647) % n;
    for (let step = 0; step < 90; step++) {
      at += random(25) * 60_000 + random(60) * 1000;
      // Now and then an engagement written late: an hour or two back, after later ones were folded.
      const late = random(8) === 0 ? (1 + random(2)) * 3_600_000 : 0;
      ctx.clock.set(new Date(at - late).toISOString());
      const action = (['read', 'read', 'original', 'share', 'favorite'] as const)[random(5)];
      const payload = { appid: account.appid, msgDataId, articleIndex: 1 + random(2), action, source: ['session', 'moments'][random(2)], ...(action === 'share' ? { shareScene: 'friend' } : {}) };
      const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: users[random(users.length)]!.headers, payload });
      expect(response.statusCode, response.body).toBe(201);
      // Mostly a fold after each engagement or two, so that one reader's hour is added to across many folds.
      if (random(3) > 0) await worker().statsFolder.catchUp();
    }
    await worker().statsFolder.catchUp();
    const recounted = await engagementRecount(account.id);
    // The stream repeats readers within an hour, by channel and by article, and over more than one day.
    const repeated = (metric: string) => recounted.hourly.some((row) => row.metric === metric && (row.count as number) > (row.users as number) && (row.users as number) > 1);
    expect(repeated('read') && repeated('article:read')).toBe(true);
    expect(new Set(recounted.hourly.map((row) => row.day)).size).toBeGreaterThan(1);
    expect(await engagementRollups(account.id)).toEqual(recounted);
    // A recount gives the same figures.
    await recountAccount(db(), account.id, 'Asia/Shanghai');
    expect(await engagementRollups(account.id)).toEqual(recounted);
  });

  it("moves a reader's first day with an article back when a late engagement of an earlier day is folded beside one of a day already counted", async () => {
    const { owner, account } = await setup();
    const reader = await createWechatUser(ctx.app);
    await follow(ctx.app, reader, account.appid);
    ctx.clock.set('2026-10-31T14:00:00Z'); // 22:00 on Oct 31 in Shanghai
    const sent = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: newsMessage(1) });
    expect(sent.statusCode, sent.body).toBe(202);
    const msgDataId = (await waitForFinish(ctx.app, owner, account.id, sent.json().id)).msgDataId as number;
    const read = async (at: string) => {
      ctx.clock.set(at);
      const payload = { appid: account.appid, msgDataId, articleIndex: 1, action: 'read', source: 'session' };
      const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: reader.headers, payload });
      expect(response.statusCode, response.body).toBe(201);
    };
    const readersToDate = async () => {
      ctx.clock.set('2026-11-01T12:00:00Z');
      const items = (await stats(owner, account.id, `articles/${msgDataId}`, '')) as Array<{ refDate: string; intPageReadUser: number }>;
      return Object.fromEntries(items.map((item) => [item.refDate, item.intPageReadUser]));
    };
    // First counted on Nov 1 (01:00 in Shanghai).
    await read('2026-10-31T17:00:00Z');
    await worker().statsFolder.catchUp();
    expect(await readersToDate()).toEqual({ '2026-10-31': 0, '2026-11-01': 1 });
    // In one fold: a read of Oct 31 written late (23:30), and one more of Nov 1, a day the reader was counted on.
    await read('2026-10-31T15:30:00Z');
    await read('2026-10-31T18:00:00Z');
    await worker().statsFolder.catchUp();
    expect(await readersToDate()).toEqual({ '2026-10-31': 1, '2026-11-01': 1 });
    // Then reads of both days, each a day the reader was counted on: the first day stays.
    await read('2026-10-31T15:45:00Z');
    await read('2026-10-31T18:30:00Z');
    await worker().statsFolder.catchUp();
    expect(await readersToDate()).toEqual({ '2026-10-31': 1, '2026-11-01': 1 });
    expect(await engagementRollups(account.id)).toEqual(await engagementRecount(account.id));
  });

  it("tells a folder's observer of each fold that folded events: its source, the events and its time", async () => {
    const { account } = await setup();
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    await worker().statsFolder.catchUp();
    const folds: Array<{ source: string; folded: number; ms: number }> = [];
    const folder = startStatsFolder(ctx.deps, { onFold: (source, outcome, ms) => folds.push({ source, folded: outcome.folded, ms }) });
    try {
      await folder.catchUp();
      expect(folds).toEqual([]); // nothing new: folds that fold nothing are not told
      await say(user, account);
      await say(user, account, 'image');
      await folder.catchUp();
      expect(folds.map(({ source, folded }) => ({ source, folded }))).toEqual([{ source: 'messages', folded: 2 }]);
      expect(folds[0]!.ms).toBeGreaterThan(0);
    } finally {
      await folder.close();
    }
  });

  it('waits for an event whose transaction took its id and has not committed, and passes one that rolled back', async () => {
    const { owner, account } = await setup();
    const [early, late] = [await createWechatUser(ctx.app), await createWechatUser(ctx.app)];
    ctx.clock.set('2026-12-01T04:00:00Z');
    await follow(ctx.app, early, account.appid);
    await follow(ctx.app, late, account.appid);
    await worker().statsFolder.catchUp();
    const row = (await db().execute<{ followerId: number; wechatUserId: number }>(sql`
      SELECT id AS "followerId", wechat_user_id AS "wechatUserId" FROM followers WHERE account_id = ${account.id} ORDER BY id LIMIT 1`)).rows[0]!;
    const insertMessage = (client: pg.Client) =>
      client.query(
        `INSERT INTO messages (msg_id, account_id, follower_id, wechat_user_id, msg_type, body, occurred_at)
         VALUES (nextval('message_msg_id_seq'), $1, $2, $3, 'text', '{"Content":"x"}', '2026-12-01T04:00:00Z')`,
        [account.id, row.followerId, row.wechatUserId],
      );
    const slow = new pg.Client({ connectionString: ctx.config.databaseUrl });
    const rolledBack = new pg.Client({ connectionString: ctx.config.databaseUrl });
    await Promise.all([slow.connect(), rolledBack.connect()]);
    try {
      // Two transactions take ids and hold them; a message after them commits.
      await slow.query('BEGIN');
      await insertMessage(slow);
      await rolledBack.query('BEGIN');
      await insertMessage(rolledBack);
      await say(late, account);
      const messagesOn = async () =>
        (await stats(owner, account.id, 'activation', 'from=2026-12-01&to=2026-12-01'))[0]!.msgCount;
      await worker().statsFolder.catchUp();
      await worker().statsFolder.catchUp();
      // The committed message waits behind the held ids: counting it now would skip them for good.
      expect(await messagesOn()).toBe(0);
      await slow.query('COMMIT');
      await rolledBack.query('ROLLBACK');
      // The rolled-back id is passed once every transaction that could hold it has ended: two folds prove it.
      for (let i = 0; i < 3; i++) await worker().statsFolder.catchUp();
      expect(await messagesOn()).toBe(2);
    } finally {
      await Promise.all([slow.end(), rolledBack.end()]);
    }
  });

  it('counts article reads, original-link reads, shares and favourites per article and day, distinct readers apart from reads', async () => {
    const { owner, account } = await setup();
    const [a, b, c] = [await createWechatUser(ctx.app), await createWechatUser(ctx.app), await createWechatUser(ctx.app)];
    const outsider = await createWechatUser(ctx.app); // reached by a share; does not follow
    ctx.clock.set('2026-10-31T14:00:00Z'); // Oct 31, 22:00 in Shanghai
    for (const user of [a, b, c]) await follow(ctx.app, user, account.appid);
    const sent = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: newsMessage(2) });
    expect(sent.statusCode, sent.body).toBe(202);
    const finished = await waitForFinish(ctx.app, owner, account.id, sent.json().id);
    const msgDataId = finished.msgDataId as number;
    const engage = async (user: WechatUserSession, articleIndex: number, action: string, extra: Record<string, string> = {}) => {
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/client/v1/engagements',
        headers: user.headers,
        payload: { appid: account.appid, msgDataId, articleIndex, action, ...extra },
      });
      expect(response.statusCode, response.body).toBe(201);
    };
    ctx.clock.set('2026-10-31T15:00:00Z'); // Oct 31, 23:00
    await engage(a, 1, 'read');
    await engage(a, 1, 'read');
    await engage(b, 1, 'read', { source: 'moments' });
    await engage(outsider, 1, 'read', { source: 'friends' });
    await engage(a, 1, 'original');
    await engage(a, 1, 'share', { shareScene: 'moments' });
    await engage(b, 1, 'share', { shareScene: 'friend' });
    await engage(b, 1, 'share', { shareScene: 'friend' });
    await engage(c, 2, 'favorite');
    ctx.clock.set('2026-10-31T16:30:00Z'); // Nov 1, 00:30
    await engage(a, 1, 'read');
    await engage(c, 2, 'read');
    ctx.clock.set('2026-11-02T04:00:00Z');
    await worker().statsFolder.catchUp();

    const none = { intPageReadUser: 0, intPageReadCount: 0, oriPageReadUser: 0, oriPageReadCount: 0, shareUser: 0, shareCount: 0, addToFavUser: 0, addToFavCount: 0 };
    const articles = await stats(owner, account.id, 'articles', 'from=2026-10-31&to=2026-11-01');
    expect(articles.map(({ title: _title, ...row }) => row)).toEqual([
      { refDate: '2026-10-31', msgDataId, articleIndex: 1, ...none, intPageReadUser: 3, intPageReadCount: 4, oriPageReadUser: 1, oriPageReadCount: 1, shareUser: 2, shareCount: 3 },
      { refDate: '2026-10-31', msgDataId, articleIndex: 2, ...none, addToFavUser: 1, addToFavCount: 1 },
      { refDate: '2026-11-01', msgDataId, articleIndex: 1, ...none, intPageReadUser: 1, intPageReadCount: 1 },
      { refDate: '2026-11-01', msgDataId, articleIndex: 2, ...none, intPageReadUser: 1, intPageReadCount: 1 },
    ]);
    expect(articles[0]!.title).toBe('Article 1');
    // A range after the send day (titles are read for the broadcasts with figures in the range): still titled.
    expect((await stats(owner, account.id, 'articles', 'from=2026-11-01&to=2026-11-02')).map((row) => [row.articleIndex, row.title])).toEqual([
      [1, 'Article 1'],
      [2, 'Article 2'],
    ]);

    // To date: a, who read on both days, is one reader of article 1.
    const totals = await stats(owner, account.id, `articles/${msgDataId}`, '');
    expect(totals.map((row) => [row.refDate, row.articleIndex, row.targetUser, row.intPageReadUser, row.intPageReadCount, row.shareUser, row.addToFavUser])).toEqual([
      ['2026-10-31', 1, 3, 3, 4, 2, 0],
      ['2026-11-01', 1, 3, 3, 5, 2, 0],
      ['2026-11-02', 1, 3, 3, 5, 2, 0],
      ['2026-10-31', 2, 3, 0, 0, 0, 1],
      ['2026-11-01', 2, 3, 1, 1, 0, 1],
      ['2026-11-02', 2, 3, 1, 1, 0, 1],
    ]);

    // Per hour of one day, per article: everything on Oct 31 fell in its 23rd hour, Nov 1's reads in the first.
    const hourly = await stats(owner, account.id, `articles/${msgDataId}/hourly`, 'date=2026-10-31');
    expect(hourly).toHaveLength(48);
    expect(hourly.filter((row) => row.refHour !== 23).every((row) => row.intPageReadCount === 0 && row.addToFavCount === 0)).toBe(true);
    expect(hourly.filter((row) => row.refHour === 23).map(({ title: _title, ...row }) => row)).toEqual([
      { refDate: '2026-10-31', refHour: 23, articleIndex: 1, ...none, intPageReadUser: 3, intPageReadCount: 4, oriPageReadUser: 1, oriPageReadCount: 1, shareUser: 2, shareCount: 3 },
      { refDate: '2026-10-31', refHour: 23, articleIndex: 2, ...none, addToFavUser: 1, addToFavCount: 1 },
    ]);
    const nextDay = await stats(owner, account.id, `articles/${msgDataId}/hourly`, 'date=2026-11-01');
    expect(nextDay.filter((row) => (row.intPageReadCount as number) > 0).map((row) => [row.refHour, row.articleIndex, row.intPageReadUser, row.intPageReadCount])).toEqual([
      [0, 1, 1, 1],
      [0, 2, 1, 1],
    ]);
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/articles/12345/hourly`, headers: owner.headers }), 404, 'ARTICLE_NOT_FOUND');

    const reads = await stats(owner, account.id, 'reads', 'from=2026-10-31&to=2026-11-01');
    expect(reads[0]).toEqual({
      refDate: '2026-10-31',
      ...none,
      intPageReadUser: 3,
      intPageReadCount: 4,
      oriPageReadUser: 1,
      oriPageReadCount: 1,
      shareUser: 2,
      shareCount: 3,
      addToFavUser: 1,
      addToFavCount: 1,
      // The shares were made from articles opened in the session (the default source).
      bySource: [
        { userSource: 'friends', ...none, intPageReadUser: 1, intPageReadCount: 1 },
        { userSource: 'moments', ...none, intPageReadUser: 1, intPageReadCount: 1 },
        { userSource: 'session', ...none, intPageReadUser: 1, intPageReadCount: 2, oriPageReadUser: 1, oriPageReadCount: 1, shareUser: 2, shareCount: 3, addToFavUser: 1, addToFavCount: 1 },
      ],
      byShareScene: [
        { shareScene: 'friend', shareUser: 1, shareCount: 2 },
        { shareScene: 'moments', shareUser: 1, shareCount: 1 },
      ],
    });
    expect(reads[1]).toMatchObject({ refDate: '2026-11-01', intPageReadUser: 2, intPageReadCount: 2, shareUser: 0 });

    // The rollups equal a recount from the events, and engagement is per day only.
    const recount = await db().execute(sql`
      SELECT (occurred_at AT TIME ZONE 'Asia/Shanghai')::date::text AS day, action::text, count(DISTINCT wechat_user_id)::int AS users, count(*)::int AS count
      FROM article_engagements WHERE account_id = ${account.id} GROUP BY 1, 2 ORDER BY 1, 2`);
    const rolled = await db().execute(sql`
      SELECT r.day::text, a.action, a.users, a.count
      FROM stats_read_days r
      CROSS JOIN LATERAL (VALUES ('read', r.read_users, r.read_count), ('original', r.original_users, r.original_count),
                                 ('share', r.share_users, r.share_count), ('favorite', r.favorite_users, r.favorite_count)) AS a(action, users, count)
      WHERE r.account_id = ${account.id} AND r.channel = 'all' AND (a.users, a.count) <> (0, 0) ORDER BY 1, 2`);
    expect(rolled.rows).toEqual(recount.rows);
    expectProblem(
      await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/reads?from=2026-10-31&to=2026-11-01&granularity=week`, headers: owner.headers }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/articles/12345`, headers: owner.headers }), 404, 'ARTICLE_NOT_FOUND');

    // A read of an earlier day folded after a later one (ids need not follow occurred_at, as in seeded history): c,
    // whose first read of article 2 was folded as Nov 1, read it on Oct 31 too; the first day moves back.
    const cFollower = (await db().execute<{ id: number }>(sql`SELECT id FROM followers WHERE account_id = ${account.id} AND wechat_user_id = ${c.userId}`)).rows[0]!;
    await db().execute(sql`
      INSERT INTO article_engagements (account_id, msg_data_id, article_index, wechat_user_id, follower_id, was_follower, action, source, occurred_at)
      VALUES (${account.id}, ${msgDataId}, 2, ${c.userId}, ${cFollower.id}, true, 'read', 'session', '2026-10-31T15:30:00Z')`);
    await worker().statsFolder.catchUp();
    const article2 = (await stats(owner, account.id, `articles/${msgDataId}`, '')).filter((row) => row.articleIndex === 2);
    expect(article2.map((row) => [row.refDate, row.intPageReadUser, row.intPageReadCount])).toEqual([
      ['2026-10-31', 1, 1],
      ['2026-11-01', 1, 2],
      ['2026-11-02', 1, 2],
    ]);
  });

  it("answers WeChat's datacube views from the same rollups, in WeChat's names and codes, with its spans and errors", async () => {
    const { owner, account } = await setup();
    const [a, b] = [await createWechatUser(ctx.app), await createWechatUser(ctx.app)];
    ctx.clock.set('2026-10-31T02:00:00Z'); // Oct 31, 10:00 in Shanghai
    await follow(ctx.app, a, account.appid, 'ADD_SCENE_QR_CODE');
    await follow(ctx.app, b, account.appid, 'ADD_SCENE_SEARCH');
    await say(a, account);
    await say(a, account, 'image');
    await say(b, account);
    const sent = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: newsMessage(1) });
    expect(sent.statusCode, sent.body).toBe(202);
    const msgDataId = (await waitForFinish(ctx.app, owner, account.id, sent.json().id)).msgDataId as number;
    const engage = (user: WechatUserSession, action: string, extra: Record<string, string> = {}) =>
      ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: user.headers, payload: { appid: account.appid, msgDataId, articleIndex: 1, action, ...extra } });
    expect((await engage(a, 'read', { source: 'moments' })).statusCode).toBe(201);
    expect((await engage(b, 'read')).statusCode).toBe(201);
    expect((await engage(b, 'share', { shareScene: 'friend' })).statusCode).toBe(201);
    ctx.clock.set('2026-11-01T02:00:00Z');
    await unfollow(ctx.app, b, account.appid);
    // a reads again from Moments and shares it to Moments from there.
    expect((await engage(a, 'read', { source: 'moments' })).statusCode).toBe(201);
    expect((await engage(a, 'share', { source: 'moments', shareScene: 'moments' })).statusCode).toBe(201);
    await say(a, account);
    await say(a, account, 'video');
    await say(a, account, 'shortvideo');
    ctx.clock.set('2026-11-02T04:00:00Z'); // yesterday is Nov 1
    await worker().statsFolder.catchUp();
    const datacube = ctx.deps.services.datacube;
    const list = async (view: Parameters<typeof datacube.answer>[0], begin: string, end: string) => (await datacube.answer(view, account.id, { begin_date: begin, end_date: end })).list;

    expect(await list('getusersummary', '2026-10-31', '2026-11-01')).toEqual([
      { ref_date: '2026-10-31', user_source: 1, new_user: 1, cancel_user: 0 },
      { ref_date: '2026-10-31', user_source: 30, new_user: 1, cancel_user: 0 },
      { ref_date: '2026-11-01', user_source: 1, new_user: 0, cancel_user: 1 },
    ]);
    expect(await list('getusercumulate', '2026-10-31', '2026-11-01')).toEqual([
      { ref_date: '2026-10-31', user_source: 0, cumulate_user: 2 },
      { ref_date: '2026-11-01', user_source: 0, cumulate_user: 1 },
    ]);
    expect(await list('getupstreammsg', '2026-10-31', '2026-11-01')).toEqual([
      { ref_date: '2026-10-31', msg_type: 1, msg_user: 2, msg_count: 2 },
      { ref_date: '2026-10-31', msg_type: 2, msg_user: 1, msg_count: 1 },
      { ref_date: '2026-11-01', msg_type: 1, msg_user: 1, msg_count: 1 },
      // A video and a short video from one follower: WeChat's type 4, one sender.
      { ref_date: '2026-11-01', msg_type: 4, msg_user: 1, msg_count: 2 },
    ]);
    expect(await list('getupstreammsgweek', '2026-10-31', '2026-11-01')).toEqual([
      { ref_date: '2026-10-26', msg_type: 1, msg_user: 2, msg_count: 3 },
      { ref_date: '2026-10-26', msg_type: 2, msg_user: 1, msg_count: 1 },
      { ref_date: '2026-10-26', msg_type: 4, msg_user: 1, msg_count: 2 },
    ]);
    // The admin API lists our own types only.
    const [nov1] = await stats(owner, account.id, 'activation', 'from=2026-11-01&to=2026-11-01');
    expect((nov1!.byType as Array<{ msgType: string }>).map((type) => type.msgType)).toEqual(['shortvideo', 'text', 'video']);
    expect(await list('getupstreammsgdist', '2026-10-31', '2026-10-31')).toEqual([{ ref_date: '2026-10-31', count_interval: 1, msg_user: 2 }]);
    const read = { int_page_read_user: 2, int_page_read_count: 2, ori_page_read_user: 0, ori_page_read_count: 0, share_user: 1, share_count: 1, add_to_fav_user: 0, add_to_fav_count: 0 };
    expect(await list('getarticlesummary', '2026-10-31', '2026-10-31')).toEqual([{ ref_date: '2026-10-31', msgid: `${msgDataId}_1`, title: 'Article 1', ...read }]);
    const [total] = (await list('getarticletotal', '2026-10-31', '2026-10-31')) as Array<{ msgid: string; details: Array<Record<string, unknown>> }>;
    expect(total!.msgid).toBe(`${msgDataId}_1`);
    expect(total!.details).toMatchObject([
      { stat_date: '2026-10-31', target_user: 2, ...read },
      { stat_date: '2026-11-01', target_user: 2, ...read, int_page_read_count: 3, share_user: 2, share_count: 2 },
    ]);
    // To date by source: b read in the session; a read from Moments on both days (one reader, two reads) and then
    // shared to Moments from there. b's share went to a friend, not to Moments. Every field WeChat documents is there.
    const detail = (day: Record<string, unknown>) => Object.fromEntries(Object.entries(day).filter(([field]) => field.includes('_from_')));
    const nothing = Object.fromEntries(Object.keys(detail(total!.details[0]!)).map((field) => [field, 0]));
    expect(Object.keys(nothing)).toHaveLength(20);
    expect(detail(total!.details[0]!)).toEqual({
      ...nothing,
      int_page_from_session_read_user: 1,
      int_page_from_session_read_count: 1,
      int_page_from_feed_read_user: 1,
      int_page_from_feed_read_count: 1,
    });
    expect(detail(total!.details[1]!)).toEqual({
      ...nothing,
      int_page_from_session_read_user: 1,
      int_page_from_session_read_count: 1,
      int_page_from_feed_read_user: 1,
      int_page_from_feed_read_count: 2,
      feed_share_from_feed_user: 1,
      feed_share_from_feed_cnt: 1,
    });
    const userRead = await list('getuserread', '2026-10-31', '2026-10-31');
    expect(userRead[0]).toEqual({ ref_date: '2026-10-31', user_source: 99_999_999, ...read });
    // Per source: b read in the session and shared from there; a read from moments.
    expect(userRead.slice(1).map((row) => [(row as { user_source: number }).user_source, (row as { int_page_read_user: number }).int_page_read_user, (row as { share_user: number }).share_user])).toEqual([
      [0, 1, 1],
      [2, 1, 0],
    ]);
    expect(await list('getusershare', '2026-10-31', '2026-11-01')).toEqual([
      { ref_date: '2026-10-31', share_scene: 1, share_count: 1, share_user: 1 },
      { ref_date: '2026-11-01', share_scene: 2, share_count: 1, share_user: 1 },
    ]);

    // Hourly: everything on Oct 31 happened at 10:00 in Shanghai.
    expect(await list('getupstreammsghour', '2026-10-31', '2026-10-31')).toEqual([
      { ref_date: '2026-10-31', ref_hour: 1000, msg_type: 1, msg_user: 2, msg_count: 2 },
      { ref_date: '2026-10-31', ref_hour: 1000, msg_type: 2, msg_user: 1, msg_count: 1 },
    ]);
    // WeChat's type 4 takes the video and the short video (one sender); the admin API's hours list our own types.
    expect(await list('getupstreammsghour', '2026-11-01', '2026-11-01')).toEqual([
      { ref_date: '2026-11-01', ref_hour: 1000, msg_type: 1, msg_user: 1, msg_count: 1 },
      { ref_date: '2026-11-01', ref_hour: 1000, msg_type: 4, msg_user: 1, msg_count: 2 },
    ]);
    const nov1Hours = await stats(owner, account.id, 'activation/hourly', 'date=2026-11-01');
    expect((nov1Hours[10]!.byType as Array<{ msgType: string }>).map((type) => type.msgType)).toEqual(['shortvideo', 'text', 'video']);
    const readHour = await list('getuserreadhour', '2026-10-31', '2026-10-31');
    expect(readHour[0]).toEqual({ ref_date: '2026-10-31', ref_hour: 1000, user_source: 99_999_999, ...read });
    expect(readHour.slice(1).map((row) => [(row as { user_source: number }).user_source, (row as { int_page_read_user: number }).int_page_read_user, (row as { share_user: number }).share_user])).toEqual([
      [0, 1, 1],
      [2, 1, 0],
    ]);
    expect(await list('getusersharehour', '2026-10-31', '2026-10-31')).toEqual([{ ref_date: '2026-10-31', ref_hour: 1000, share_scene: 1, share_count: 1, share_user: 1 }]);
    const hourly = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/activation/hourly?date=2026-10-31`, headers: owner.headers });
    expect(hourly.statusCode, hourly.body).toBe(200);
    const hours = hourly.json().items as Array<{ refHour: number; msgUser: number; msgCount: number }>;
    expect(hours).toHaveLength(24);
    expect(hours.filter((hour) => hour.msgCount > 0).map((hour) => [hour.refHour, hour.msgUser, hour.msgCount])).toEqual([[10, 2, 3]]);
    const readsHourly = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/reads/hourly?date=2026-10-31`, headers: owner.headers });
    expect((readsHourly.json().items as Array<{ refHour: number; intPageReadUser: number }>)[10]!.intPageReadUser).toBe(2);
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/reads/hourly?date=2026-11-03`, headers: owner.headers }), 400, 'VALIDATION_FAILED');

    const refusal = async (view: Parameters<typeof datacube.answer>[0], body: unknown) => {
      const error = await datacube.answer(view, account.id, body).then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(WechatError);
      return (error as WechatError).errcode;
    };
    expect(await refusal('getusersummary', { begin_date: '2026-10-31' })).toBe(61500);
    expect(await refusal('getusersummary', { begin_date: '2026/10/31', end_date: '2026-11-01' })).toBe(61500);
    expect(await refusal('getusersummary', { begin_date: '2026-02-30', end_date: '2026-03-01' })).toBe(61500);
    expect(await refusal('getusersummary', null)).toBe(61500);
    expect(await refusal('getusersummary', { begin_date: '2026-10-25', end_date: '2026-11-01' })).toBe(61501); // 8 days > 7
    expect(await refusal('getuserread', { begin_date: '2026-10-29', end_date: '2026-11-01' })).toBe(61501); // 4 days > 3
    expect(await refusal('getusersummary', { begin_date: '2026-11-01', end_date: '2026-10-31' })).toBe(61501);
    expect(await refusal('getusersummary', { begin_date: '2026-11-02', end_date: '2026-11-02' })).toBe(61501); // today
    expect(await refusal('getupstreammsghour', { begin_date: '2026-10-31', end_date: '2026-11-01' })).toBe(61501); // one day at most
    expect(await refusal('getusersummary', { begin_date: '2014-11-30', end_date: '2014-11-30' })).toBe(61501); // before WeChat's statistics
    expect(await list('getusersummary', '2026-10-26', '2026-11-01')).toHaveLength(8); // 7 days, one with two sources
  });

  it('gives follower attributes now and at the end of a past day, top values and "other", with shares', async () => {
    const { owner, account } = await setup();
    const a = await createWechatUser(ctx.app, { gender: 1, language: 'zh_CN', city: '深圳' });
    const b = await createWechatUser(ctx.app, { gender: 2, language: 'en', province: '北京', city: '北京' });
    const c = await createWechatUser(ctx.app, { gender: 0, language: 'zh_CN', city: '广州' });
    ctx.clock.set('2026-11-01T04:00:00Z');
    for (const user of [a, b, c]) await follow(ctx.app, user, account.appid);
    ctx.clock.set('2026-11-02T04:00:00Z');
    await unfollow(ctx.app, b, account.appid);
    ctx.clock.set('2026-11-03T04:00:00Z');
    await worker().statsFolder.catchUp();
    const attributes = async (query: string) => {
      const response = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/attributes?${query}`, headers: owner.headers });
      expect(response.statusCode, response.body).toBe(200);
      return response.json() as { refDate: string; total: number; items: Array<{ attribute: string; value: string; followers: number; share: number }> };
    };
    const pick = (answer: Awaited<ReturnType<typeof attributes>>, attribute: string) =>
      answer.items.filter((item) => item.attribute === attribute).map((item) => [item.value, item.followers, item.share]);

    const then = await attributes('date=2026-11-01');
    expect([then.refDate, then.total]).toEqual(['2026-11-01', 3]);
    expect(pick(then, 'gender')).toEqual([
      ['female', 1, 0.3333],
      ['male', 1, 0.3333],
      ['unknown', 1, 0.3333],
    ]);
    expect(pick(then, 'language')).toEqual([
      ['zh_CN', 2, 0.6667],
      ['en', 1, 0.3333],
    ]);
    const now = await attributes('top=1');
    expect([now.refDate, now.total]).toEqual(['2026-11-03', 2]);
    expect(pick(now, 'gender')).toEqual([
      ['male', 1, 0.5],
      ['unknown', 1, 0.5],
    ]);
    // Top 1 city of two tied: the first by name, and the other as "other".
    expect(pick(now, 'city')).toEqual([
      ['广州', 1, 0.5],
      ['other', 1, 0.5],
    ]);
    const csv = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/attributes?date=2026-11-01&format=csv`, headers: owner.headers });
    expect(csv.body.split('\r\n').slice(0, 2)).toEqual(['attribute,value,followers,share', 'gender,female,1,0.3333']);
    for (const query of ['date=2026-02-30', 'date=2026-11-04', 'date=1999-12-31']) {
      const refused = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/attributes?${query}`, headers: owner.headers });
      expectProblem(refused, 400, 'VALIDATION_FAILED');
      expect(refused.json().detail).toContain('date');
    }
  });

  it('gives follower attributes at the end of a day inside a month, at month ends and on first days across Shanghai month boundaries', async () => {
    const { owner, account } = await setup();
    // Each user's profile, and the attribute values it counts under.
    const people = {
      a: [{ gender: 1, language: 'zh_CN', country: '中国', province: '广东', city: '深圳' }, ['gender:male', 'language:zh_CN', 'country:中国', 'province:广东', 'city:深圳']],
      b: [{ gender: 2, language: 'en', country: '中国', province: '北京', city: '北京' }, ['gender:female', 'language:en', 'country:中国', 'province:北京', 'city:北京']],
      c: [{ gender: 0, language: 'zh_TW', country: '美国', province: '', city: '' }, ['gender:unknown', 'language:zh_TW', 'country:美国', 'province:unknown', 'city:unknown']],
      d: [{ gender: 1, language: 'zh_TW', country: '中国', province: '广东', city: '广州' }, ['gender:male', 'language:zh_TW', 'country:中国', 'province:广东', 'city:广州']],
    } as const;
    type Person = keyof typeof people;
    const users = {} as Record<Person, WechatUserSession>;
    for (const person of Object.keys(people) as Person[]) users[person] = await createWechatUser(ctx.app, people[person][0]);
    // Shanghai is UTC+8: 16:00Z is midnight there, so each step below is on the other side of a Shanghai midnight
    // (and month end) than its UTC date says.
    const steps: Array<[string, 'follow' | 'unfollow', Person]> = [
      ['2026-09-30T15:30:00Z', 'follow', 'a'], // Sep 30, 23:30: the last day of September
      ['2026-09-30T16:30:00Z', 'follow', 'b'], // Oct 1, 00:30: October, while still Sep 30 in UTC
      ['2026-10-15T04:00:00Z', 'follow', 'c'],
      ['2026-10-15T05:00:00Z', 'unfollow', 'a'],
      ['2026-10-31T15:59:00Z', 'follow', 'a'], // Oct 31, 23:59: a is back by the end of October
      ['2026-10-31T16:01:00Z', 'unfollow', 'b'], // Nov 1, 00:01
      ['2026-10-31T16:02:00Z', 'follow', 'd'],
    ];
    for (const [at, kind, person] of steps) {
      ctx.clock.set(at);
      await (kind === 'follow' ? follow(ctx.app, users[person], account.appid) : unfollow(ctx.app, users[person], account.appid));
    }
    ctx.clock.set('2026-11-02T04:00:00Z');
    await worker().statsFolder.catchUp();

    // The month rows sum each month's days in Shanghai: b's follow counts in October, and a's unfollow and refollow
    // in October leave 0.
    const genderMonths = await db().execute(sql`
      SELECT month_start::text, value, delta FROM stats_attribute_monthly WHERE account_id = ${account.id} AND attribute = 'gender' ORDER BY 1, 2`);
    expect(genderMonths.rows.map((row) => [row.month_start, row.value, row.delta])).toEqual([
      ['2026-09-01', 'male', 1],
      ['2026-10-01', 'female', 1],
      ['2026-10-01', 'male', 0],
      ['2026-10-01', 'unknown', 1],
      ['2026-11-01', 'female', -1],
      ['2026-11-01', 'male', 1],
    ]);

    const answerOn = async (date: string) => {
      const response = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/attributes?date=${date}&top=100`, headers: owner.headers });
      expect(response.statusCode, response.body).toBe(200);
      const answer = response.json() as { total: number; items: Array<{ attribute: string; value: string; followers: number }> };
      return { total: answer.total, items: answer.items.map((item) => `${item.attribute}:${item.value}=${item.followers}`).sort() };
    };
    const following = (...persons: Person[]) => {
      const counts = new Map<string, number>();
      for (const person of persons) for (const value of people[person][1]) counts.set(value, (counts.get(value) ?? 0) + 1);
      return { total: persons.length, items: [...counts].map(([value, followers]) => `${value}=${followers}`).sort() };
    };
    for (const [date, expected] of [
      ['2026-09-29', following()], // before any follow
      ['2026-09-30', following('a')], // a month end
      ['2026-10-01', following('a', 'b')], // the first day of a month
      ['2026-10-14', following('a', 'b')], // inside a month, from a whole month before it and its own days
      ['2026-10-15', following('b', 'c')],
      ['2026-10-31', following('a', 'b', 'c')], // a month end
      ['2026-11-01', following('a', 'c', 'd')], // the first day of a month: whole months before it and the day
      ['2026-11-02', following('a', 'c', 'd')], // today
    ] as const) {
      expect(await answerOn(date), date).toEqual(expected);
    }
  });

  it('folds follow events into attributes by looking each follower up, not by reading every user there is', async () => {
    const { owner, account } = await setup();
    ctx.clock.set('2026-12-01T04:00:00Z');
    const at = '2026-12-01T04:00:00Z';
    // 20,000 users, the newest 2,000 of whom follow the account (a walk of the users in id order reaches them last):
    // a batch of the size the folder takes under load, among many more users than it holds.
    await db().execute(sql`
      WITH users AS (
        INSERT INTO wechat_users (nickname, gender, city)
        SELECT 'bulk', g % 3, CASE WHEN g % 4 = 0 THEN '深圳' ELSE '广州' END FROM generate_series(1, 20000) AS g RETURNING id
      ), fans AS (
        INSERT INTO followers (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at, subscribe_scene)
        SELECT ${account.id}, id, 'obulk' || id, true, ${at}, ${at}, 'ADD_SCENE_SEARCH' FROM users ORDER BY id DESC LIMIT 2000
        RETURNING id, wechat_user_id
      )
      INSERT INTO follow_events (account_id, follower_id, wechat_user_id, kind, scene, occurred_at)
      SELECT ${account.id}, id, wechat_user_id, 'subscribe', 'ADD_SCENE_SEARCH', ${at} FROM fans`);
    await db().execute(sql`ANALYZE wechat_users, follow_events`);
    // The fold's statements run and are rolled back (the folder folds these events below); the last is the
    // attributes'.
    let usersRead = -1;
    await expect(
      db().transaction(async (tx) => {
        const plan = await executedPlan(tx, (explaining) => foldEvents(explaining, 'follow_events', sql`account_id = ${account.id}`, ctx.config.quotaTimeZone));
        usersRead = rowsReadFrom(plan, 'wechat_users');
        tx.rollback();
      }),
    ).rejects.toThrow(TransactionRollbackError);
    expect(usersRead).toBe(2000);

    await worker().statsFolder.catchUp();
    const response = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/attributes?date=2026-12-01&top=5`, headers: owner.headers });
    expect(response.statusCode, response.body).toBe(200);
    const answer = response.json() as { total: number; items: Array<{ attribute: string; value: string; followers: number }> };
    const expected = await db().execute<{ attribute: string; value: string; followers: number }>(sql`
      SELECT 'gender' AS attribute, CASE u.gender WHEN 1 THEN 'male' WHEN 2 THEN 'female' ELSE 'unknown' END AS value, count(*)::int AS followers
      FROM followers f JOIN wechat_users u ON u.id = f.wechat_user_id WHERE f.account_id = ${account.id} GROUP BY 2
      UNION ALL
      SELECT 'city', u.city, count(*)::int FROM followers f JOIN wechat_users u ON u.id = f.wechat_user_id WHERE f.account_id = ${account.id} GROUP BY 2`);
    expect(answer.total).toBe(2000);
    const figures = (rows: Array<{ attribute: string; value: string; followers: number }>) =>
      rows.filter((row) => row.attribute === 'gender' || row.attribute === 'city').map((row) => `${row.attribute} ${row.value} ${row.followers}`).sort();
    expect(figures(answer.items)).toEqual(figures(expected.rows));
  });

  it('answers CSV with the same rows as JSON', async () => {
    const { owner, account } = await setup();
    ctx.clock.set('2026-12-02T04:00:00Z');
    await follow(ctx.app, await createWechatUser(ctx.app), account.appid);
    await worker().statsFolder.catchUp();
    const query = 'from=2026-12-01&to=2026-12-02';
    const json = await stats(owner, account.id, 'followers', query);
    for (const request of [
      { url: `/v1/accounts/${account.id}/stats/followers?${query}&format=csv`, headers: owner.headers },
      { url: `/v1/accounts/${account.id}/stats/followers?${query}`, headers: { ...owner.headers, accept: 'text/csv' } },
    ]) {
      const response = await ctx.app.inject({ method: 'GET', ...request });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      const [header, ...lines] = response.body.trimEnd().split('\r\n');
      expect(header).toBe('refDate,newUser,cancelUser,netUser,cumulateUser');
      expect(lines).toEqual(json.map((row) => [row.refDate, row.newUser, row.cancelUser, row.netUser, row.cumulateUser].join(',')));
    }
    const activation = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/activation?${query}&format=csv`, headers: owner.headers });
    expect(activation.body.split('\r\n')[0]).toBe('refDate,msgUser,msgCount,avgPerUser,distribution.0,distribution.1-5,distribution.6-10,distribution.>10');
  });

  it('refuses a bad range with 400 naming the field', async () => {
    const { owner, account } = await setup();
    ctx.clock.set('2026-12-02T04:00:00Z');
    const get = (query: string) => ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/followers?${query}`, headers: owner.headers });
    for (const [query, field] of [
      ['from=2026-12-02&to=2026-12-01', 'from'],
      ['from=2026-02-30&to=2026-03-01', 'from'],
      ['from=2026-11-01&to=2026-11-31', 'to'],
      ['from=2026-1-01&to=2026-11-01', 'from'],
      ['from=2024-12-01&to=2025-12-02', 'to'],
      ['from=2026-12-01&to=2026-12-03', 'to'],
      ['to=2026-12-01', 'from'],
      ['from=2026-12-01&to=2026-12-01&granularity=year', 'granularity'],
    ] as const) {
      const response = await get(query);
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.json().detail, query).toContain(field);
    }
    // 366 days is the longest range; today is the latest day.
    expect((await get('from=2025-12-02&to=2026-12-02')).statusCode).toBe(200);
  });

  it('is for members: an analyst reads, a stranger gets 404', async () => {
    const { owner, account } = await setup();
    const analyst = await registerAdmin(ctx.app);
    await addMember(ctx.app, owner, account.id, analyst, 'analyst');
    ctx.clock.set('2026-12-02T04:00:00Z');
    expect(await stats(analyst, account.id, 'activation', 'from=2026-12-01&to=2026-12-02')).toHaveLength(2);
    const stranger = await registerAdmin(ctx.app);
    expectProblem(
      await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/stats/followers?from=2026-12-01&to=2026-12-02`, headers: stranger.headers }),
      404,
      'ACCOUNT_NOT_FOUND',
    );
  });

  it('stats:rebuild recounts every account from the events with progress lines, and --account one account', async () => {
    const { account } = await setup();
    ctx.clock.set('2026-12-03T04:00:00Z');
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    await say(user, account);
    await worker().statsFolder.catchUp();
    // With the whole file run, the tests before this one have left rows in every rollup table.
    // Every rollup table, each as a sorted list of its rows.
    const tables = (await db().execute<{ name: string }>(sql`SELECT tablename AS name FROM pg_tables WHERE left(tablename, 6) = 'stats_' AND tablename <> 'stats_cursors' ORDER BY 1`)).rows;
    // Every one of them is emptied by the rebuild's reset and replaced by the recount of one account.
    expect(tables.map(({ name }) => name).sort()).toEqual([...ROLLUP_TABLES].sort());
    // The versions (and the days they changed) are not figures: each rebuild gives the accounts new ones (checked below).
    const everything = async () =>
      Promise.all(
        tables
          .filter(({ name }) => name !== 'stats_account_versions' && name !== 'stats_day_changes')
          .map(async ({ name }) => (await db().execute(sql`SELECT * FROM ${sql.identifier(name)}`)).rows.map((row) => JSON.stringify(row)).sort()),
      );
    const version = async () => (await ctx.deps.services.stats.rollupState(account.id)).version;
    const before = await everything();
    expect(before.flat().length).toBeGreaterThan(0);
    const versions = [await version()];

    const run = async (...args: string[]) => {
      const cli = startEntryPoint('src/cli/stats-rebuild.ts', childEnv(ctx), args);
      return { ...(await cli.exited), output: cli.output() };
    };
    const full = await run();
    expect(full.code, full.output).toBe(0);
    expect(full.output).toMatch(/messages: [\d,]+\/[\d,]+ events \(\d+%\)/);
    expect(full.output).toMatch(/Rebuilt the statistics from [\d,]+ events/);
    expect(await everything()).toEqual(before);
    versions.push(await version());

    const one = await run('--account', String(account.id));
    expect(one.code, one.output).toBe(0);
    expect(one.output).toContain(`Recounted the statistics of account ${account.id}`);
    expect(await everything()).toEqual(before);
    versions.push(await version());
    // Each run moved the account's version, so the API's kept answers of it are computed again.
    expect(new Set(versions).size).toBe(3);
    expect(versions.every((value) => value !== '')).toBe(true);

    const bad = await run('--account', 'x');
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('--account must be an account id');
  }, 60_000);
});
