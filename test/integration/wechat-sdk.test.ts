import { Agent, type IncomingMessage } from 'node:http';
import WechatAPI from 'co-wechat-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumers } from '../../src/queues/consumers.js';
import { createAccount, registerAdmin, type CreatedAccount } from '../helpers/admin.js';
import { createWechatUser, follow, followers, unfollow, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { capableAccount, cgi, expectErrcode } from '../helpers/wechat.js';
import { startWorker, waitFor } from '../helpers/worker.js';

/**
 * The WeChat-compatible API driven by a published WeChat client library, co-wechat-api (node-webot), over real HTTP
 * against the app listening on a local port: its own token flow (fetch, cache, refetch on 42001 / 40001), datacube,
 * users and tags, media and mass messages. The library is pointed here by its public `prefix`-style properties; its
 * datacube methods hard-code https://api.weixin.qq.com/datacube/ (lib/api_datacube.js), so `request` is wrapped to
 * send those to the same base (the one shim needed).
 */

// The statistics folder runs only when a test asks (catchUp).
const ctx = useTestContext({ STATS_FOLD_INTERVAL_MS: '60000' });
let worker: Consumers;
let baseUrl: string;
/** Every HTTP request the listening server received: method, url, content-type. */
const requests: Array<{ method: string; url: string; contentType: string | undefined }> = [];
const record = (request: IncomingMessage) => requests.push({ method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'] });
// No keep-alive, so no socket of the SDK outlives a call; destroyed in afterAll all the same.
const agent = new Agent({ keepAlive: false });

beforeAll(async () => {
  worker = await startWorker(ctx);
  baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  ctx.app.server.on('request', record);
});

afterAll(async () => {
  ctx.app?.server.off('request', record);
  agent.destroy();
  await worker?.close();
  // Stop listening here (the context's afterAll closes the app again, which is harmless) and check the port is free.
  if (ctx.app) {
    await ctx.app.close();
    expect(ctx.app.server.listening).toBe(false);
  }
});

const DAY_MS = 86_400_000;
/** A day in Asia/Shanghai (the statistics' days), as WeChat writes it. */
const shanghaiDay = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
const yesterday = () => shanghaiDay(ctx.clock.now().getTime() - DAY_MS);

const WECHAT_HOST = 'https://api.weixin.qq.com/';

/** The SDK as an application would set it up, pointed at the test server, with its token store visible. */
function sdk(account: Pick<CreatedAccount, 'appid' | 'appsecret'>) {
  const store: { current: WechatAPI.StoredToken | null; saved: Array<WechatAPI.StoredToken | null> } = { current: null, saved: [] };
  class PointedApi extends WechatAPI {
    // co-wechat-api 3.11.0 builds datacube URLs from a literal host, not from a property (lib/api_datacube.js).
    override request(url: string, opts?: Record<string, unknown>, retry?: number) {
      const pointed = url.startsWith(`${WECHAT_HOST}datacube/`) ? `${baseUrl}/${url.slice(WECHAT_HOST.length)}` : url;
      if (!pointed.startsWith(`${baseUrl}/`)) throw new Error(`the SDK called outside the test server: ${url}`);
      return super.request(pointed, opts, retry);
    }
  }
  const api = new PointedApi(
    account.appid,
    account.appsecret,
    async () => store.current,
    async (token) => {
      store.current = token;
      store.saved.push(token);
    },
  );
  api.prefix = `${baseUrl}/cgi-bin/`;
  api.mpPrefix = `${baseUrl}/cgi-bin/`;
  api.fileServerPrefix = `${baseUrl}/cgi-bin/`;
  api.setOpts({ agent, timeout: 15_000 });
  return { api, store };
}

/** The /cgi-bin/token calls the server received for an AppID. */
const tokenFetches = (appid: string) => requests.filter((request) => request.url.startsWith('/cgi-bin/token?') && request.url.includes(`appid=${appid}`));
const callsTo = (path: string) => requests.filter((request) => request.url.split('?')[0] === path);
const tokenOf = (url: string) => new URL(url, 'http://x').searchParams.get('access_token');

async function setup() {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  // The SDK calls followers, tags, media, mass sends and the datacube: a verified account's interfaces.
  await capableAccount(ctx.app, owner, account, { verified: true });
  return { owner, account };
}

async function inbox(user: WechatUserSession, appid: string) {
  const response = await ctx.app.inject({ method: 'GET', url: `/client/v1/inbox?appid=${appid}`, headers: user.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items as Array<Record<string, unknown>>;
}

/** Asks for a mass message's status until it is final; returns the last answer. */
function finalStatus(api: WechatAPI, msgId: unknown) {
  return waitFor(
    async () => {
      const answer = await api.getMassMessageStatus(msgId);
      return answer.msg_status === 'SENDING' ? undefined : answer;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: `mass message ${String(msgId)} to finish` },
  );
}

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe('a published WeChat SDK (co-wechat-api) against the server', () => {
  it("fetches a token with its own flow, keeps it, and refetches and replays on 42001 (expired) and 40001 (replaced)", async () => {
    const { account } = await setup();
    const { api, store } = sdk(account);

    const first = await api.getUserCumulate(yesterday(), yesterday());
    expect(first).toEqual({ list: [{ ref_date: yesterday(), user_source: 0, cumulate_user: 0 }] });
    expect(tokenFetches(account.appid)).toHaveLength(1);
    expect(store.current?.accessToken).toMatch(/^[A-Za-z0-9_-]{50}$/);
    const token1 = store.current!.accessToken;
    // The token is cached: a second call fetches none.
    await api.getUserSummary(yesterday(), yesterday());
    expect(tokenFetches(account.appid)).toHaveLength(1);

    // Past the token's 2 hours on the server's clock (the SDK judges expiry by its own clock, so it still sends it).
    ctx.clock.advance(7_200_000 + 1000);
    const before = requests.length;
    expect(await api.getUserCumulate(yesterday(), yesterday())).toEqual({ list: [{ ref_date: yesterday(), user_source: 0, cumulate_user: 0 }] });
    expect(tokenFetches(account.appid)).toHaveLength(2);
    const token2 = store.current!.accessToken;
    expect(token2).not.toBe(token1);
    // The SDK dropped the expired token (saveToken(null)) and saved the new one.
    expect(store.saved.map((token) => token?.accessToken ?? null)).toEqual([token1, null, token2]);
    // On the wire: the call with the old token, the token fetch, the replay with the new one.
    const wire = requests.slice(before);
    expect(wire.map((request) => [request.method, request.url.split('?')[0], tokenOf(request.url)])).toEqual([
      ['POST', '/datacube/getusercumulate', token1],
      ['GET', '/cgi-bin/token', null],
      ['POST', '/datacube/getusercumulate', token2],
    ]);
    // The first was answered 42001, as the SDK saw it.
    expectErrcode(await cgi(ctx.app, 'POST', '/datacube/getusercumulate', token1, { body: { begin_date: yesterday(), end_date: yesterday() } }), 42001);

    // Another holder of the AppSecret fetches a token; 5 minutes later the SDK's is no longer valid (40001).
    const other = sdk(account);
    await other.api.getAccessToken();
    ctx.clock.advance(5 * 60_000 + 1000);
    expectErrcode(await cgi(ctx.app, 'POST', '/datacube/getusersummary', token2, { body: { begin_date: yesterday(), end_date: yesterday() } }), 40001);
    const summary = await api.getUserSummary(yesterday(), yesterday());
    expect(summary).toEqual({ list: [{ ref_date: yesterday(), user_source: 0, new_user: 0, cancel_user: 0 }] });
    expect(tokenFetches(account.appid)).toHaveLength(4);
    expect(store.current!.accessToken).not.toBe(token2);

    // A wrong AppSecret: the token fetch fails with WeChat's code, and nothing is stored.
    const wrong = sdk({ appid: account.appid, appsecret: '0'.repeat(32) });
    await expect(wrong.api.getUserSummary(yesterday(), yesterday())).rejects.toMatchObject({ name: 'WeChatAPIError', code: 40125 });
    expect(wrong.store.saved).toEqual([]);

    // What the SDK sends: the token fetch as a bare GET, JSON bodies as application/json.
    expect(tokenFetches(account.appid).every((request) => request.method === 'GET' && request.contentType === undefined)).toBe(true);
    expect(tokenFetches(account.appid)).toHaveLength(5);
    expect(callsTo('/datacube/getusersummary').every((request) => request.contentType === 'application/json')).toBe(true);
  });

  it('reads follower statistics through the datacube methods, with the figures the folder made', async () => {
    const { account } = await setup();
    const [a, b, c] = [await createWechatUser(ctx.app), await createWechatUser(ctx.app), await createWechatUser(ctx.app)];
    ctx.clock.set('2026-06-20T02:00:00Z'); // Jun 20, 10:00 in Shanghai
    await follow(ctx.app, a, account.appid, 'ADD_SCENE_SEARCH');
    await follow(ctx.app, b, account.appid, 'ADD_SCENE_SEARCH');
    await follow(ctx.app, c, account.appid, 'ADD_SCENE_QR_CODE');
    await unfollow(ctx.app, b, account.appid);
    ctx.clock.set('2026-06-21T02:00:00Z');
    await worker.statsFolder.catchUp();

    const { api } = sdk(account);
    expect(yesterday()).toBe('2026-06-20');
    expect(await api.getUserSummary('2026-06-19', '2026-06-20')).toEqual({
      list: [
        { ref_date: '2026-06-19', user_source: 0, new_user: 0, cancel_user: 0 },
        { ref_date: '2026-06-20', user_source: 1, new_user: 2, cancel_user: 1 },
        { ref_date: '2026-06-20', user_source: 30, new_user: 1, cancel_user: 0 },
      ],
    });
    expect(await api.getUserCumulate('2026-06-19', '2026-06-20')).toEqual({
      list: [
        { ref_date: '2026-06-19', user_source: 0, cumulate_user: 0 },
        { ref_date: '2026-06-20', user_source: 0, cumulate_user: 2 },
      ],
    });
    // WeChat's errors reach the caller as the SDK's WeChatAPIError, with the errcode and the errmsg as its message.
    await expect(api.getUserSummary('2026-06-20', '2026-06-21')).rejects.toMatchObject({ name: 'WeChatAPIError', code: 61501, message: expect.stringMatching(/^date range error rid: \S+$/) });
    await expect(api.getUserSummary('2026-06-10', '2026-06-20')).rejects.toMatchObject({ name: 'WeChatAPIError', code: 61501 });
    await expect(api.getUserCumulate('20260620', '20260620')).rejects.toMatchObject({ name: 'WeChatAPIError', code: 61500 });
  });

  it('pages the followers (user/get) and reads a follower (user/info)', async () => {
    const { account } = await setup();
    ctx.clock.set('2026-06-22T02:00:00Z');
    const fans = await followers(ctx.app, account.appid, 3);
    const openids = fans.map((fan) => fan.openid);
    const { api } = sdk(account);

    const page = await api.getFollowers();
    expect(page).toMatchObject({ total: 3, count: 3, data: { openid: expect.any(Array) } });
    expect([...page.data.openid].sort()).toEqual([...openids].sort());
    // next_openid is the last openid of the page; asking from there gives no more (WeChat: count 0, no data).
    expect(page.next_openid).toBe(page.data.openid.at(-1));
    const after = await api.getFollowers(page.next_openid);
    expect(after).toMatchObject({ total: 3, count: 0 });
    expect(after.data?.openid ?? []).toEqual([]);
    // The loop an application writes (wechatpy's iter_followers stops on no data or an empty next_openid).
    const seen: string[] = [];
    let next = '';
    for (let i = 0; i < 10; i++) {
      const answer = await api.getFollowers(next);
      if (!answer.data || answer.count === 0) break;
      seen.push(...answer.data.openid);
      if (!answer.next_openid) break;
      next = answer.next_openid;
    }
    expect(seen.sort()).toEqual([...openids].sort());

    const info = await api.getUser({ openid: openids[0]!, lang: 'zh_CN' });
    expect(info).toMatchObject({
      subscribe: 1,
      openid: openids[0],
      subscribe_time: Math.floor(Date.parse('2026-06-22T02:00:00Z') / 1000),
      remark: '',
      tagid_list: [],
      subscribe_scene: 'ADD_SCENE_SEARCH',
    });
    // The SDK's short form asks with lang=en.
    expect(await api.getUser(openids[1]!)).toMatchObject({ subscribe: 1, openid: openids[1] });
    const batch = await api.batchGetUsers(openids.slice(0, 2));
    expect(batch.user_info_list.map((user: { openid: string }) => user.openid)).toEqual(openids.slice(0, 2));
    // A user who left answers subscribe 0.
    await unfollow(ctx.app, fans[2]!, account.appid);
    expect(await api.getUser({ openid: openids[2]!, lang: 'zh_CN' })).toMatchObject({ subscribe: 0, openid: openids[2] });
    expect(await api.getFollowers()).toMatchObject({ total: 2, count: 2 });
  });

  it('creates a tag, tags followers in a batch and pages the tag (tags/*, user/tag/get)', async () => {
    const { account } = await setup();
    ctx.clock.set('2026-06-22T03:00:00Z');
    const fans = await followers(ctx.app, account.appid, 3);
    const [o1, o2, o3] = fans.map((fan) => fan.openid) as [string, string, string];
    const { api } = sdk(account);

    const created = await api.createTags('VIP');
    expect(created).toEqual({ tag: { id: expect.any(Number), name: 'VIP' } });
    const tagId = created.tag.id as number;
    expect([0, 1, 2]).not.toContain(tagId); // reserved ids
    expect((await api.getTags()).tags).toContainEqual({ id: tagId, name: 'VIP', count: 0 });
    await expect(api.createTags('VIP')).rejects.toMatchObject({ name: 'WeChatAPIError', code: 45157 });

    expect(await api.batchTagging([o1, o2], tagId)).toEqual({ errcode: 0, errmsg: 'ok' });
    expect((await api.getTags()).tags).toContainEqual({ id: tagId, name: 'VIP', count: 2 });
    const members = await api.getUsersFromTag(tagId);
    expect(members).toMatchObject({ count: 2, data: { openid: expect.any(Array) } });
    expect([...members.data.openid].sort()).toEqual([o1, o2].sort());
    expect(members.next_openid).toBe(members.data.openid.at(-1));
    expect(members.total).toBeUndefined(); // user/tag/get has no total
    const rest = await api.getUsersFromTag(tagId, members.next_openid);
    expect(rest.count).toBe(0);
    expect(await api.getIdList(o1)).toEqual({ tagid_list: [tagId] });
    expect(await api.getIdList(o3)).toEqual({ tagid_list: [] });
    expect(await api.getUser({ openid: o2, lang: 'zh_CN' })).toMatchObject({ tagid_list: [tagId] });
    await expect(api.batchTagging([o1], 999_999)).rejects.toMatchObject({ name: 'WeChatAPIError', code: 45159 });
  });

  it('mass-sends a text to all followers (message/mass/sendall) and reads its status (message/mass/get)', async () => {
    const { account } = await setup();
    ctx.clock.set('2026-06-23T02:00:00Z');
    const fans = await followers(ctx.app, account.appid, 2);
    const { api } = sdk(account);

    const sent = await api.massSendText('Hello from co-wechat-api', true);
    expect(sent).toMatchObject({ errcode: 0, errmsg: 'send job submission success', msg_id: expect.anything() });
    expect(sent.msg_data_id).toBeUndefined(); // only for mpnews
    // msg_id is a 64-bit integer; the SDK parses it with json-bigint, so it may come back as a BigNumber.
    const msgId = String(sent.msg_id);
    expect(msgId).toMatch(/^\d+$/);
    expect(callsTo('/cgi-bin/message/mass/sendall').at(-1)?.contentType).toBe('application/json');

    const status = await finalStatus(api, sent.msg_id);
    expect(status).toMatchObject({ msg_status: 'SEND_SUCCESS' });
    expect(String(status.msg_id)).toBe(msgId);
    // WeChat's own example sends msg_id as a string.
    expect(String((await api.getMassMessageStatus(msgId)).msg_id)).toBe(msgId);
    for (const fan of fans) {
      expect(await inbox(fan, account.appid)).toContainEqual(expect.objectContaining({ kind: 'broadcast', msgId, type: 'text', content: 'Hello from co-wechat-api' }));
    }
    await expect(api.getMassMessageStatus('1')).rejects.toMatchObject({ name: 'WeChatAPIError', code: 40059 });
  });

  it('uploads an image (media/upload), a news (media/uploadnews) and mass-sends the news to a tag', async () => {
    const { account } = await setup();
    ctx.clock.set('2026-06-24T02:00:00Z');
    const fans = await followers(ctx.app, account.appid, 2);
    const { api } = sdk(account);
    const tagId = (await api.createTags('readers')).tag.id as number;
    expect(await api.batchTagging([fans[0]!.openid], tagId)).toEqual({ errcode: 0, errmsg: 'ok' });

    const image = await api.uploadMedia(PNG, 'image', 'thumb.png', 'image/png');
    expect(image).toMatchObject({ type: 'image', media_id: expect.any(String), created_at: expect.any(Number) });
    expect(callsTo('/cgi-bin/media/upload').at(-1)?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    const news = await api.uploadNews({
      articles: [
        {
          thumb_media_id: image.media_id,
          author: 'Editor',
          title: 'Sent by an SDK',
          content_source_url: 'https://example.com/original',
          content: '<p>Hello, readers</p>',
          digest: 'A digest',
          show_cover_pic: '1',
        },
      ],
    });
    expect(news).toMatchObject({ type: 'news', media_id: expect.any(String), created_at: expect.any(Number) });

    const sent = await api.massSendNews(news.media_id, tagId);
    expect(sent).toMatchObject({ errcode: 0, errmsg: 'send job submission success', msg_id: expect.anything(), msg_data_id: expect.anything() });
    const msgId = String(sent.msg_id);
    expect(await finalStatus(api, sent.msg_id)).toMatchObject({ msg_status: 'SEND_SUCCESS' });
    const received = await inbox(fans[0]!, account.appid);
    expect(received).toContainEqual(expect.objectContaining({ kind: 'broadcast', msgId, type: 'news', msgDataId: Number(String(sent.msg_data_id)) }));
    // The follower without the tag got nothing.
    expect((await inbox(fans[1]!, account.appid)).filter((item) => item.msgId === msgId)).toEqual([]);
  });
});
