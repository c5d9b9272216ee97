import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { media } from '../../src/db/schema/media.js';
import type { Consumers } from '../../src/queues/consumers.js';
import { createAccount, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { followers } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { files, uploadMedia } from '../helpers/media.js';
import { startWorker, waitFor } from '../helpers/worker.js';
import { accessToken, capableAccount, cgi, expectErrcode } from '../helpers/wechat.js';

const ctx = useTestContext({ FANOUT_BATCH_SIZE: '3', SWEEP_INTERVAL_MS: '600000' });
let worker: Consumers;
beforeAll(async () => {
  worker = await startWorker(ctx);
});
afterAll(async () => {
  await worker?.close();
});

interface Setup {
  owner: AdminSession;
  account: CreatedAccount;
  token: string;
  fans: Awaited<ReturnType<typeof followers>>;
}

/**
 * A verified account (mass sends need 微信认证) with followers: a subscription account (one send a day) unless
 * `type` says service (mass/send to an openid list is a verified service account's only).
 */
async function setup(fanCount = 3, type: 'subscription' | 'service' = 'subscription'): Promise<Setup> {
  ctx.clock.set('2026-06-15T04:00:00Z');
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  await capableAccount(ctx.app, owner, account, { verified: true, type });
  const fans = await followers(ctx.app, account.appid, fanCount);
  return { owner, account, fans, token: await accessToken(ctx.app, account) };
}

const mediaRow = async (mediaId: string) => (await ctx.deps.database.db.select().from(media).where(eq(media.mediaId, mediaId)))[0];
const post = (token: string, path: string, body: unknown) => cgi(ctx.app, 'POST', path, token, { body });
const inbox = (fan: { headers: { authorization: string } }, appid: string) =>
  ctx.app.inject({ method: 'GET', url: `/client/v1/inbox?appid=${appid}`, headers: fan.headers }).then((r) => r.json().items as Array<Record<string, unknown>>);

async function uploadNews(token: string, count = 2) {
  const thumb = await uploadMedia(ctx.app, token, '/cgi-bin/media/upload', files.jpeg, { type: 'thumb' });
  const articles = Array.from({ length: count }, (_, i) => ({
    thumb_media_id: thumb.thumb_media_id,
    author: 'Editor',
    title: `Article ${i + 1}`,
    content_source_url: 'https://example.com/source',
    content: `<p>Body ${i + 1}</p><script>alert(1)</script>`,
    digest: 'Digest',
    show_cover_pic: 1,
    need_open_comment: 1,
    only_fans_can_comment: 0,
  }));
  return post(token, '/cgi-bin/media/uploadnews', { articles });
}

/** Polls mass/get until the message leaves SENDING. */
const finalStatus = (token: string, msgId: unknown) =>
  waitFor(
    async () => {
      const answer = await post(token, '/cgi-bin/message/mass/get', { msg_id: msgId });
      return answer.msg_status === 'SENDING' ? undefined : answer;
    },
    { what: `mass message ${String(msgId)} to finish` },
  );

describe('news: uploadnews and sendall', () => {
  it('sends uploaded news to all followers: mass/get reaches SEND_SUCCESS and inboxes show the articles and thumb', async () => {
    const { account, token, fans } = await setup(4);
    const news = await uploadNews(token);
    expect(news).toEqual({ type: 'news', media_id: expect.stringMatching(/^[A-Za-z0-9_-]{64}$/), created_at: Date.parse('2026-06-15T04:00:00Z') / 1000 });

    const sent = await post(token, '/cgi-bin/message/mass/sendall', { filter: { is_to_all: true }, mpnews: { media_id: news.media_id }, msgtype: 'mpnews', send_ignore_reprint: 0 });
    expect(sent).toEqual({ errcode: 0, errmsg: 'send job submission success', msg_id: expect.any(Number), msg_data_id: expect.any(Number) });
    expect(Number.isSafeInteger(sent.msg_id)).toBe(true);
    expect(await finalStatus(token, sent.msg_id)).toEqual({ msg_id: sent.msg_id, msg_status: 'SEND_SUCCESS' });

    for (const fan of fans) {
      const [item] = await inbox(fan, account.appid);
      expect(item).toMatchObject({ type: 'news', msgId: String(sent.msg_id), msgDataId: sent.msg_data_id });
      const articles = item!.articles as Array<{ title: string; thumbUrl: string; contentSourceUrl: string }>;
      expect(articles.map((a) => a.title)).toEqual(['Article 1', 'Article 2']);
      expect(articles[0]!.thumbUrl).toMatch(/^http:\/\/[^/]+\/media\/[0-9a-f]{32}\.jpg$/);
      expect(articles[0]!.contentSourceUrl).toBe('https://example.com/source');
    }
  });

  it('keeps serving a sent thumb after its 3 days, while media/get refuses it and an unsent one is swept', async () => {
    const { account, token, fans } = await setup(2);
    const thumb = await uploadMedia(ctx.app, token, '/cgi-bin/media/upload', files.jpeg, { type: 'thumb' });
    const unsent = await uploadMedia(ctx.app, token, '/cgi-bin/media/upload', files.jpeg, { type: 'thumb' });
    const news = await post(token, '/cgi-bin/media/uploadnews', { articles: [{ thumb_media_id: thumb.thumb_media_id, title: 'T', content: '<p>x</p>' }] });
    const sent = await post(token, '/cgi-bin/message/mass/sendall', { filter: { is_to_all: true }, mpnews: { media_id: news.media_id }, msgtype: 'mpnews' });
    expect(await finalStatus(token, sent.msg_id)).toMatchObject({ msg_status: 'SEND_SUCCESS' });
    const [item] = await inbox(fans[0]!, account.appid);
    const thumbUrl = (item!.articles as Array<{ thumbUrl: string }>)[0]!.thumbUrl;
    const key = /\/media\/([0-9a-f]{32}\.jpg)$/.exec(thumbUrl)![1]!;
    const unsentKey = (await mediaRow(unsent.thumb_media_id as string))!.storageKey!;
    const before = await ctx.deps.services.media.openPublic(unsentKey);
    expect(before).toBeDefined();
    before?.file.stream.destroy();

    ctx.clock.set('2026-06-20T04:00:00Z');
    const later = await accessToken(ctx.app, account);
    const got = await ctx.app.inject({ method: 'GET', url: '/cgi-bin/media/get', query: { access_token: later, media_id: thumb.thumb_media_id as string } });
    expectErrcode(got.json(), 40007);
    // An upload sweeps the account's expired media: the unsent thumb goes, the sent one stays for the inboxes.
    await uploadMedia(ctx.app, later, '/cgi-bin/media/upload', files.png, { type: 'image' });
    expect(await mediaRow(unsent.thumb_media_id as string)).toBeUndefined();
    expect(await ctx.deps.services.media.openPublic(unsentKey)).toBeUndefined();
    const served = await ctx.deps.services.media.openPublic(key);
    expect(served?.row.contentType).toBe('image/jpeg');
    served?.file.stream.destroy();
  });

  it('refuses what uploadnews cannot take with WeChat codes', async () => {
    const { token } = await setup(0);
    const voice = await uploadMedia(ctx.app, token, '/cgi-bin/media/upload', files.mp3, { type: 'voice' });
    const image = await uploadMedia(ctx.app, token, '/cgi-bin/media/upload', files.png, { type: 'image' });
    const article = (fields: Record<string, unknown>) => ({ thumb_media_id: image.media_id, title: 'T', content: '<p>x</p>', ...fields });
    const uploadnews = (articles: unknown) => post(token, '/cgi-bin/media/uploadnews', { articles });
    // An image is accepted as a thumb.
    expect(await uploadnews([article({})])).toMatchObject({ type: 'news' });
    expectErrcode(await uploadnews([article({ thumb_media_id: voice.media_id })]), 40007);
    expectErrcode(await uploadnews([article({ thumb_media_id: 'no-such-media' })]), 40007);
    expectErrcode(await uploadnews([]), 44003);
    expectErrcode(await uploadnews(Array.from({ length: 9 }, () => article({}))), 45008);
    expectErrcode(await uploadnews([article({ content: '<script>only a script</script>' })]), 44003);
    expectErrcode(await uploadnews([article({ title: 'x'.repeat(65) })]), 45003);
    expectErrcode(await uploadnews([article({ digest: 'x'.repeat(121) })]), 45004);
    expectErrcode(await post(token, '/cgi-bin/media/uploadnews', undefined as unknown as object), 44002);
  });
});

describe('sendall targets, dedup and quota', () => {
  it('sends text to a tag, and an image to the same tag named by group_id, reaching its members only', async () => {
    const { owner, account, token, fans } = await setup(4);
    const tag = (await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/tags`, headers: owner.headers, payload: { name: 'vip' } })).json();
    const members = [fans[1]!, fans[3]!];
    await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/tags/${tag.id}/members`, headers: owner.headers, payload: { openids: members.map((f) => f.openid) } });

    const text = await post(token, '/cgi-bin/message/mass/sendall', { filter: { is_to_all: false, tag_id: tag.id }, text: { content: 'vip only' }, msgtype: 'text' });
    expect(text).toEqual({ errcode: 0, errmsg: 'send job submission success', msg_id: expect.any(Number) });
    expect(await finalStatus(token, text.msg_id)).toMatchObject({ msg_status: 'SEND_SUCCESS' });
    expect((await inbox(fans[1]!, account.appid))[0]).toMatchObject({ type: 'text', content: 'vip only', msgId: String(text.msg_id) });
    expect(await inbox(fans[0]!, account.appid)).toEqual([]);

    ctx.clock.set('2026-06-16T04:00:00Z');
    const nextDay = await accessToken(ctx.app, account);
    const image = await uploadMedia(ctx.app, nextDay, '/cgi-bin/media/upload', files.png, { type: 'image' });
    const sent = await post(nextDay, '/cgi-bin/message/mass/sendall', { filter: { group_id: String(tag.id) }, image: { media_id: image.media_id }, msgtype: 'image' });
    expect(sent).toMatchObject({ errcode: 0, msg_id: expect.any(Number) });
    expect(sent.msg_data_id).toBeUndefined();
    expect(await finalStatus(nextDay, sent.msg_id)).toMatchObject({ msg_status: 'SEND_SUCCESS' });
    expect((await inbox(fans[3]!, account.appid))[0]).toMatchObject({ type: 'image', imageUrl: expect.stringMatching(/\/media\/[0-9a-f]{32}\.png$/) });
    expect(await inbox(fans[2]!, account.appid)).toEqual([]);
  });

  it('answers a reused clientmsgid with 45065 and the first msg_id, and a second send the same day with 45028', async () => {
    const { account, token } = await setup(2);
    const body = { filter: { is_to_all: true }, text: { content: 'once' }, msgtype: 'text', clientmsgid: 'send-once' };
    const first = await post(token, '/cgi-bin/message/mass/sendall', body);
    expect(first).toMatchObject({ errcode: 0, msg_id: expect.any(Number) });
    const again = await post(token, '/cgi-bin/message/mass/sendall', body);
    expectErrcode(again, 45065);
    expect(again.msg_id).toBe(first.msg_id);
    expectErrcode(await post(token, '/cgi-bin/message/mass/sendall', { ...body, clientmsgid: 'another' }), 45028);
    expectErrcode(await post(token, '/cgi-bin/message/mass/sendall', { ...body, clientmsgid: 'x'.repeat(65) }), 45067);
    // The next Shanghai day has quota again.
    ctx.clock.set('2026-06-15T16:00:00Z');
    const nextDay = await post(await accessToken(ctx.app, account), '/cgi-bin/message/mass/sendall', { ...body, clientmsgid: 'another' });
    expect(nextDay).toMatchObject({ errcode: 0, errmsg: 'send job submission success' });
  });

  it('refuses bad messages and filters with WeChat codes before using quota', async () => {
    const { token } = await setup(2);
    const sendall = (fields: Record<string, unknown>) => post(token, '/cgi-bin/message/mass/sendall', { filter: { is_to_all: true }, msgtype: 'text', text: { content: 'hi' }, ...fields });
    const voice = await uploadMedia(ctx.app, token, '/cgi-bin/media/upload', files.amr, { type: 'voice' });
    expectErrcode(await sendall({ msgtype: 'mpnews', mpnews: { media_id: 'no-such-news' } }), 40007);
    expectErrcode(await sendall({ msgtype: 'mpnews', mpnews: {} }), 41006);
    expectErrcode(await sendall({ msgtype: 'image', image: { media_id: voice.media_id } }), 40007);
    expectErrcode(await sendall({ msgtype: 'voice', voice: { media_id: voice.media_id } }), 40008);
    expectErrcode(await sendall({ text: { content: '' } }), 44004);
    expectErrcode(await sendall({ filter: { is_to_all: false, tag_id: 9999 } }), 45159);
    expectErrcode(await sendall({ filter: { is_to_all: false } }), 40097);
    // None of these used the day's one send.
    expect(await sendall({})).toMatchObject({ errcode: 0 });
  });
});

