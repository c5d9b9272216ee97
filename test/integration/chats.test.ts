import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaryOf } from '../../src/modules/client/chats.service.js';
import type { Consumers } from '../../src/queues/consumers.js';
import { createAccount, expectProblem, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { newsMessage, sendBroadcast, waitForFinish } from '../helpers/broadcasts.js';
import { createWechatUser, follow, unfollow, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { accessToken, capableAccount, cgi } from '../helpers/wechat.js';
import { startWorker } from '../helpers/worker.js';

const ctx = useTestContext({ SWEEP_INTERVAL_MS: '600000' });
let worker: Consumers;
beforeAll(async () => {
  worker = await startWorker(ctx);
});
afterAll(async () => {
  await worker?.close();
});

const HOUR = 3_600_000;
const at = (hours: number) => new Date(Date.parse('2026-07-01T00:00:00Z') + hours * HOUR).toISOString();

type Chat = Record<string, unknown> & { kind: string; unread: number; lastMessage: Record<string, unknown> | null };
type ChatPage = { items: Chat[]; nextCursor: string | null };

async function get(user: WechatUserSession, url: string): Promise<ChatPage> {
  const response = await ctx.app.inject({ method: 'GET', url, headers: user.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}
const chats = (user: WechatUserSession, query = '') => get(user, `/client/v1/chats${query}`);
const subscriptions = (user: WechatUserSession) => get(user, '/client/v1/chats/subscriptions');
async function chat(user: WechatUserSession, account: CreatedAccount): Promise<Chat> {
  const response = await ctx.app.inject({ method: 'GET', url: `/client/v1/chats/${account.appid}`, headers: user.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}
const markRead = (user: WechatUserSession, appid: string) => ctx.app.inject({ method: 'POST', url: `/client/v1/chats/${appid}/read`, headers: user.headers });

async function account(owner: AdminSession, name: string, type: 'subscription' | 'service') {
  const created = await createAccount(ctx.app, owner, name);
  // Verified, for customer-service messages; a subscription account stays free to become a service account.
  await capableAccount(ctx.app, owner, created, { verified: true, ...(type === 'service' ? { type } : {}) });
  return created;
}

async function custom(owner: AdminSession, to: CreatedAccount, openid: string, content: string) {
  const response = await ctx.app.inject({
    method: 'POST',
    url: `/v1/accounts/${to.id}/followers/${openid}/messages`,
    headers: owner.headers,
    payload: { type: 'text', content },
  });
  expect(response.statusCode, response.body).toBe(201);
}

async function broadcastToAll(owner: AdminSession, from: CreatedAccount, content: string): Promise<number> {
  const response = await sendBroadcast(ctx.app, owner, from.id, { target: { all: true }, message: { type: 'text', content } });
  expect(response.statusCode, response.body).toBe(202);
  expect((await waitForFinish(ctx.app, owner, from.id, response.json().id)).status).toBe('SEND_SUCCESS');
  return response.json().id;
}

async function preview(owner: AdminSession, from: CreatedAccount, openid: string) {
  const response = await ctx.app.inject({
    method: 'POST',
    url: `/v1/accounts/${from.id}/broadcasts/preview`,
    headers: owner.headers,
    payload: { openids: [openid], message: newsMessage(1) },
  });
  expect(response.statusCode, response.body).toBe(201);
}

/**
 * Two subscription accounts and a service account write to `me` (and a broadcast reaches `other` too):
 *   +1h  news (S1) broadcast "S1 morning" to all          +2h  shop (service) custom "order shipped"
 *   +3h  blog (S2) preview of "Article 1" to me           +4h  shop custom "order delivered"
 */
async function scene() {
  ctx.clock.set(at(0));
  const owner = await registerAdmin(ctx.app);
  const news = await account(owner, 'News Daily', 'subscription');
  const blog = await account(owner, 'Tech Blog', 'subscription');
  const shop = await account(owner, 'Shop', 'service');
  const me = await createWechatUser(ctx.app);
  const other = await createWechatUser(ctx.app);
  const openids = {
    news: await follow(ctx.app, me, news.appid),
    blog: await follow(ctx.app, me, blog.appid),
    shop: await follow(ctx.app, me, shop.appid),
  };
  await follow(ctx.app, other, news.appid);

  ctx.clock.set(at(1));
  const morning = await broadcastToAll(owner, news, 'S1 morning');
  ctx.clock.set(at(2));
  await custom(owner, shop, openids.shop, 'order shipped');
  ctx.clock.set(at(3));
  await preview(owner, blog, openids.blog);
  ctx.clock.set(at(4));
  await custom(owner, shop, openids.shop, 'order delivered');
  return { owner, news, blog, shop, me, other, openids, morning };
}

describe('GET /client/v1/chats', () => {
  it('lists each service account on its own and folds every subscription account into one entry, newest first, unread summed', async () => {
    const { owner, news, blog, shop, me, openids } = await scene();

    expect(await chats(me)).toEqual({
      items: [
        {
          kind: 'account',
          appid: shop.appid,
          name: 'Shop',
          type: 'service',
          following: true,
          lastMessage: { kind: 'custom', type: 'text', summary: 'order delivered', at: at(4) },
          unread: 2,
          readAt: null,
          typing: false,
        },
        {
          kind: 'subscriptions',
          lastMessage: { appid: blog.appid, accountName: 'Tech Blog', kind: 'broadcast', type: 'news', summary: 'Article 1', at: at(3) },
          unread: 2,
          accounts: 2,
        },
      ],
      nextCursor: null,
    });

    // A newer message in a folded conversation moves the folder to the top, naming its account.
    ctx.clock.set(at(5));
    await custom(owner, news, openids.news, 'S1 evening');
    const { items } = await chats(me);
    expect(items.map((item) => item.kind)).toEqual(['subscriptions', 'account']);
    expect(items[0]).toEqual({
      kind: 'subscriptions',
      lastMessage: { appid: news.appid, accountName: 'News Daily', kind: 'custom', type: 'text', summary: 'S1 evening', at: at(5) },
      unread: 3,
      accounts: 2,
    });
  });

  it('opens the folder as its own list: the subscription accounts, newest first, with their own unread counts', async () => {
    const { owner, news, blog, me, openids } = await scene();
    ctx.clock.set(at(5));
    await custom(owner, news, openids.news, 'S1 evening');

    const { items, nextCursor } = await subscriptions(me);
    expect(nextCursor).toBeNull();
    expect(items.map((item) => [item.appid, item.type, item.unread, item.lastMessage?.summary, item.lastMessage?.at])).toEqual([
      [news.appid, 'subscription', 2, 'S1 evening', at(5)],
      [blog.appid, 'subscription', 1, 'Article 1', at(3)],
    ]);
    // What the inbox shows is what the chat counts.
    const inbox = await ctx.app.inject({ method: 'GET', url: `/client/v1/inbox?appid=${news.appid}`, headers: me.headers });
    expect(inbox.json().items).toHaveLength(2);
  });

  it('pages with a cursor, without repeats or gaps', async () => {
    const { me, shop } = await scene();
    const first = await chats(me, '?limit=1');
    expect(first.items.map((item) => item.kind)).toEqual(['account']);
    expect(first.items[0]!.appid).toBe(shop.appid);
    expect(first.nextCursor).not.toBeNull();
    const second = await chats(me, `?limit=1&cursor=${first.nextCursor}`);
    expect(second).toEqual({ items: [expect.objectContaining({ kind: 'subscriptions' })], nextCursor: null });
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/client/v1/chats?cursor=bm9wZQ', headers: me.headers }), 400, 'VALIDATION_FAILED');
    // The cursor's shape with a time past the last valid Date: refused, not read as NaN (an empty page).
    const beyondDates = Buffer.from('c1:9999999999999999:subscriptions').toString('base64url');
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/client/v1/chats?cursor=${beyondDates}`, headers: me.headers }), 400, 'VALIDATION_FAILED');
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/client/v1/chats/subscriptions?cursor=${beyondDates}`, headers: me.headers }), 400, 'VALIDATION_FAILED');
  });

  it("keeps users apart: another follower sees only what reached them", async () => {
    const { news, other } = await scene();
    expect(await chats(other)).toEqual({
      items: [
        {
          kind: 'subscriptions',
          lastMessage: { appid: news.appid, accountName: 'News Daily', kind: 'broadcast', type: 'text', summary: 'S1 morning', at: at(1) },
          unread: 1,
          accounts: 1,
        },
      ],
      nextCursor: null,
    });
    const stranger = await createWechatUser(ctx.app);
    expect(await chats(stranger)).toEqual({ items: [], nextCursor: null });
    expect(await subscriptions(stranger)).toEqual({ items: [], nextCursor: null });
  });

  it('drops a deleted broadcast, as the inbox does', async () => {
    const { owner, news, me, other, morning } = await scene();
    const deleted = await ctx.app.inject({ method: 'DELETE', url: `/v1/accounts/${news.id}/broadcasts/${morning}`, headers: owner.headers });
    expect(deleted.statusCode, deleted.body).toBeLessThan(300);
    expect(await chats(other)).toEqual({ items: [], nextCursor: null });
    expect((await subscriptions(me)).items.map((item) => item.appid)).not.toContain(news.appid);
    expect((await chats(me)).items.find((item) => item.kind === 'subscriptions')).toMatchObject({ unread: 1, accounts: 1 });
  });

  it('moves a conversation out of the folder when its account becomes a service account', async () => {
    const { owner, news, blog, me } = await scene();
    const response = await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${blog.id}/type`, headers: owner.headers, payload: { type: 'service' } });
    expect(response.statusCode, response.body).toBe(200);

    const { items } = await chats(me);
    expect(items.map((item) => [item.kind, item.appid ?? null, item.unread])).toEqual([
      ['account', expect.any(String), 2],
      ['account', blog.appid, 1],
      ['subscriptions', null, 1],
    ]);
    expect(items[1]).toMatchObject({ type: 'service', lastMessage: { summary: 'Article 1', at: at(3) } });
    expect(items[2]).toMatchObject({ accounts: 1, lastMessage: { appid: news.appid } });
    expect((await subscriptions(me)).items.map((item) => item.appid)).toEqual([news.appid]);
  });

  it('keeps a conversation after an unfollow, marked as no longer followed', async () => {
    const { blog, me } = await scene();
    await unfollow(ctx.app, me, blog.appid);
    const { items } = await subscriptions(me);
    expect(items.find((item) => item.appid === blog.appid)).toMatchObject({ following: false, unread: 1 });
  });
});

describe('reading marks a conversation read', () => {
  it('POST /client/v1/chats/:appid/read marks it read up to now; what arrives later is unread again', async () => {
    const { owner, news, shop, me, other, openids } = await scene();
    ctx.clock.set(at(6));
    const read = await markRead(me, news.appid);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toEqual({ appid: news.appid, readAt: at(6), unread: 0 });

    expect(await chat(me, news)).toMatchObject({ unread: 0, readAt: at(6), lastMessage: { summary: 'S1 morning' } });
    expect((await chats(me)).items.find((item) => item.kind === 'subscriptions')).toMatchObject({ unread: 1 });
    // Only the reader's marker moves.
    expect((await chats(other)).items[0]).toMatchObject({ unread: 1 });

    ctx.clock.set(at(7));
    await custom(owner, news, openids.news, 'later');
    expect(await chat(me, news)).toMatchObject({ unread: 1, lastMessage: { summary: 'later', at: at(7) } });

    // Reading the inbox (a GET) changes nothing; marking it read again does, and a marker never moves back.
    await ctx.app.inject({ method: 'GET', url: `/client/v1/inbox?appid=${shop.appid}`, headers: me.headers });
    expect(await chat(me, shop)).toMatchObject({ unread: 2 });
    expect((await markRead(me, shop.appid)).statusCode).toBe(200);
    expect(await chat(me, shop)).toMatchObject({ unread: 0, readAt: at(7) });
    ctx.clock.set(at(6.5));
    expect((await markRead(me, shop.appid)).json()).toMatchObject({ readAt: at(7) });
  });

  it('answers 404 for an unknown account or one never followed, and a conversation without messages has none', async () => {
    const { owner, me } = await scene();
    expectProblem(await markRead(me, 'wx0000000000000000'), 404, 'ACCOUNT_NOT_FOUND');
    const unfollowed = await createAccount(ctx.app, owner, 'Never followed');
    expectProblem(await markRead(me, unfollowed.appid), 404, 'FOLLOWER_NOT_FOUND');
    const notFound = await ctx.app.inject({ method: 'GET', url: `/client/v1/chats/${unfollowed.appid}`, headers: me.headers });
    expectProblem(notFound, 404, 'FOLLOWER_NOT_FOUND');

    const quiet = await createAccount(ctx.app, owner, 'Quiet');
    await follow(ctx.app, me, quiet.appid);
    expect(await chat(me, quiet)).toMatchObject({ lastMessage: null, unread: 0, typing: false });
    expect((await chats(me)).items.map((item) => item.appid)).not.toContain(quiet.appid);
  });
});

describe('typing', () => {
  it("shows on the follower's conversation while the account is typing", async () => {
    const { shop, me, openids } = await scene();
    const token = await accessToken(ctx.app, shop);
    // The custom message at +4h is the exchange within 30 seconds that typing needs.
    expect(await cgi(ctx.app, 'POST', '/cgi-bin/message/custom/typing', token, { body: { touser: openids.shop, command: 'Typing' } })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await chat(me, shop)).toMatchObject({ typing: true });
    expect((await chats(me)).items[0]).toMatchObject({ appid: shop.appid, typing: true });
    ctx.clock.advance(15_000);
    expect(await chat(me, shop)).toMatchObject({ typing: false });
  });
});

describe('authentication', () => {
  it('refuses every chat route without a user token (401)', async () => {
    const { news } = await scene();
    for (const [method, url] of [
      ['GET', '/client/v1/chats'],
      ['GET', '/client/v1/chats/subscriptions'],
      ['GET', `/client/v1/chats/${news.appid}`],
      ['POST', `/client/v1/chats/${news.appid}/read`],
    ] as const) {
      expectProblem(await ctx.app.inject({ method, url }), 401, 'UNAUTHORIZED');
    }
  });
});

describe('the one-line summary of a last message', () => {
  it('is the text, the first title, or the kind of what cannot be shown in a line', () => {
    expect(summaryOf({ kind: 'custom', message: { type: 'text', content: '  hello\n  world ' } })).toEqual({ kind: 'custom', type: 'text', summary: 'hello world' });
    expect(summaryOf({ kind: 'custom', message: { type: 'text', content: '长'.repeat(100) } }).summary).toBe(`${'长'.repeat(59)}…`);
    expect(summaryOf({ kind: 'reply', message: { type: 'news', articles: [{ title: 'First' }, { title: 'Second' }] } }).summary).toBe('First');
    expect(summaryOf({ kind: 'reply', message: { type: 'voice', mediaId: 'm' } }).summary).toBe('[Voice]');
    expect(summaryOf({ kind: 'custom', message: { type: 'msgmenu', headContent: 'Rate us', list: [], tailContent: '' } }).summary).toBe('Rate us');
    expect(summaryOf({ kind: 'broadcast', type: 'image', content: null, title: null, preview: false })).toEqual({ kind: 'broadcast', type: 'image', summary: '[Image]' });
    // Template messages (webhook_replies kind 'template') carry a title and no type.
    expect(summaryOf({ kind: 'template', message: { msgId: '1', templateId: 't', title: 'Order shipped', content: '…' } })).toEqual({ kind: 'template', type: 'template', summary: 'Order shipped' });
  });
});
