import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { addMember, createAccount, expectProblem, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { createWechatUser, follow, unfollow, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { files, uploadMedia } from '../helpers/media.js';
import { accessToken, capableAccount, cgi, expectErrcode } from '../helpers/wechat.js';
import { CUSTOM_QUOTAS } from '../../src/modules/messages/custom.service.js';

const ctx = useTestContext();

const HOUR = 3_600_000;
const SECOND = 1_000;

async function customAccount(type: 'subscription' | 'service' = 'subscription') {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  await capableAccount(ctx.app, owner, account, { type, verified: true });
  const token = await accessToken(ctx.app, account);
  return { owner, account, token };
}

/** A new WeChat user who follows the account now (ctx.clock): the follow opens the window. */
async function fan(account: CreatedAccount) {
  const user = await createWechatUser(ctx.app);
  return { user, openid: await follow(ctx.app, user, account.appid) };
}

async function say(user: WechatUserSession, account: CreatedAccount, content = 'hi') {
  const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: user.headers, payload: { appid: account.appid, msgType: 'text', content } });
  expect(response.statusCode, response.body).toBeLessThan(300);
}

/** Sends with a fresh token: the tests move the clock past a token's 2 hours. */
const send = async (account: CreatedAccount, body: unknown) => cgi(ctx.app, 'POST', '/cgi-bin/message/custom/send', await accessToken(ctx.app, account), { body });
const text = (touser: string, content = 'hello') => ({ touser, msgtype: 'text', text: { content } });