describe('send to openids, preview', () => {
  it('sends to a list of openids; fewer than two is 40130', async () => {
    const { account, token, fans } = await setup(3, 'service');
    const send = (touser: unknown) => post(token, '/cgi-bin/message/mass/send', { touser, msgtype: 'text', text: { content: 'listed' } });
    expectErrcode(await send([fans[0]!.openid]), 40130);
    expectErrcode(await send([fans[0]!.openid, fans[0]!.openid]), 40130);
    expectErrcode(await send('not-a-list'), 40031);
    const sent = await send([fans[0]!.openid, fans[2]!.openid]);
    expect(sent).toEqual({ errcode: 0, errmsg: 'send job submission success', msg_id: expect.any(Number) });
    expect(await finalStatus(token, String(sent.msg_id))).toEqual({ msg_id: sent.msg_id, msg_status: 'SEND_SUCCESS' });
    expect((await inbox(fans[2]!, account.appid))[0]).toMatchObject({ type: 'text', content: 'listed' });
    expect(await inbox(fans[1]!, account.appid)).toEqual([]);
  });

  it('previews to one follower without using quota; unknown openids and WeChat IDs are refused', async () => {
    const { account, token, fans } = await setup(2);
    const news = await uploadNews(token, 1);
    const preview = await post(token, '/cgi-bin/message/mass/preview', { touser: fans[0]!.openid, mpnews: { media_id: news.media_id }, msgtype: 'mpnews' });
    expect(preview).toEqual({ errcode: 0, errmsg: 'preview success', msg_id: expect.any(Number) });
    expect((await inbox(fans[0]!, account.appid))[0]).toMatchObject({ type: 'news', preview: true, msgId: String(preview.msg_id) });
    expect(await inbox(fans[1]!, account.appid)).toEqual([]);
    expectErrcode(await post(token, '/cgi-bin/message/mass/preview', { touser: 'o-not-a-follower', msgtype: 'text', text: { content: 'x' } }), 40003);
    expectErrcode(await post(token, '/cgi-bin/message/mass/preview', { towxname: 'someone', msgtype: 'text', text: { content: 'x' } }), 40132);
    expectErrcode(await post(token, '/cgi-bin/message/mass/preview', { msgtype: 'text', text: { content: 'x' } }), 41009);
    // The day's send is still there.
    expect(await post(token, '/cgi-bin/message/mass/sendall', { filter: { is_to_all: true }, msgtype: 'text', text: { content: 'x' } })).toMatchObject({ errcode: 0 });
  });
});

