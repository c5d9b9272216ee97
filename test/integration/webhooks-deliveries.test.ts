import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { addMember, createAccount, expectProblem, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { createWechatUser, follow, type WechatUserSession } from '../helpers/client.js';
import { listDeliveries as listDeliveryRows, readDeliveryHealth } from '../../src/modules/webhooks/deliveries.repo.js';
import { useTestContext } from '../helpers/context.js';
import { executedPlan, rowsReadFrom } from '../helpers/plans.js';
import { serveAccount, useWorkerWithReceivers } from '../helpers/wechat-receiver.js';
import { waitFor } from '../helpers/worker.js';

// A short deadline keeps the hanging-server cases quick; WeChat's is 5 s (WEBHOOK_TIMEOUT_MS).
const ctx = useTestContext({ WEBHOOK_TIMEOUT_MS: '800' });
const { receivers } = useWorkerWithReceivers(ctx);



interface Attempt {
  attemptedAt: string;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseFirstBytes: string | null;
  succeeded: boolean;
}
interface Delivery {
  id: number;
  kind: string;
  openid: string | null;
  msgId: string | null;
  createTime: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
  attemptLog: Attempt[];
}

async function accountWithServer() {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  const receiver = await serveAccount(ctx.app, owner, account.id, receivers);
  return { owner, account, receiver };
}

async function sendText(user: WechatUserSession, account: CreatedAccount, content: string): Promise<string> {
  const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: user.headers, payload: { appid: account.appid, msgType: 'text', content } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().msgId;
}

const deliveriesUrl = (accountId: number, query = '') => `/v1/accounts/${accountId}/webhook/deliveries${query ? `?${query}` : ''}`;

async function listDeliveries(session: AdminSession, accountId: number, query = ''): Promise<{ items: Delivery[]; nextCursor: string | null }> {
  const response = await ctx.app.inject({ method: 'GET', url: deliveriesUrl(accountId, query), headers: session.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

const replay = (session: AdminSession, accountId: number, pushId: number | string) =>
  ctx.app.inject({ method: 'POST', url: `/v1/accounts/${accountId}/webhook/deliveries/${pushId}/replay`, headers: session.headers });

const showWebhook = (session: AdminSession, accountId: number) => ctx.app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/webhook`, headers: session.headers });

/** Waits until the account has at least `count` pushes and none is pending; returns them newest first. */
const settled = (session: AdminSession, accountId: number, count: number) =>
  waitFor(
    async () => {
      const { items } = await listDeliveries(session, accountId, 'limit=100');
      return items.length >= count && items.every((item) => item.status !== 'pending') ? items : undefined;
    },
    { timeoutMs: 20_000, what: `${count} pushes of account ${accountId} to settle` },
  );

describe('the delivery log', () => {
  it('lists pushes newest first, each with its attempts oldest first', async () => {
    const { owner, account, receiver } = await accountWithServer();
    const user = await createWechatUser(ctx.app);
    const openid = await follow(ctx.app, user, account.appid);
    await settled(owner, account.id, 1);
    let tries = 0;
    receiver.answer = () => (++tries <= 2 ? { status: 500, body: 'boom' } : { body: 'success' });
    const msgId = await sendText(user, account, 'first');
    await settled(owner, account.id, 2);

    const page = await listDeliveries(owner, account.id);
    expect(page.nextCursor).toBeNull();
    const [message, subscribe] = page.items;
    expect(page.items).toHaveLength(2);
    expect(message!.id).toBeGreaterThan(subscribe!.id);
    expect(message).toMatchObject({ kind: 'message', openid, msgId, status: 'delivered', attempts: 3, lastError: null });
    expect(message!.createTime).toBe(Number(receiver.pushes.at(-1)!.field('CreateTime')));
    expect(message!.finishedAt).toEqual(expect.any(String));
    expect(message!.attemptLog.map((attempt) => [attempt.statusCode, attempt.error, attempt.responseFirstBytes, attempt.succeeded])).toEqual([
      [500, 'HTTP 500', 'boom', false],
      [500, 'HTTP 500', 'boom', false],
      [200, null, 'success', true],
    ]);
    for (const attempt of message!.attemptLog) {
      expect(attempt.latencyMs).toBeGreaterThanOrEqual(0);
      expect(Number.isNaN(Date.parse(attempt.attemptedAt))).toBe(false);
    }
    expect(subscribe).toMatchObject({ kind: 'subscribe', openid, msgId: null, status: 'delivered', attempts: 1 });
    expect(subscribe!.attemptLog).toHaveLength(1);
  });

  it('filters by status and by openid', async () => {
    const { owner, account, receiver } = await accountWithServer();
    const [alice, bob] = [await createWechatUser(ctx.app), await createWechatUser(ctx.app)];
    const aliceOpenid = await follow(ctx.app, alice, account.appid);
    const bobOpenid = await follow(ctx.app, bob, account.appid);
    await settled(owner, account.id, 2);
    // Bob's message is never accepted: given up after 3 attempts.
    receiver.answer = (push) => (push.field('FromUserName') === bobOpenid ? { status: 503 } : { body: 'success' });
    await sendText(alice, account, 'from alice');
    await sendText(bob, account, 'from bob');
    await settled(owner, account.id, 4);

    const failed = await listDeliveries(owner, account.id, 'status=failed');
    expect(failed.items.map((item) => [item.kind, item.openid, item.attempts, item.lastError])).toEqual([['message', bobOpenid, 3, 'HTTP 503']]);
    expect(failed.items[0]!.attemptLog.map((attempt) => attempt.statusCode)).toEqual([503, 503, 503]);
    expect((await listDeliveries(owner, account.id, 'status=delivered')).items.map((item) => [item.kind, item.openid])).toEqual([
      ['message', aliceOpenid],
      ['subscribe', bobOpenid],
      ['subscribe', aliceOpenid],
    ]);
    expect((await listDeliveries(owner, account.id, 'status=pending')).items).toEqual([]);
    expect((await listDeliveries(owner, account.id, `openid=${aliceOpenid}`)).items.map((item) => item.kind)).toEqual(['message', 'subscribe']);
    expect((await listDeliveries(owner, account.id, `openid=${bobOpenid}&status=delivered`)).items.map((item) => item.kind)).toEqual(['subscribe']);
    expect((await listDeliveries(owner, account.id, 'openid=nobody')).items).toEqual([]);
  });

  it('pages through every push once, newest first, with no repeats or gaps', async () => {
    const { owner, account } = await accountWithServer();
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    for (let i = 0; i < 24; i++) await sendText(user, account, `m${i}`);
    await settled(owner, account.id, 25);

    const seen: number[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Delivery[]; nextCursor: string | null } = await listDeliveries(owner, account.id, `limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      sizes.push(page.items.length);
      seen.push(...page.items.map((item) => item.id));
      for (const item of page.items) expect(item.attemptLog).toHaveLength(1);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(sizes).toEqual([10, 10, 5]);
    const all = await ctx.deps.database.db.execute<{ id: number }>(sql`SELECT id FROM webhook_pushes WHERE account_id = ${account.id} ORDER BY id DESC`);
    expect(seen).toEqual(all.rows.map((row) => row.id));
    // A page that ends exactly at the last push says so.
    expect((await listDeliveries(owner, account.id, 'limit=25')).nextCursor).toBeNull();
  });
});

