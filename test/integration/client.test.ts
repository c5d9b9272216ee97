import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createAccount, expectProblem, registerAdmin } from '../helpers/admin.js';
import { newsMessage } from '../helpers/broadcasts.js';
import { createWechatUser, follow, unfollow } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';

const ctx = useTestContext();

async function setup() {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  return { owner, account };
}

async function countEvents(accountId: number, kind: string) {
  const result = await ctx.deps.database.db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM follow_events WHERE account_id = ${accountId} AND kind = ${kind}::follow_event_kind`,
  );
  return result.rows[0]!.n;
}

describe('WeChat users', () => {
  it('are created with a profile and get a token', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/client/v1/users',
      payload: { nickname: '小明', gender: 2, language: 'en', country: 'China', province: 'Beijing', city: 'Beijing' },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ userId: expect.any(Number), token: expect.any(String) });
  });

  it.each([
    [{}, /nickname/],
    [{ nickname: 'x', gender: 3 }, /gender/],
    [{ nickname: 'x', language: 'chinese' }, /language/],
    [{ nickname: 'x', age: 30 }, /age/],
  ])('rejects the profile %j', async (payload, mentions) => {
    const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/users', payload });
    expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail).toMatch(mentions);
  });
});

describe('tokens', () => {
  it('a client token is refused on the admin API and an admin token on the client API', async () => {
    const { owner, account } = await setup();
    const user = await createWechatUser(ctx.app);
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/v1/accounts', headers: user.headers }), 401, 'UNAUTHORIZED');
    const asAdmin = await ctx.app.inject({ method: 'POST', url: '/client/v1/follows', headers: owner.headers, payload: { appid: account.appid, scene: 'ADD_SCENE_SEARCH' } });
    expectProblem(asAdmin, 401, 'UNAUTHORIZED');
    const anonymous = await ctx.app.inject({ method: 'POST', url: '/client/v1/follows', payload: { appid: account.appid, scene: 'ADD_SCENE_SEARCH' } });
    expectProblem(anonymous, 401, 'UNAUTHORIZED');
  });
});

describe('following', () => {
  it('gives a 28-character openid; following again is idempotent and appends no second event', async () => {
    const { account } = await setup();
    const user = await createWechatUser(ctx.app);
    const first = await ctx.app.inject({ method: 'POST', url: '/client/v1/follows', headers: user.headers, payload: { appid: account.appid, scene: 'ADD_SCENE_QR_CODE', qrScene: 98765 } });
    expect(first.statusCode).toBe(201);
    expect(first.json().openid).toMatch(/^o[\w-]{27}$/);
    const second = await ctx.app.inject({ method: 'POST', url: '/client/v1/follows', headers: user.headers, payload: { appid: account.appid, scene: 'ADD_SCENE_SEARCH' } });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ openid: first.json().openid, alreadyFollowing: true });
    expect(await countEvents(account.id, 'subscribe')).toBe(1);
  });

  it('concurrent follows by the same user create one follower and one event', async () => {
    const { account } = await setup();
    const user = await createWechatUser(ctx.app);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => ctx.app.inject({ method: 'POST', url: '/client/v1/follows', headers: user.headers, payload: { appid: account.appid, scene: 'ADD_SCENE_SEARCH' } })),
    );
    expect(new Set(responses.map((r) => r.json().openid)).size).toBe(1);
    expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(await countEvents(account.id, 'subscribe')).toBe(1);
  });

  it('keeps the openid across unfollow and refollow, and records each step', async () => {
    const { owner, account } = await setup();
    const user = await createWechatUser(ctx.app);
    const openid = await follow(ctx.app, user, account.appid);
    await unfollow(ctx.app, user, account.appid);
    const info = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/followers/${openid}`, headers: owner.headers });
    expect(info.json().subscribe).toBe(0);
    expect(await follow(ctx.app, user, account.appid, 'ADD_SCENE_PROFILE_CARD')).toBe(openid);
    expect(await countEvents(account.id, 'subscribe')).toBe(2);
    expect(await countEvents(account.id, 'unsubscribe')).toBe(1);
    const after = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/followers/${openid}`, headers: owner.headers });
    expect(after.json()).toMatchObject({ subscribe: 1, subscribeScene: 'ADD_SCENE_PROFILE_CARD' });
  });

  it('an unsubscribe event records the scene and QR scene of the follow it ends', async () => {
    const { account } = await setup();
    const [byQr, byQrString] = [await createWechatUser(ctx.app), await createWechatUser(ctx.app)];
    const followBy = (user: { headers: { authorization: string } }, payload: Record<string, unknown>) =>
      ctx.app.inject({ method: 'POST', url: '/client/v1/follows', headers: user.headers, payload: { appid: account.appid, ...payload } });
    expect((await followBy(byQr, { scene: 'ADD_SCENE_QR_CODE', qrScene: 98765 })).statusCode).toBe(201);
    expect((await followBy(byQrString, { scene: 'ADD_SCENE_QR_CODE', qrScene: 'poster-7' })).statusCode).toBe(201);
    await unfollow(ctx.app, byQr, account.appid);
    await unfollow(ctx.app, byQrString, account.appid);
    // Came back from a search, left again: that cancellation counts for search.
    expect((await followBy(byQr, { scene: 'ADD_SCENE_SEARCH' })).statusCode).toBe(201);
    await unfollow(ctx.app, byQr, account.appid);

    const events = await ctx.deps.database.db.execute<{ wechat_user_id: number; scene: string; qr_scene: number | null; qr_scene_str: string | null }>(sql`
      SELECT wechat_user_id, scene, qr_scene, qr_scene_str FROM follow_events
      WHERE account_id = ${account.id} AND kind = 'unsubscribe' ORDER BY id`);
    expect(events.rows).toEqual([
      { wechat_user_id: byQr.userId, scene: 'ADD_SCENE_QR_CODE', qr_scene: 98765, qr_scene_str: null },
      { wechat_user_id: byQrString.userId, scene: 'ADD_SCENE_QR_CODE', qr_scene: null, qr_scene_str: 'poster-7' },
      { wechat_user_id: byQr.userId, scene: 'ADD_SCENE_SEARCH', qr_scene: null, qr_scene_str: null },
    ]);
  });

  it('gives different openids for different accounts, and one unionid across accounts of the same owner', async () => {
    const owner = await registerAdmin(ctx.app);
    const a = await createAccount(ctx.app, owner, 'A');
    const b = await createAccount(ctx.app, owner, 'B');
    const otherOwner = await registerAdmin(ctx.app);
    const c = await createAccount(ctx.app, otherOwner, 'C');
    const user = await createWechatUser(ctx.app);
    const [oa, ob, oc] = [await follow(ctx.app, user, a.appid), await follow(ctx.app, user, b.appid), await follow(ctx.app, user, c.appid)];
    expect(new Set([oa, ob, oc]).size).toBe(3);
    const info = async (accountId: number, openid: string, session = owner) =>
      (await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/followers/${openid}`, headers: session.headers })).json();
    const [ia, ib, ic] = [await info(a.id, oa), await info(b.id, ob), await info(c.id, oc, otherOwner)];
    expect(ia.unionid).toMatch(/^o[\w-]{27}$/);
    expect(ib.unionid).toBe(ia.unionid);
    expect(ic.unionid).not.toBe(ia.unionid);
  });

  it('unfollowing an account you do not follow is 409 NOT_FOLLOWING; an unknown appid is 404', async () => {
    const { account } = await setup();
    const user = await createWechatUser(ctx.app);
    expectProblem(await ctx.app.inject({ method: 'DELETE', url: `/client/v1/follows/${account.appid}`, headers: user.headers }), 409, 'NOT_FOLLOWING');
    await follow(ctx.app, user, account.appid);
    await unfollow(ctx.app, user, account.appid);
    expectProblem(await ctx.app.inject({ method: 'DELETE', url: `/client/v1/follows/${account.appid}`, headers: user.headers }), 409, 'NOT_FOLLOWING');
    expectProblem(
      await ctx.app.inject({ method: 'POST', url: '/client/v1/follows', headers: user.headers, payload: { appid: 'wx0000000000000000', scene: 'ADD_SCENE_SEARCH' } }),
      404,
      'ACCOUNT_NOT_FOUND',
    );
  });

  it.each([
    [{ scene: 'ADD_SCENE_TELEPATHY' }, /scene/],
    [{ scene: 'ADD_SCENE_SEARCH', qrScene: 5 }, /qrScene/],
    [{ scene: 'ADD_SCENE_QR_CODE', qrScene: -1 }, /qrScene/],
    [{ scene: 'ADD_SCENE_SEARCH', appid: 'not-an-appid' }, /appid/],
  ])('rejects the follow %j', async (overrides, mentions) => {
    const { account } = await setup();
    const user = await createWechatUser(ctx.app);
    const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/follows', headers: user.headers, payload: { appid: account.appid, ...overrides } });
    expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail).toMatch(mentions);
  });
});