async function inbox(user: WechatUserSession, account: CreatedAccount) {
  const response = await ctx.app.inject({ method: 'GET', url: `/client/v1/inbox?appid=${account.appid}`, headers: user.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items as Array<Record<string, unknown>>;
}

function v1(owner: AdminSession, account: CreatedAccount, openid: string, payload: unknown) {
  return ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/followers/${openid}/messages`, headers: owner.headers, payload: payload as Record<string, unknown> });
}

describe('message/custom/send: the 48-hour window (§10.2.1)', () => {
  it('is open for 48 hours after a follow: 47:59:59 later a message goes, 48:00:00 later it is refused with 45015', async () => {
    ctx.clock.set('2026-07-01T00:00:00Z');
    const { account } = await customAccount();
    const a = await fan(account);
    const b = await fan(account);

    ctx.clock.advance(48 * HOUR - SECOND);
    expect(await send(account, text(a.openid))).toEqual({ errcode: 0, errmsg: 'ok' });
    ctx.clock.advance(SECOND);
    const refused = await send(account, text(b.openid));
    expectErrcode(refused, 45015);
    expect(refused.errmsg).toMatch(/^response out of time limit or subscription is canceled rid: /);
  });

  it("is opened again by the follower's message, for 48 hours from it", async () => {
    ctx.clock.set('2026-07-01T00:00:00Z');
    const { account } = await customAccount();
    const a = await fan(account);
    ctx.clock.advance(72 * HOUR);
    expectErrcode(await send(account, text(a.openid)), 45015);

    await say(a.user, account); // 72:00:00
    ctx.clock.advance(48 * HOUR - SECOND);
    expect(await send(account, text(a.openid))).toEqual({ errcode: 0, errmsg: 'ok' });
    ctx.clock.advance(SECOND);
    expectErrcode(await send(account, text(a.openid)), 45015);
    // The account's own message opens nothing: a new message of the follower does.
    await say(a.user, account);
    expect(await send(account, text(a.openid))).toEqual({ errcode: 0, errmsg: 'ok' });
  });

  it('is opened by a click menu tap, not by a view tap (§10.2.1)', async () => {
    ctx.clock.set('2026-07-01T00:00:00Z');
    const { account, token } = await customAccount();
    const menu = { button: [{ type: 'click', name: 'Hi', key: 'K1' }, { type: 'view', name: 'Docs', url: 'https://example.com/docs' }] };
    expect(await cgi(ctx.app, 'POST', '/cgi-bin/menu/create', token, { body: menu })).toEqual({ errcode: 0, errmsg: 'ok' });
    const a = await fan(account);
    ctx.clock.advance(49 * HOUR);
    const tap = (payload: Record<string, unknown>) =>
      ctx.app.inject({ method: 'POST', url: '/client/v1/menu-clicks', headers: a.user.headers, payload: { appid: account.appid, ...payload } });
    expect((await tap({ url: 'https://example.com/docs' })).statusCode).toBeLessThan(300);
    expectErrcode(await send(account, text(a.openid)), 45015);
    expect((await tap({ key: 'K1' })).statusCode).toBeLessThan(300);
    expect(await send(account, text(a.openid))).toEqual({ errcode: 0, errmsg: 'ok' });
  });

  it('refuses an unfollowed follower with 45015, an openid of no follower with 40003, a blacklisted one with 43019', async () => {
    const { account, token } = await customAccount();
    const gone = await fan(account);
    await unfollow(ctx.app, gone.user, account.appid);
    expectErrcode(await send(account, text(gone.openid)), 45015);

    const other = await customAccount();
    const stranger = await fan(other.account);
    expectErrcode(await send(account, text(stranger.openid)), 40003);
    expectErrcode(await send(account, text('o-no-such-openid')), 40003);
    expectErrcode(await send(account, { msgtype: 'text', text: { content: 'x' } }), 40003);

    const blocked = await fan(account);
    expect(await cgi(ctx.app, 'POST', '/cgi-bin/tags/members/batchblacklist', token, { body: { openid_list: [blocked.openid] } })).toMatchObject({ errcode: 0 });
    expectErrcode(await send(account, text(blocked.openid)), 43019);
  });
});

/** Sends `n` text messages one after the other; the answers, in order. */
async function sendMany(account: CreatedAccount, openid: string, n: number) {
  const token = await accessToken(ctx.app, account);
  const answers: Array<Record<string, unknown>> = [];
  for (let i = 0; i < n; i++) answers.push(await cgi(ctx.app, 'POST', '/cgi-bin/message/custom/send', token, { body: text(openid, `m${i}`) }));
  return answers;
}

async function storedCustom(account: CreatedAccount, openid: string): Promise<number> {
  const result = await ctx.deps.database.db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM webhook_replies WHERE account_id = ${account.id} AND openid = ${openid} AND kind = 'custom'`);
  return result.rows[0]!.n;
}

describe('message/custom/send: the quota each action opens (§10.2.1)', () => {
  it('allows 20 messages after a follow, then 45047; a message of the follower opens 20 more', async () => {
    ctx.clock.set('2026-07-01T00:00:00Z');
    const { owner, account } = await customAccount();
    const a = await fan(account);

    expect((await sendMany(account, a.openid, CUSTOM_QUOTAS.follow.messages)).every((answer) => answer.errcode === 0)).toBe(true);
    const refused = await send(account, text(a.openid));
    expectErrcode(refused, 45047);
    expect(refused.errmsg).toMatch(/^out of response count limit rid: /);
    const fromConsole = await v1(owner, account, a.openid, { type: 'text', content: 'x' });
    expectProblem(fromConsole, 409, 'CUSTOM_MESSAGE_QUOTA_EXCEEDED');
    expect(fromConsole.json()).toMatchObject({ errcode: 45047 });

    ctx.clock.advance(HOUR);
    await say(a.user, account);
    expect((await sendMany(account, a.openid, CUSTOM_QUOTAS.message.messages)).every((answer) => answer.errcode === 0)).toBe(true);
    expectErrcode(await send(account, text(a.openid)), 45047);
    // Refused messages are not stored; each follower has quotas of their own.
    expect(await storedCustom(account, a.openid)).toBe(40);
    const b = await fan(account);
    expect(await send(account, text(b.openid))).toEqual({ errcode: 0, errmsg: 'ok' });
  });

  it('charges the quota that closes first: what is left of an older action is used before a newer one', async () => {
    ctx.clock.set('2026-07-01T00:00:00Z');
    const { account } = await customAccount();
    const a = await fan(account); // the follow's 20, open until 48:00:00
    ctx.clock.advance(47 * HOUR);
    expect((await sendMany(account, a.openid, 5)).every((answer) => answer.errcode === 0)).toBe(true);
    await say(a.user, account); // 20 more, open until 95:00:00
    // 15 left of the follow's, 20 of the message's: 30 sends take the follow's 15 and 15 of the message's.
    expect((await sendMany(account, a.openid, 30)).every((answer) => answer.errcode === 0)).toBe(true);
    ctx.clock.advance(HOUR); // the follow's window closed, with nothing left in it anyway
    expect((await sendMany(account, a.openid, 5)).every((answer) => answer.errcode === 0)).toBe(true);
    expectErrcode(await send(account, text(a.openid)), 45047);
    ctx.clock.advance(47 * HOUR);
    expectErrcode(await send(account, text(a.openid)), 45015);
  });

  it('gives the last unit to exactly one of several racing sends', async () => {
    ctx.clock.set('2026-07-01T00:00:00Z');
    const { account } = await customAccount();
    const a = await fan(account);
    expect((await sendMany(account, a.openid, CUSTOM_QUOTAS.follow.messages - 1)).every((answer) => answer.errcode === 0)).toBe(true);
    const token = await accessToken(ctx.app, account);
    const answers = await Promise.all(Array.from({ length: 6 }, () => cgi(ctx.app, 'POST', '/cgi-bin/message/custom/send', token, { body: text(a.openid) })));
    expect(answers.map((answer) => answer.errcode).sort()).toEqual([0, 45047, 45047, 45047, 45047, 45047]);
    expect(await storedCustom(account, a.openid)).toBe(CUSTOM_QUOTAS.follow.messages);
  });
});

describe('message/custom/typing (§10.2.2)', () => {
  const typing = async (account: CreatedAccount, body: unknown) => cgi(ctx.app, 'POST', '/cgi-bin/message/custom/typing', await accessToken(ctx.app, account), { body });
  async function chatOf(user: WechatUserSession, account: CreatedAccount) {
    const response = await ctx.app.inject({ method: 'GET', url: `/client/v1/chats/${account.appid}`, headers: user.headers });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { typing: boolean };
  }

  it('shows "typing" to the follower for 15 s after a message exchanged within 30 s; not twice at once; a message ends it', async () => {
    ctx.clock.set('2026-07-01T00:00:00Z');
    const { account } = await customAccount();
    const a = await fan(account);
    // A follow is no message exchanged.
    expectErrcode(await typing(account, { touser: a.openid, command: 'Typing' }), 45080);

    await say(a.user, account);
    ctx.clock.advance(10 * SECOND);
    expect(await typing(account, { touser: a.openid, command: 'Typing' })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await chatOf(a.user, account)).toMatchObject({ typing: true });
    const again = await typing(account, { touser: a.openid, command: 'Typing' });
    expectErrcode(again, 45081);
    expect(again.errmsg).toMatch(/^already typing rid: /);

    ctx.clock.advance(15 * SECOND); // 25 s after the follower's message
    expect(await chatOf(a.user, account)).toMatchObject({ typing: false });
    expect(await typing(account, { touser: a.openid, command: 'Typing' })).toEqual({ errcode: 0, errmsg: 'ok' });
    // Sending the message ends it; that message is an exchange that allows typing again.
    expect(await send(account, text(a.openid))).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await chatOf(a.user, account)).toMatchObject({ typing: false });
    ctx.clock.advance(29 * SECOND);
    expect(await typing(account, { touser: a.openid, command: 'Typing' })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await typing(account, { touser: a.openid, command: 'CancelTyping' })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await chatOf(a.user, account)).toMatchObject({ typing: false });
    expect(await typing(account, { touser: a.openid, command: 'CancelTyping' })).toEqual({ errcode: 0, errmsg: 'ok' });

    ctx.clock.advance(2 * SECOND); // 31 s after the last message
    expectErrcode(await typing(account, { touser: a.openid, command: 'Typing' }), 45080);
  });

  it('refuses with the customer-service codes: 45072, 40003, 43019, 45015, 44002, 48001', async () => {
    ctx.clock.set('2026-07-01T00:00:00Z');
    const { account, token } = await customAccount();
    const a = await fan(account);
    await say(a.user, account);
    expectErrcode(await typing(account, { touser: a.openid }), 45072);
    expectErrcode(await typing(account, { touser: a.openid, command: 'typing' }), 45072);
    expectErrcode(await typing(account, { command: 'Typing' }), 40003);
    expectErrcode(await typing(account, { touser: 'o-no-such-openid', command: 'Typing' }), 40003);
    expectErrcode(await cgi(ctx.app, 'POST', '/cgi-bin/message/custom/typing', token), 44002);

    const blocked = await fan(account);
    expect(await cgi(ctx.app, 'POST', '/cgi-bin/tags/members/batchblacklist', token, { body: { openid_list: [blocked.openid] } })).toMatchObject({ errcode: 0 });
    expectErrcode(await typing(account, { touser: blocked.openid, command: 'Typing' }), 43019);
    ctx.clock.advance(48 * HOUR);
    expectErrcode(await typing(account, { touser: a.openid, command: 'Typing' }), 45015);

    const owner = await registerAdmin(ctx.app);
    const unverified = await createAccount(ctx.app, owner);
    const b = await fan(unverified);
    expectErrcode(await typing(unverified, { touser: b.openid, command: 'Typing' }), 48001);
  });
});