describe('a long delivery log', () => {
  it("is filtered by follower or by failure, and searched for the last failure, reading the matching rows only", async () => {
    const { owner, account } = await accountWithServer();
    const db = ctx.deps.database.db;
    // 20,000 delivered pushes of 2,000 followers, each with one successful attempt two hours ago (outside the health
    // window), and two failed pushes of one more follower.
    const twoHoursAgo = new Date(ctx.clock.now().getTime() - 2 * 3_600_000).toISOString();
    await db.execute(sql`
      WITH pushes AS (
        INSERT INTO webhook_pushes (account_id, lane, openid, kind, source, create_time, content, status, attempts, finished_at, created_at)
        SELECT ${account.id}, 'o-long-' || (g % 2000), 'o-long-' || (g % 2000), 'message', 'long-log:' || ${account.id} || ':' || g, 0, '{}',
               'delivered', 1, ${twoHoursAgo}, ${twoHoursAgo}
        FROM generate_series(1, 20000) AS g RETURNING id)
      INSERT INTO webhook_attempts (push_id, account_id, attempted_at, latency_ms, succeeded)
      SELECT id, ${account.id}, ${twoHoursAgo}, 5, true FROM pushes`);
    await db.execute(sql`
      INSERT INTO webhook_pushes (account_id, lane, openid, kind, source, create_time, content, status, attempts, last_error, finished_at, created_at)
      SELECT ${account.id}, 'o-failing', 'o-failing', 'message', 'long-log:' || ${account.id} || ':failed:' || g, 0, '{}',
             'failed', 3, 'HTTP 503', ${twoHoursAgo}, ${twoHoursAgo}
      FROM generate_series(1, 2) AS g`);
    await db.execute(sql`ANALYZE webhook_pushes, webhook_attempts`);

    const ofFollower = await executedPlan(db, (explaining) => listDeliveryRows(explaining, account.id, { beforeId: null, limit: 20, openid: 'o-long-7' }));
    expect(rowsReadFrom(ofFollower, 'webhook_pushes')).toBe(10);
    const failed = await executedPlan(db, (explaining) => listDeliveryRows(explaining, account.id, { beforeId: null, limit: 20, status: 'failed' }));
    expect(rowsReadFrom(failed, 'webhook_pushes')).toBe(2);
    // No attempt of the account failed: the search for the last failure finds none without reading its attempts.
    const health = await executedPlan(db, (explaining) => readDeliveryHealth(explaining, account.id, new Date(ctx.clock.now().getTime() - 3_600_000)), {
      answerRows: [{ attempts: 0, succeeded: 0, p50: null, p99: null, pending: 0, lastErrorAt: null, lastError: null, lastErrorStatusCode: null }],
    });
    expect(rowsReadFrom(health, 'webhook_attempts')).toBe(0);

    expect((await listDeliveries(owner, account.id, 'openid=o-long-7')).items).toHaveLength(10);
    expect((await listDeliveries(owner, account.id, 'status=failed')).items.map((item) => [item.openid, item.lastError])).toEqual([
      ['o-failing', 'HTTP 503'],
      ['o-failing', 'HTTP 503'],
    ]);
    expect((await showWebhook(owner, account.id)).json().health).toMatchObject({ attempts: 0, lastError: null });
  });
});