describe('delete and status', () => {
  it('deletes one article (still SEND_SUCCESS), then the whole message (DELETE); msg_id may be a string', async () => {
    const { account, token, fans } = await setup(2);
    const news = await uploadNews(token, 2);
    const sent = await post(token, '/cgi-bin/message/mass/sendall', { filter: { is_to_all: true }, mpnews: { media_id: news.media_id }, msgtype: 'mpnews' });
    await finalStatus(token, sent.msg_id);

    expect(await post(token, '/cgi-bin/message/mass/delete', { msg_id: sent.msg_id, article_idx: 2 })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await post(token, '/cgi-bin/message/mass/get', { msg_id: sent.msg_id })).toEqual({ msg_id: sent.msg_id, msg_status: 'SEND_SUCCESS' });
    const [item] = await inbox(fans[0]!, account.appid);
    expect((item!.articles as Array<{ title: string }>).map((a) => a.title)).toEqual(['Article 1']);

    expectErrcode(await post(token, '/cgi-bin/message/mass/delete', { msg_id: sent.msg_id, article_idx: 3 }), 40060);
    expectErrcode(await post(token, '/cgi-bin/message/mass/delete', { msg_id: sent.msg_id, article_idx: -1 }), 40060);
    expect(await post(token, '/cgi-bin/message/mass/delete', { msg_id: String(sent.msg_id), article_idx: 0 })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await post(token, '/cgi-bin/message/mass/get', { msg_id: String(sent.msg_id) })).toEqual({ msg_id: sent.msg_id, msg_status: 'DELETE' });
    expect(await inbox(fans[0]!, account.appid)).toEqual([]);
  });

  it('deleting every article one by one also reads DELETE', async () => {
    const { token } = await setup(1);
    const news = await uploadNews(token, 1);
    const sent = await post(token, '/cgi-bin/message/mass/sendall', { filter: { is_to_all: true }, mpnews: { media_id: news.media_id }, msgtype: 'mpnews' });
    await finalStatus(token, sent.msg_id);
    expect(await post(token, '/cgi-bin/message/mass/delete', { msg_id: sent.msg_id, article_idx: 1 })).toMatchObject({ errcode: 0 });
    expect(await post(token, '/cgi-bin/message/mass/get', { msg_id: sent.msg_id })).toMatchObject({ msg_status: 'DELETE' });
  });

  it("answers 40059 for an unknown, malformed or other account's msg_id", async () => {
    const { token } = await setup(1);
    const other = await setup(1);
    const sent = await post(other.token, '/cgi-bin/message/mass/sendall', { filter: { is_to_all: true }, msgtype: 'text', text: { content: 'x' } });
    for (const msgId of [sent.msg_id, 1, 'abc', -5, 2 ** 60, undefined]) {
      expectErrcode(await post(token, '/cgi-bin/message/mass/get', { msg_id: msgId }), 40059);
      expectErrcode(await post(token, '/cgi-bin/message/mass/delete', { msg_id: msgId }), 40059);
    }
  });
});

describe('speed', () => {
  it('reports and sets the speed level; out of range is 45083, missing 45084', async () => {
    const { owner, account, token } = await setup(0);
    expect(await post(token, '/cgi-bin/message/mass/speed/get', {})).toEqual({ speed: 0, realspeed: 80 });
    expect(await post(token, '/cgi-bin/message/mass/speed/set', { speed: 3 })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await post(token, '/cgi-bin/message/mass/speed/get', {})).toEqual({ speed: 3, realspeed: 30 });
    const admin = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/broadcast-speed`, headers: owner.headers });
    expect(admin.json()).toEqual({ speed: 3, recipientsPerMinute: 300_000 });
    expectErrcode(await post(token, '/cgi-bin/message/mass/speed/set', { speed: 5 }), 45083);
    expectErrcode(await post(token, '/cgi-bin/message/mass/speed/set', { speed: 1.5 }), 45083);
    expectErrcode(await post(token, '/cgi-bin/message/mass/speed/set', {}), 45084);
    expect(await post(token, '/cgi-bin/message/mass/speed/get', {})).toEqual({ speed: 3, realspeed: 30 });
  });
});
