import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlState } from '../../src/errors.js';
import { createEventsService, type EventsService } from '../../src/modules/events/events.service.js';
import { createAccount, registerAdmin } from '../helpers/admin.js';
import { newsMessage } from '../helpers/broadcasts.js';
import { createWechatUser, follow, unfollow } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';

const ctx = useTestContext();
const at = new Date('2026-06-15T04:00:00Z');
const day = { from: new Date('2026-06-15T00:00:00Z'), to: new Date('2026-06-16T00:00:00Z'), limit: 1000 };

/** An events service of the test's own, grouping everything submitted in one turn into one statement. */
let events: EventsService;
beforeAll(() => {
  events = createEventsService({ db: ctx.deps.database.db, pool: ctx.deps.database.pool, grouping: { maxRows: 500, maxConcurrentGroups: 1, lingerMs: 0 } });
});
afterAll(() => events?.close());

async function accountWithFollowers(n: number) {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  const users = [];
  for (let i = 0; i < n; i++) {
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    users.push(user);
  }
  return { owner, account, users };
}

const text = (accountId: number, wechatUserId: number, content: string) => ({
  accountId,
  wechatUserId,
  msgType: 'text' as const,
  body: { Content: content },
  at,
});

describe('group commit of messages', () => {
  it('concurrent messages are all stored, each answered with its own MsgId, increasing in submission order', async () => {
    const { account, users } = await accountWithFollowers(3);
    const submitted = Array.from({ length: 30 }, (_, i) => text(account.id, users[i % 3]!.userId, `m${i}`));
    const outcomes = await Promise.all(submitted.map((row) => events.recordMessage(row)));
    const msgIds = outcomes.map((o) => (o.status === 'stored' ? BigInt(o.msgId) : -1n));
    expect(msgIds.every((id, i) => i === 0 || id > msgIds[i - 1]!)).toBe(true);
    const stored = await ctx.deps.database.db.execute<{ msg_id: string; content: string }>(
      sql`SELECT msg_id::text AS msg_id, body->>'Content' AS content FROM messages WHERE account_id = ${account.id} ORDER BY msg_id`,
    );
    expect(stored.rows).toEqual(outcomes.map((o, i) => ({ msg_id: o.status === 'stored' ? o.msgId : '', content: `m${i}` })));
  });

  it('answers each caller only once its row is committed (visible to another connection)', async () => {
    const { account, users } = await accountWithFollowers(1);
    const observer = new pg.Client({ connectionString: ctx.databaseUrl });
    await observer.connect();
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const outcome = await events.recordMessage(text(account.id, users[0]!.userId, `c${i}`));
          if (outcome.status !== 'stored') throw new Error(outcome.status);
          const seen = await observer.query('SELECT 1 FROM messages WHERE msg_id = $1::bigint', [outcome.msgId]);
          return seen.rowCount;
        }),
      );
      expect(outcomes).toEqual(Array(10).fill(1));
    } finally {
      await observer.end();
    }
  });

  it('a row PostgreSQL rejects fails alone: the rest of its group is stored', async () => {
    const { account, users } = await accountWithFollowers(2);
    // jsonb refuses \u0000, so this one row makes its group's statement fail.
    const rows = Array.from({ length: 9 }, (_, i) => text(account.id, users[i % 2]!.userId, i === 4 ? 'bad \u0000 byte' : `ok${i}`));
    const outcomes = await Promise.allSettled(rows.map((row) => events.recordMessage(row)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(sqlState((outcomes[4] as PromiseRejectedResult).reason)).toBe('22P05');
    const stored = await ctx.deps.database.db.execute<{ content: string }>(
      sql`SELECT body->>'Content' AS content FROM messages WHERE account_id = ${account.id} ORDER BY msg_id`,
    );
    expect(stored.rows.map((r) => r.content)).toEqual(['ok0', 'ok1', 'ok2', 'ok3', 'ok5', 'ok6', 'ok7', 'ok8']);
  });

  it('tells followers, former followers, strangers and the blacklisted apart within one group', async () => {
    const { owner, account, users } = await accountWithFollowers(3);
    const stranger = await createWechatUser(ctx.app);
    await unfollow(ctx.app, users[1]!, account.appid);
    const openid = (await ctx.deps.database.db.execute<{ openid: string }>(sql`SELECT openid FROM followers WHERE wechat_user_id = ${users[2]!.userId}`)).rows[0]!.openid;
    const blacklisted = await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/blacklist`, headers: owner.headers, payload: { openids: [openid] } });
    expect(blacklisted.statusCode, blacklisted.body).toBe(200);
    const outcomes = await Promise.all([users[0]!, users[1]!, stranger, users[2]!].map((u) => events.recordMessage(text(account.id, u.userId, 'hi'))));
    expect(outcomes.map((o) => o.status)).toEqual(['stored', 'not_following', 'not_following', 'blacklisted']);
  });

  it('close() writes the rows still waiting for their group before it returns', async () => {
    const { account, users } = await accountWithFollowers(1);
    const own = createEventsService({ db: ctx.deps.database.db, pool: ctx.deps.database.pool, grouping: { maxRows: 2, maxConcurrentGroups: 1, lingerMs: 1000 } });
    const pending = Array.from({ length: 5 }, (_, i) => own.recordMessage(text(account.id, users[0]!.userId, `s${i}`)));
    await own.close();
    const stored = await ctx.deps.database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM messages WHERE account_id = ${account.id}`);
    expect(stored.rows[0]!.n).toBe(5);
    expect((await Promise.all(pending)).map((o) => o.status)).toEqual(Array(5).fill('stored'));
    await expect(own.recordMessage(text(account.id, users[0]!.userId, 'late'))).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
  });
});