describe('replaying a delivery', () => {
  it('pushes the same MsgId and CreateTime again, as a new push that is then delivered', async () => {
    const { owner, account, receiver } = await accountWithServer();
    const user = await createWechatUser(ctx.app);
    const openid = await follow(ctx.app, user, account.appid);
    const msgId = await sendText(user, account, 'once more');
    const [original] = await settled(owner, account.id, 2);

    const replayed = await replay(owner, account.id, original!.id);
    expect(replayed.statusCode, replayed.body).toBe(202);
    const queued: Delivery = replayed.json();
    expect(queued).toMatchObject({ kind: 'message', openid, msgId, createTime: original!.createTime, status: 'pending', attempts: 0, attemptLog: [], finishedAt: null });
    expect(queued.id).toBeGreaterThan(original!.id);

    const [latest] = await settled(owner, account.id, 3);
    expect(latest).toMatchObject({ id: queued.id, status: 'delivered', attempts: 1, msgId });
    const sent = receiver.pushes.filter((push) => push.field('Content') === 'once more');
    expect(sent).toHaveLength(2);
    expect(sent.map((push) => push.field('MsgId'))).toEqual([msgId, msgId]);
    expect(sent[1]!.field('CreateTime')).toBe(sent[0]!.field('CreateTime'));
    expect(sent[1]!.signatureValid).toBe(true);

    // A push may be replayed again; each replay is a push of its own.
    expect((await replay(owner, account.id, original!.id)).statusCode).toBe(202);
    expect(await settled(owner, account.id, 4)).toHaveLength(4);
  });

  it("waits for the follower's pending push, as any push of the lane does", async () => {
    const { owner, account, receiver } = await accountWithServer();
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    await sendText(user, account, 'earlier');
    const [earlier] = await settled(owner, account.id, 2);
    // The next message fails once and is retried a second later; a replay asked for meanwhile goes after it.
    let failedOnce = false;
    receiver.answer = (push) => {
      if (push.field('Content') !== 'blocking' || failedOnce) return { body: 'success' };
      failedOnce = true;
      return { status: 500 };
    };
    await sendText(user, account, 'blocking');
    await waitFor(async () => failedOnce, { what: 'the first attempt at the blocking message' });
    expect((await replay(owner, account.id, earlier!.id)).statusCode).toBe(202);
    await settled(owner, account.id, 4);
    expect(receiver.pushes.map((push) => push.field('Content') ?? push.field('Event'))).toEqual(['subscribe', 'earlier', 'blocking', 'blocking', 'earlier']);
  });

  it("is 404 for another account's push, an unknown one, or an account without a server", async () => {
    const mine = await accountWithServer();
    const theirs = await accountWithServer();
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, theirs.account.appid);
    const [their] = await settled(theirs.owner, theirs.account.id, 1);

    expectProblem(await replay(mine.owner, mine.account.id, their!.id), 404, 'NOT_FOUND');
    expectProblem(await replay(mine.owner, mine.account.id, Number.MAX_SAFE_INTEGER), 404, 'NOT_FOUND');
    expect(await settled(theirs.owner, theirs.account.id, 1)).toHaveLength(1);

    const bare = await createAccount(ctx.app, mine.owner, 'No Server');
    expectProblem(await replay(mine.owner, bare.id, their!.id), 404, 'WEBHOOK_NOT_CONFIGURED');
  });
});