describe('messages', () => {
  const valid: Record<string, Record<string, unknown>> = {
    text: { content: '你好' },
    image: { picUrl: 'https://example.com/p.jpg' },
    voice: { format: 'amr', recognition: '你好' },
    video: { videoUrl: 'https://example.com/v.mp4', thumbUrl: 'https://example.com/t.jpg' },
    shortvideo: { videoUrl: 'https://example.com/v.mp4', thumbUrl: 'https://example.com/t.jpg' },
    location: { latitude: 23.134521, longitude: 113.358803, scale: 20, label: '位置信息' },
    link: { title: '公众平台官网链接', description: '公众平台官网链接', url: 'https://mp.weixin.qq.com' },
  };

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['text', { content: '' }, /content/],
    ['text', { content: 'x'.repeat(2049) }, /content/],
    ['text', {}, /content/],
    ['text', { content: 'hi', picUrl: 'https://example.com/p.jpg' }, /picUrl/],
    ['image', { picUrl: 'not a url' }, /picUrl/],
    ['image', { picUrl: 'ftp://example.com/p.jpg' }, /picUrl/],
    ['voice', { format: 'wav' }, /format/],
    ['video', { videoUrl: 'https://example.com/v.mp4' }, /thumbUrl/],
    ['shortvideo', { thumbUrl: 'https://example.com/t.jpg' }, /videoUrl/],
    ['location', { latitude: 91, longitude: 0, scale: 10, label: '' }, /latitude/],
    ['location', { latitude: 0, longitude: -181, scale: 10, label: '' }, /longitude/],
    ['location', { latitude: 0, longitude: 0, scale: 1.5, label: '' }, /scale/],
    ['link', { title: '', description: '', url: 'https://example.com' }, /title/],
    ['link', { title: 't', description: 'd' }, /url/],
    ['sticker', { emoji: '🙂' }, /msgType/],
  ];

  it.each(Object.entries(valid))('a follower may send a %s message and gets a 64-bit MsgId', async (msgType, fields) => {
    const { account } = await setup();
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: user.headers, payload: { appid: account.appid, msgType, ...fields } });
    expect(response.statusCode, response.body).toBe(201);
    const msgId = response.json().msgId;
    expect(msgId).toMatch(/^\d{19}$/);
    const stored = await ctx.deps.database.db.execute<{ msg_type: string; body: Record<string, unknown> }>(sql`SELECT msg_type, body FROM messages WHERE msg_id = ${msgId}::bigint`);
    expect(stored.rows[0]!.msg_type).toBe(msgType);
    expect(Object.keys(stored.rows[0]!.body).length).toBeGreaterThan(0);
  });

  it.each(invalid)('a %s message with %j is rejected', async (msgType, fields, mentions) => {
    const { account } = await setup();
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: user.headers, payload: { appid: account.appid, msgType, ...fields } });
    expect(expectProblem(response, 400, 'VALIDATION_FAILED').detail).toMatch(mentions);
  });

  it('stores location and text fields under WeChat push names', async () => {
    const { account } = await setup();
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: user.headers, payload: { appid: account.appid, msgType: 'location', ...valid.location } });
    const stored = await ctx.deps.database.db.execute<{ body: Record<string, unknown> }>(sql`SELECT body FROM messages WHERE msg_id = ${response.json().msgId}::bigint`);
    expect(stored.rows[0]!.body).toEqual({ Location_X: 23.134521, Location_Y: 113.358803, Scale: 20, Label: '位置信息' });
  });

  it('MsgIds are unique and increasing', async () => {
    const { account } = await setup();
    const user = await createWechatUser(ctx.app);
    await follow(ctx.app, user, account.appid);
    const ids: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: user.headers, payload: { appid: account.appid, msgType: 'text', content: `m${i}` } });
      ids.push(BigInt(response.json().msgId));
    }
    expect(ids[0]! < ids[1]! && ids[1]! < ids[2]!).toBe(true);
  });

  it('non-followers and former followers may not message; nothing is stored', async () => {
    const { account } = await setup();
    const stranger = await createWechatUser(ctx.app);
    const payload = { appid: account.appid, msgType: 'text', content: 'hello' };
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: stranger.headers, payload }), 409, 'NOT_FOLLOWING');
    await follow(ctx.app, stranger, account.appid);
    await unfollow(ctx.app, stranger, account.appid);
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: stranger.headers, payload }), 409, 'NOT_FOLLOWING');
    const stored = await ctx.deps.database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM messages WHERE account_id = ${account.id}`);
    expect(stored.rows[0]!.n).toBe(0);
  });
});

describe('engagements', () => {
  it('records reads by followers and non-followers, and requires a share scene only for shares', async () => {
    const { owner, account } = await setup();
    const follower = await createWechatUser(ctx.app);
    const openid = await follow(ctx.app, follower, account.appid);
    const outsider = await createWechatUser(ctx.app);
    // A preview is sent at once, which gives this test a real article without running the fan-out worker.
    const preview = await ctx.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/broadcasts/preview`, headers: owner.headers, payload: { openids: [openid], message: newsMessage(1) } });
    expect(preview.statusCode, preview.body).toBe(201);
    const base = { appid: account.appid, msgDataId: preview.json().msgDataId, articleIndex: 1 };

    const read = await ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: follower.headers, payload: { ...base, action: 'read' } });
    expect(read.statusCode).toBe(201);
    expect(read.json().follower).toBe(true);
    const shared = await ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: outsider.headers, payload: { ...base, action: 'share', shareScene: 'moments', source: 'moments' } });
    expect(shared.statusCode).toBe(201);
    expect(shared.json().follower).toBe(false);

    expectProblem(await ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: follower.headers, payload: { ...base, action: 'share' } }), 400, 'VALIDATION_FAILED');
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: follower.headers, payload: { ...base, action: 'read', shareScene: 'friend' } }), 400, 'VALIDATION_FAILED');
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: follower.headers, payload: { ...base, articleIndex: 9, action: 'read' } }), 400, 'VALIDATION_FAILED');
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/client/v1/engagements', headers: follower.headers, payload: { ...base, action: 'like' } }), 400, 'VALIDATION_FAILED');

    const rows = await ctx.deps.database.db.execute<{ action: string; was_follower: boolean; share_scene: string | null }>(
      sql`SELECT action, was_follower, share_scene FROM article_engagements WHERE account_id = ${account.id} ORDER BY id`,
    );
    expect(rows.rows).toEqual([
      { action: 'read', was_follower: true, share_scene: null },
      { action: 'share', was_follower: false, share_scene: 'moments' },
    ]);
  });
});