describe('group commit of follows, unfollows and engagements', () => {
  it('a user who follows twice in one group gets one follower, one event, and the same openid twice', async () => {
    const owner = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    const [a, b] = [await createWechatUser(ctx.app), await createWechatUser(ctx.app)];
    const row = (wechatUserId: number, n: number) => ({
      accountId: account.id,
      ownerId: owner.userId,
      wechatUserId,
      candidateOpenid: `o${'x'.repeat(26)}${n}`,
      candidateUnionid: `u${'x'.repeat(26)}${n}`,
      scene: 'ADD_SCENE_SEARCH',
      qrScene: null,
      qrSceneStr: null,
      at,
    });
    const results = await Promise.all([events.follow(row(a.userId, 1)), events.follow(row(b.userId, 2)), events.follow(row(a.userId, 3))]);
    expect(results.map((r) => r.alreadyFollowing)).toEqual([false, false, true]);
    expect(results[2]!.openid).toBe(results[0]!.openid);
    const counted = await ctx.deps.database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM follow_events WHERE account_id = ${account.id}`);
    expect(counted.rows[0]!.n).toBe(2);

    const left = await Promise.all([events.unfollow({ accountId: account.id, wechatUserId: a.userId, at }), events.unfollow({ accountId: account.id, wechatUserId: a.userId, at })]);
    expect(left.map((r) => r?.openid)).toEqual([results[0]!.openid, undefined]);
  });

  it('engagements in one group keep their own ids and follower flags; one with an article that is not live is refused alone', async () => {
    const { owner, account, users } = await accountWithFollowers(1);
    const outsider = await createWechatUser(ctx.app);
    const openid = (await ctx.deps.database.db.execute<{ openid: string }>(sql`SELECT openid FROM followers WHERE wechat_user_id = ${users[0]!.userId}`)).rows[0]!.openid;
    // A preview is delivered at once: a real, sent article without running the fan-out worker.
    const preview = await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/broadcasts/preview`, headers: owner.headers, payload: { openids: [openid], message: newsMessage(1) } });
    expect(preview.statusCode, preview.body).toBe(201);
    const msgDataId: number = preview.json().msgDataId;
    const read = (wechatUserId: number, articleIndex = 1) => ({ accountId: account.id, wechatUserId, msgDataId, articleIndex, action: 'read' as const, source: 'session' as const, shareScene: null, at });
    const outcomes = await Promise.all([
      events.recordEngagement(read(users[0]!.userId)),
      events.recordEngagement(read(outsider.userId)),
      events.recordEngagement(read(users[0]!.userId, 2)),
      events.recordEngagement(read(users[0]!.userId)),
    ]);
    expect(outcomes.map((o) => (o.status === 'stored' ? o.wasFollower : o.status))).toEqual([true, false, 'article_not_found', true]);
    const rows = await ctx.deps.database.db.execute<{ id: number; wechat_user_id: number }>(sql`SELECT id, wechat_user_id FROM article_engagements WHERE account_id = ${account.id} ORDER BY id`);
    const stored = outcomes.flatMap((o, i) => (o.status === 'stored' ? [{ id: o.id, wechat_user_id: [users[0]!.userId, outsider.userId, 0, users[0]!.userId][i] }] : []));
    expect(rows.rows).toEqual(stored);
  });
});