describe('delivery health', () => {
  it('counts the last hour of attempts, their latency, the latest failure and what is pending', async () => {
    const { owner, account, receiver } = await accountWithServer();
    const empty = await showWebhook(owner, account.id);
    expect(empty.statusCode, empty.body).toBe(200);
    expect(empty.json()).toMatchObject({ url: receiver.url, mode: 'plaintext' });
    expect(empty.json().health).toEqual({
      windowMinutes: 60,
      attempts: 0,
      succeeded: 0,
      successRate: null,
      latencyP50Ms: null,
      latencyP99Ms: null,
      lastError: null,
      pending: 0,
    });

    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    await settled(owner, account.id, 1);
    let tries = 0;
    receiver.answer = () => (++tries <= 2 ? { status: 502 } : { body: 'success' });
    await sendText(user, account, 'flaky');
    await settled(owner, account.id, 2);

    const health = (await showWebhook(owner, account.id)).json().health;
    expect(health).toMatchObject({ windowMinutes: 60, attempts: 4, succeeded: 2, successRate: 0.5, pending: 0 });
    expect(health.lastError).toEqual({ at: ctx.clock.now().toISOString(), error: 'HTTP 502', statusCode: 502 });
    expect(Number.isInteger(health.latencyP50Ms)).toBe(true);
    expect(Number.isInteger(health.latencyP99Ms)).toBe(true);
    expect(health.latencyP99Ms).toBeGreaterThanOrEqual(health.latencyP50Ms);

    // Two messages of one follower held up by a server that does not answer: both pending, one behind the other.
    let release = false;
    receiver.answer = (push) => (push.field('Content')?.startsWith('held') && !release ? { hang: true } : { body: 'success' });
    await sendText(user, account, 'held 1');
    await sendText(user, account, 'held 2');
    expect((await showWebhook(owner, account.id)).json().health.pending).toBe(2);
    release = true;
    await settled(owner, account.id, 4);
    expect((await showWebhook(owner, account.id)).json().health.pending).toBe(0);

    // An hour later (by the clock the relay stamps attempts with) the window is empty; the last failure stays.
    const before = ctx.clock.now();
    ctx.clock.advance(61 * 60_000);
    try {
      const later = (await showWebhook(owner, account.id)).json().health;
      expect(later).toMatchObject({ attempts: 0, succeeded: 0, successRate: null, latencyP50Ms: null, latencyP99Ms: null, pending: 0 });
      expect(later.lastError).toMatchObject({ error: expect.stringMatching(/^(HTTP 502|timeout)/) });
    } finally {
      ctx.clock.set(before);
    }
  });
});

describe('access and input', () => {
  it('is for owners: an admin gets 403, a stranger 404', async () => {
    const { owner, account } = await accountWithServer();
    const admin = await registerAdmin(ctx.app);
    await addMember(ctx.app, owner, account.id, admin, 'admin');
    const stranger = await registerAdmin(ctx.app);
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    const [push] = await settled(owner, account.id, 1);

    expectProblem(await ctx.app.inject({ method: 'GET', url: deliveriesUrl(account.id), headers: admin.headers }), 403, 'FORBIDDEN');
    expectProblem(await replay(admin, account.id, push!.id), 403, 'FORBIDDEN');
    expectProblem(await showWebhook(admin, account.id), 403, 'FORBIDDEN');
    expectProblem(await ctx.app.inject({ method: 'GET', url: deliveriesUrl(account.id), headers: stranger.headers }), 404, 'ACCOUNT_NOT_FOUND');
    expectProblem(await replay(stranger, account.id, push!.id), 404, 'ACCOUNT_NOT_FOUND');
    expect(await settled(owner, account.id, 1)).toHaveLength(1);
  });

  it.each([
    ['an unknown status', 'status=bogus'],
    ['a limit of 0', 'limit=0'],
    ['a limit over 100', 'limit=101'],
    ['a limit that is not plain digits', 'limit=1e1'],
    ['a cursor this API did not issue', 'cursor=garbage'],
    ['an empty openid', 'openid='],
    ['an unknown parameter', 'sort=asc'],
  ])('refuses %s with 400', async (_name, query) => {
    const { owner, account } = await accountWithServer();
    expectProblem(await ctx.app.inject({ method: 'GET', url: deliveriesUrl(account.id, query), headers: owner.headers }), 400, 'VALIDATION_FAILED');
  });

  it('refuses a delivery id that is not plain digits', async () => {
    const { owner, account } = await accountWithServer();
    for (const id of ['abc', '01', '0', '1e3']) expectProblem(await replay(owner, account.id, id), 400, 'VALIDATION_FAILED');
  });
});