describe('message/custom/send: messages and their errcodes (§10.2, §10.2.3)', () => {
  it('refuses what WeChat refuses, with its codes', async () => {
    const { account, token } = await customAccount();
    const { openid } = await fan(account);
    const other = await customAccount();
    const foreignImage = await uploadMedia(ctx.app, other.token, '/cgi-bin/media/upload', files.jpeg, { type: 'image' });
    const thumb = await uploadMedia(ctx.app, token, '/cgi-bin/media/upload', files.jpeg, { type: 'thumb' });
    const article = { title: 'T', description: 'D', url: 'https://example.com/a', picurl: 'https://example.com/p.jpg' };

    expectErrcode(await send(account, { touser: openid, msgtype: 'voice', voice: { media_id: 'x' } }), 40008);
    expectErrcode(await send(account, { touser: openid }), 40008);
    expectErrcode(await send(account, text(openid, '')), 44004);
    expectErrcode(await send(account, text(openid, '   ')), 44004);
    expectErrcode(await send(account, { touser: openid, msgtype: 'text' }), 44004);
    expectErrcode(await send(account, text(openid, 'x'.repeat(2049))), 45002);
    expectErrcode(await send(account, { touser: openid, msgtype: 'image', image: { media_id: foreignImage.media_id } }), 40007);
    expectErrcode(await send(account, { touser: openid, msgtype: 'image', image: { media_id: thumb.thumb_media_id } }), 40007);
    expectErrcode(await send(account, { touser: openid, msgtype: 'news', news: { articles: [article, article] } }), 45008);
    expectErrcode(await send(account, { touser: openid, msgtype: 'news', news: { articles: [] } }), 44003);
    expectErrcode(await send(account, { touser: openid, msgtype: 'news', news: { articles: [{ ...article, url: 'javascript:alert(1)' }] } }), 40066);
    // msgmenu is for service accounts (40200 on subscription accounts).
    expectErrcode(await send(account, { touser: openid, msgtype: 'msgmenu', msgmenu: { head_content: 'h', list: [{ id: '1', content: 'a' }], tail_content: 't' } }), 40200);
    // Checked before the window: the message is refused for what it is.
    expect(await send(account, text(openid, 'x'.repeat(2048)))).toEqual({ errcode: 0, errmsg: 'ok' });
  });

  it("lands each type in the recipient's inbox only, as kind 'custom', newest first", async () => {
    ctx.clock.set('2026-07-01T00:00:00Z');
    const { account, token } = await customAccount('service');
    const a = await fan(account);
    const b = await fan(account);
    const image = await uploadMedia(ctx.app, token, '/cgi-bin/media/upload', files.jpeg, { type: 'image' });
    const bodies = [
      text(a.openid, '你好'),
      { touser: a.openid, msgtype: 'image', image: { media_id: image.media_id } },
      { touser: a.openid, msgtype: 'news', news: { articles: [{ title: 'T', description: 'D', url: 'https://example.com/a', picurl: 'https://example.com/p.jpg' }] } },
      { touser: a.openid, msgtype: 'msgmenu', msgmenu: { head_content: 'Rate us', list: [{ id: '101', content: 'Good' }, { id: 102, content: 'Bad' }], tail_content: 'Thanks' } },
    ];
    for (const body of bodies) {
      ctx.clock.advance(SECOND);
      expect(await send(account, body)).toEqual({ errcode: 0, errmsg: 'ok' });
    }
    const items = await inbox(a.user, account);
    expect(items).toEqual([
      {
        kind: 'custom',
        deliveredAt: '2026-07-01T00:00:04.000Z',
        message: { type: 'msgmenu', headContent: 'Rate us', list: [{ id: '101', content: 'Good' }, { id: '102', content: 'Bad' }], tailContent: 'Thanks' },
      },
      {
        kind: 'custom',
        deliveredAt: '2026-07-01T00:00:03.000Z',
        message: { type: 'news', articles: [{ title: 'T', description: 'D', url: 'https://example.com/a', picUrl: 'https://example.com/p.jpg' }] },
      },
      { kind: 'custom', deliveredAt: '2026-07-01T00:00:02.000Z', message: { type: 'image', mediaId: image.media_id } },
      { kind: 'custom', deliveredAt: '2026-07-01T00:00:01.000Z', message: { type: 'text', content: '你好' } },
    ]);
    // Only the recipient sees it; a refused message is not stored.
    expect(await inbox(b.user, account)).toEqual([]);
    ctx.clock.advance(48 * HOUR);
    expectErrcode(await send(account, text(a.openid, 'late')), 45015);
    expect(await inbox(a.user, account)).toHaveLength(4);
  });

  it('pages custom messages with the inbox cursor, without repeats or gaps', async () => {
    ctx.clock.set('2026-07-01T00:00:00Z');
    const { account } = await customAccount();
    const a = await fan(account);
    for (let i = 1; i <= 5; i++) {
      ctx.clock.advance(SECOND);
      expect(await send(account, text(a.openid, `m${i}`))).toEqual({ errcode: 0, errmsg: 'ok' });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/client/v1/inbox?appid=${account.appid}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await ctx.app.inject({ method: 'GET', url, headers: a.user.headers });
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json() as { items: Array<{ message: { content: string } }>; nextCursor: string | null };
      seen.push(...page.items.map((item) => item.message.content));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
  });

  it('needs the custom_message capability: an unverified account gets 48001', async () => {
    const owner = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    const { openid } = await fan(account);
    expectErrcode(await send(account, text(openid)), 48001);
  });
});

describe('POST /v1/accounts/:id/followers/:openid/messages', () => {
  it('sends within the window, with the same rules and problem codes carrying the errcode', async () => {
    ctx.clock.set('2026-07-01T00:00:00Z');
    const { owner, account } = await customAccount();
    const a = await fan(account);

    const sent = await v1(owner, account, a.openid, { type: 'text', content: 'from the console' });
    expect(sent.statusCode, sent.body).toBe(201);
    expect(sent.json()).toEqual({ openid: a.openid, sentAt: '2026-07-01T00:00:00.000Z', message: { type: 'text', content: 'from the console' } });
    expect(await inbox(a.user, account)).toEqual([{ kind: 'custom', deliveredAt: '2026-07-01T00:00:00.000Z', message: { type: 'text', content: 'from the console' } }]);

    const empty = await v1(owner, account, a.openid, { type: 'text', content: '' });
    expectProblem(empty, 400, 'VALIDATION_FAILED');
    expect(empty.json()).toMatchObject({ errcode: 44004, errors: [{ path: '/content', errcode: 44004 }] });
    const twoArticles = { type: 'news', articles: [{ title: 'a' }, { title: 'b' }] };
    expect((await v1(owner, account, a.openid, twoArticles)).json()).toMatchObject({ code: 'VALIDATION_FAILED', errcode: 45008 });
    expectProblem(await v1(owner, account, a.openid, { type: 'voice', mediaId: 'x' }), 400, 'VALIDATION_FAILED');
    expectProblem(await v1(owner, account, 'o-nobody', { type: 'text', content: 'x' }), 404, 'FOLLOWER_NOT_FOUND');

    ctx.clock.advance(48 * HOUR);
    const late = await v1(owner, account, a.openid, { type: 'text', content: 'late' });
    expectProblem(late, 409, 'REPLY_WINDOW_CLOSED');
    expect(late.json()).toMatchObject({ errcode: 45015 });
  });

  it('is for owners and admins; analysts get 403, non-members 404', async () => {
    const { owner, account } = await customAccount();
    const a = await fan(account);
    const admin = await registerAdmin(ctx.app);
    const analyst = await registerAdmin(ctx.app);
    const outsider = await registerAdmin(ctx.app);
    await addMember(ctx.app, owner, account.id, admin, 'admin');
    await addMember(ctx.app, owner, account.id, analyst, 'analyst');
    expect((await v1(admin, account, a.openid, { type: 'text', content: 'x' })).statusCode).toBe(201);
    expectProblem(await v1(analyst, account, a.openid, { type: 'text', content: 'x' }), 403, 'FORBIDDEN');
    expectProblem(await v1(outsider, account, a.openid, { type: 'text', content: 'x' }), 404, 'ACCOUNT_NOT_FOUND');
  });

  it('stores nothing for a refused message', async () => {
    const { owner, account } = await customAccount();
    const a = await fan(account);
    await v1(owner, account, a.openid, { type: 'text', content: '' });
    const rows = await ctx.deps.database.db.execute(sql`SELECT 1 FROM webhook_replies WHERE account_id = ${account.id}`);
    expect(rows.rows).toHaveLength(0);
  });
});