describe('64-bit MsgIds', () => {
  it('an id above 2^53 is stored, listed and read back exactly, as a string', async () => {
    const { account, users } = await accountWithFollowers(1);
    // An odd id in the 6e18 range: a JS number cannot hold it (doubles are 1024 apart there).
    const target = 6054768590064713728n + 987654321n * 2n + 1n;
    await ctx.deps.database.db.execute(sql`SELECT setval('message_msg_id_seq', ${(target - 1n).toString()}::bigint)::text`);
    expect(Number.isSafeInteger(Number(target))).toBe(false);
    expect(String(Number(target))).not.toBe(target.toString());

    const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: users[0]!.headers, payload: { appid: account.appid, msgType: 'text', content: 'big' } });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.body).toContain(`"msgId":"${target}"`);
    const msgId: unknown = response.json().msgId;
    expect(msgId).toBe(target.toString());

    const listed = await ctx.deps.services.events.messages(account.id, day);
    expect(listed.map((m) => m.msgId)).toEqual([target.toString()]);
    expect(typeof listed[0]!.msgId).toBe('string');
    const found = await ctx.deps.services.events.message(account.id, target.toString());
    expect(found?.msgId).toBe(target.toString());
    expect(found?.body).toEqual({ Content: 'big' });
    const inDatabase = await ctx.deps.database.db.execute<{ msg_id: string }>(sql`SELECT msg_id::text AS msg_id FROM messages WHERE account_id = ${account.id}`);
    expect(inDatabase.rows[0]!.msg_id).toBe(target.toString());
  });

  it('reading msg_id as an int8 number fails loudly instead of rounding it', async () => {
    const { account, users } = await accountWithFollowers(1);
    await events.recordMessage(text(account.id, users[0]!.userId, 'x'));
    const error = await ctx.deps.database.db.execute(sql`SELECT msg_id FROM messages WHERE account_id = ${account.id}`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String((error as { cause?: unknown } | undefined)?.cause)).toMatch(/beyond 2\^53/);
  });
});

describe('reads by account and time', () => {
  it('lists follow events, messages and engagements of one account in a time window, page by page', async () => {
    const { account, users } = await accountWithFollowers(2);
    const other = await accountWithFollowers(1);
    await unfollow(ctx.app, users[1]!, account.appid);
    await events.recordMessage(text(account.id, users[0]!.userId, 'in window'));
    await events.recordMessage(text(other.account.id, other.users[0]!.userId, 'other account'));
    await events.recordMessage({ ...text(account.id, users[0]!.userId, 'next day'), at: new Date('2026-06-16T01:00:00Z') });

    const followEvents = await events.followEvents(account.id, day);
    expect(followEvents.map((e) => [e.kind, e.wechatUserId])).toEqual([
      ['subscribe', users[0]!.userId],
      ['subscribe', users[1]!.userId],
      ['unsubscribe', users[1]!.userId],
    ]);
    const firstPage = await events.followEvents(account.id, { ...day, limit: 2 });
    const secondPage = await events.followEvents(account.id, { ...day, limit: 2, after: { occurredAt: firstPage[1]!.occurredAt, id: firstPage[1]!.id } });
    expect([...firstPage, ...secondPage].map((e) => e.id)).toEqual(followEvents.map((e) => e.id));

    const messages = await events.messages(account.id, day);
    expect(messages.map((m) => m.body)).toEqual([{ Content: 'in window' }]);
    expect(messages[0]!.occurredAt).toEqual(at);
    expect(await events.engagements(account.id, day)).toEqual([]);
  });
});
