import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createAccount, registerAdmin, type CreatedAccount } from '../helpers/admin.js';
import { createWechatUser, follow, unfollow } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { accessToken, capableAccount, cgi, expectErrcode } from '../helpers/wechat.js';

const ctx = useTestContext();

async function setup() {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  // Followers and tags are a verified account's interfaces (capability policy).
  await capableAccount(ctx.app, owner, account, { verified: true });
  return { owner, account, token: await accessToken(ctx.app, account) };
}

/**
 * `n` followers inserted in one statement (as bench/client.ts does), in id order; every `unsubscribedEvery`-th one
 * (if given) has unfollowed. Returns their openids in id order with their state. They have no unionid.
 */
async function bulkFollowers(account: CreatedAccount, n: number, unsubscribedEvery = 0) {
  const result = await ctx.deps.database.db.execute<{ openid: string; subscribed: boolean }>(sql`
    WITH users AS (
      INSERT INTO wechat_users (nickname) SELECT 'bulk ' || g FROM generate_series(1, ${n}::int) g RETURNING id
    ), numbered AS (
      SELECT id, row_number() OVER (ORDER BY id) AS i FROM users
    )
    INSERT INTO followers (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at, subscribe_scene)
    SELECT ${account.id}::bigint, id, 'o' || md5(${account.id}::text || ':' || id::text),
           NOT (${unsubscribedEvery}::int > 0 AND i % ${unsubscribedEvery}::int = 0), now(), now(), 'ADD_SCENE_SEARCH'
    FROM numbered ORDER BY id
    RETURNING openid, subscribed`);
  return result.rows;
}

async function newFollower(account: CreatedAccount, scene = 'ADD_SCENE_SEARCH') {
  const user = await createWechatUser(ctx.app);
  return { user, openid: await follow(ctx.app, user, account.appid, scene) };
}

type Page = { total?: number; count: number; data?: { openid: string[] }; next_openid: string };

describe('user/get', () => {
  it('pages 10,000 openids of current followers at a time in follow order, and answers the page past the end as WeChat does', async () => {
    const { account, token } = await setup();
    const rows = await bulkFollowers(account, 10_500, 100);
    const subscribed = rows.filter((row) => row.subscribed).map((row) => row.openid);
    expect(subscribed.length).toBe(10_395);
    const userGet = async (next?: string) => (await cgi(ctx.app, 'GET', '/cgi-bin/user/get', token, next === undefined ? {} : { query: { next_openid: next } })) as Page;

    const first = await userGet();
    expect(first).toEqual({ total: 10_395, count: 10_000, data: { openid: subscribed.slice(0, 10_000) }, next_openid: subscribed[9_999] });
    expect(await userGet('')).toEqual(first);
    const second = await userGet(first.next_openid);
    expect(second).toEqual({ total: 10_395, count: 395, data: { openid: subscribed.slice(10_000) }, next_openid: subscribed.at(-1) });
    // wechatpy's quirk: a next_openid comes back on the last page too; following it yields count 0 and no data key.
    const past = await userGet(second.next_openid);
    expect(past).toEqual({ total: 10_395, count: 0, next_openid: '' });
    expect('data' in past).toBe(false);

    // Continuing after someone who has since unfollowed still works: the cursor is a position, not a follower.
    expect(rows[99]!.subscribed).toBe(false);
    const afterUnfollowed = await userGet(rows[99]!.openid);
    expect(afterUnfollowed).toMatchObject({ count: 10_000, next_openid: subscribed[99 + 9_999] });
    expect(afterUnfollowed.data!.openid[0]).toBe(rows[100]!.openid);
  });

  it('counts total afresh on a first page, and pages after it reuse that count for up to a minute', async () => {
    const { account, token } = await setup();
    const rows = await bulkFollowers(account, 3);
    expect((await cgi(ctx.app, 'GET', '/cgi-bin/user/get', token)).total).toBe(3);
    const { openid } = await newFollower(account);
    const nextPage = () => cgi(ctx.app, 'GET', '/cgi-bin/user/get', token, { query: { next_openid: rows[0]!.openid } });
    ctx.clock.advance(59_000);
    // A later page of the same pass: the new follower is listed at once, and the pass keeps its total.
    expect(await nextPage()).toMatchObject({ total: 3, count: 3, next_openid: openid });
    ctx.clock.advance(1_000);
    expect(await nextPage()).toMatchObject({ total: 4, count: 3 });
    // A first page always counts now.
    await newFollower(account);
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/user/get', token)).toMatchObject({ total: 5, count: 5 });
  });

  it('answers an account without followers with count 0 and no data', async () => {
    const { token } = await setup();
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/user/get', token)).toEqual({ total: 0, count: 0, next_openid: '' });
  });

  it('refuses a next_openid that is not a follower of the account with 40003', async () => {
    const { token } = await setup();
    const other = await setup();
    const [stranger] = await bulkFollowers(other.account, 1);
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/user/get', token, { query: { next_openid: 'oNoSuchOpenid' } }), 40003);
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/user/get', token, { query: { next_openid: stranger!.openid } }), 40003);
  });

  it('wants GET and a token', async () => {
    const { token } = await setup();
    expectErrcode(await cgi(ctx.app, 'POST', '/cgi-bin/user/get', token, { body: {} }), 43001);
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/user/get', undefined), 41001);
  });
});

describe('user/info', () => {
  it("answers WeChat's fields for a follower, in Unix seconds, with the unionid when there is one", async () => {
    const { account, token } = await setup();
    const { openid } = await newFollower(account, 'ADD_SCENE_QR_CODE');
    const info = await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid, lang: 'zh_CN' } });
    expect(info).toEqual({
      subscribe: 1,
      openid,
      language: 'zh_CN',
      subscribe_time: Math.floor(ctx.clock.now().getTime() / 1000),
      unionid: expect.stringMatching(/^o[A-Za-z0-9_-]{27}$/),
      remark: '',
      groupid: 0,
      tagid_list: [],
      subscribe_scene: 'ADD_SCENE_QR_CODE',
      qr_scene: 0,
      qr_scene_str: '',
    });
    // Without a unionid (these followers have none) the key is absent, not null.
    const [bulk] = await bulkFollowers(account, 1);
    const bare = await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid: bulk!.openid } });
    expect(bare).toMatchObject({ subscribe: 1, openid: bulk!.openid });
    expect('unionid' in bare).toBe(false);
  });

  it('answers only subscribe 0, the openid and the unionid after an unfollow', async () => {
    const { account, token } = await setup();
    const { user, openid } = await newFollower(account);
    const { unionid } = await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid } });
    await unfollow(ctx.app, user, account.appid);
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid } })).toEqual({ subscribe: 0, openid, unionid });
  });

  it('takes lang zh_CN, zh_TW, en (also zh-CN) and refuses any other with 40097', async () => {
    const { account, token } = await setup();
    const { openid } = await newFollower(account);
    for (const lang of ['zh_CN', 'zh_TW', 'en', 'zh-CN', 'zh-TW']) {
      expect((await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid, lang } })).subscribe, lang).toBe(1);
    }
    for (const lang of ['fr', 'ZH_CN', 'zh']) expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid, lang } }), 40097);
  });

  it('refuses a missing openid with 41009 and one not of this account with 40003', async () => {
    const { token } = await setup();
    const other = await setup();
    const { openid: strangers } = await newFollower(other.account);
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token), 41009);
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid: '' } }), 41009);
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid: strangers } }), 40003);
    expectErrcode(await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid: 'oNoSuchOpenid' } }), 40003);
  });
});

describe('user/info/batchget', () => {
  it('answers user_info_list in the order asked, taking lang or language, zh_CN or zh-CN', async () => {
    const { account, token } = await setup();
    const a = await newFollower(account);
    const b = await newFollower(account);
    await unfollow(ctx.app, b.user, account.appid);
    const single = async (openid: string) => cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid } });
    const answer = await cgi(ctx.app, 'POST', '/cgi-bin/user/info/batchget', token, {
      body: { user_list: [{ openid: b.openid, lang: 'zh-CN' }, { openid: a.openid, language: 'en' }, { openid: a.openid }] },
    });
    expect(answer).toEqual({ user_info_list: [await single(b.openid), await single(a.openid), await single(a.openid)] });
    expect((answer.user_info_list as Array<{ subscribe: number }>).map((info) => info.subscribe)).toEqual([0, 1, 1]);
  });

  it('takes 1 to 100 users (40032 otherwise), refuses a bad lang (40097), a missing openid (41009), an unknown one (40003) and no body (44002)', async () => {
    const { account, token } = await setup();
    const rows = await bulkFollowers(account, 101);
    const batchget = (body?: unknown) => cgi(ctx.app, 'POST', '/cgi-bin/user/info/batchget', token, { body });
    const list = rows.map((row) => ({ openid: row.openid, lang: 'zh_CN' }));
    expect(((await batchget({ user_list: list.slice(0, 100) })).user_info_list as unknown[]).length).toBe(100);
    expectErrcode(await batchget({ user_list: list }), 40032);
    expectErrcode(await batchget({ user_list: [] }), 40032);
    expectErrcode(await batchget({}), 40097);
    expectErrcode(await batchget({ user_list: [{ openid: rows[0]!.openid, lang: 'de' }] }), 40097);
    expectErrcode(await batchget({ user_list: [{ lang: 'zh_CN' }] }), 41009);
    expectErrcode(await batchget({ user_list: [{ openid: rows[0]!.openid }, { openid: 'oNoSuchOpenid' }] }), 40003);
    expectErrcode(await batchget(), 44002);
  });

  it('reads the body as JSON whatever its Content-Type', async () => {
    const { account, token } = await setup();
    const { openid } = await newFollower(account);
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/cgi-bin/user/info/batchget',
      query: { access_token: token },
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({ user_list: [{ openid }] }),
    });
    expect(response.json()).toMatchObject({ user_info_list: [{ subscribe: 1, openid }] });
  });
});

describe('user/info/updateremark', () => {
  it('sets a remark shorter than 30 characters, refusing 30 with 45002', async () => {
    const { account, token } = await setup();
    const { openid } = await newFollower(account);
    const update = (body: unknown) => cgi(ctx.app, 'POST', '/cgi-bin/user/info/updateremark', token, { body });
    const longest = '胖'.repeat(29);
    expect(await update({ openid, remark: longest })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect((await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid } })).remark).toBe(longest);
    expectErrcode(await update({ openid, remark: '胖'.repeat(30) }), 45002);
    expect((await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid } })).remark).toBe(longest);
    expectErrcode(await update({ remark: 'x' }), 41009);
    expectErrcode(await update({ openid: 'oNoSuchOpenid', remark: 'x' }), 40003);
    expectErrcode(await update({ openid }), 40097);
    expectErrcode(await update(undefined), 44002);
  });
});

describe('tags', () => {
  it('creates, lists with counts, renames and deletes tags; ids are numbers from 100, numeric strings accepted', async () => {
    const { account, token } = await setup();
    const a = await newFollower(account);
    const b = await newFollower(account);
    const post = (path: string, body?: unknown) => cgi(ctx.app, 'POST', `/cgi-bin/${path}`, token, { body });

    expect(await post('tags/create', { tag: { name: ' 广东 ' } })).toEqual({ tag: { id: 100, name: '广东' } });
    expect(await post('tags/create', { tag: { name: '星标' } })).toEqual({ tag: { id: 101, name: '星标' } });
    expect(await post('tags/members/batchtagging', { openid_list: [a.openid, b.openid], tagid: 100 })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await post('tags/members/batchtagging', { openid_list: [a.openid], tagid: '101' })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/tags/get', token)).toEqual({ tags: [{ id: 100, name: '广东', count: 2 }, { id: 101, name: '星标', count: 1 }] });
    expect(await post('tags/getidlist', { openid: a.openid })).toEqual({ tagid_list: [100, 101] });
    expect((await cgi(ctx.app, 'GET', '/cgi-bin/user/info', token, { query: { openid: a.openid } })).tagid_list).toEqual([100, 101]);
    expect(await post('user/tag/get', { tagid: 100, next_openid: '' })).toEqual({ count: 2, data: { openid: [a.openid, b.openid] }, next_openid: b.openid });

    expect(await post('tags/members/batchuntagging', { openid_list: [a.openid], tagid: 100 })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await post('tags/getidlist', { openid: a.openid })).toEqual({ tagid_list: [101] });
    expect(await post('tags/update', { tag: { id: '100', name: '广东人' } })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await post('tags/delete', { tag: { id: 101 } })).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await cgi(ctx.app, 'GET', '/cgi-bin/tags/get', token)).toEqual({ tags: [{ id: 100, name: '广东人', count: 1 }] });
    expect(await post('tags/getidlist', { openid: a.openid })).toEqual({ tagid_list: [] });
    // A deleted tag's number is not handed out again.
    expect(await post('tags/create', { tag: { name: '新' } })).toEqual({ tag: { id: 102, name: '新' } });
  });

  it('refuses bad names: taken or empty 45157, over 30 characters 45158', async () => {
    const { token } = await setup();
    const create = (body: unknown) => cgi(ctx.app, 'POST', '/cgi-bin/tags/create', token, { body });
    const update = (body: unknown) => cgi(ctx.app, 'POST', '/cgi-bin/tags/update', token, { body });
    expect(await create({ tag: { name: '字'.repeat(30) } })).toMatchObject({ tag: { id: 100 } });
    expectErrcode(await create({ tag: { name: '字'.repeat(31) } }), 45158);
    expectErrcode(await create({ tag: { name: '字'.repeat(30) } }), 45157);
    expectErrcode(await create({ tag: { name: '   ' } }), 45157);
    expectErrcode(await create({ tag: {} }), 45157);
    expectErrcode(await create({}), 40097);
    expectErrcode(await create(undefined), 44002);
    expect(await create({ tag: { name: 'b' } })).toMatchObject({ tag: { id: 101 } });
    expectErrcode(await update({ tag: { id: 101, name: '字'.repeat(30) } }), 45157);
    expectErrcode(await update({ tag: { id: 101, name: 'x'.repeat(31) } }), 45158);
  });

  it("refuses WeChat's system tags 0, 1 and 2 with 45058 and unknown or malformed tag ids with 45159", async () => {
    const { account, token } = await setup();
    const { openid } = await newFollower(account);
    const post = (path: string, body: unknown) => cgi(ctx.app, 'POST', `/cgi-bin/${path}`, token, { body });
    for (const id of [0, 1, 2, '2']) {
      expectErrcode(await post('tags/update', { tag: { id, name: 'mine' } }), 45058);
      expectErrcode(await post('tags/delete', { tag: { id } }), 45058);
    }
    for (const id of [999, -1, 1.5, 'abc', null, 2_147_483_648]) {
      expectErrcode(await post('tags/update', { tag: { id, name: 'mine' } }), 45159);
      expectErrcode(await post('tags/delete', { tag: { id } }), 45159);
      expectErrcode(await post('tags/members/batchtagging', { openid_list: [openid], tagid: id }), 45159);
      expectErrcode(await post('tags/members/batchuntagging', { openid_list: [openid], tagid: id }), 45159);
      expectErrcode(await post('user/tag/get', { tagid: id }), 45159);
    }
  });

  it('allows 100 tags per account (45056) and 20 per follower (45059)', async () => {
    const { account, token } = await setup();
    const { openid } = await newFollower(account);
    const post = (path: string, body: unknown) => cgi(ctx.app, 'POST', `/cgi-bin/${path}`, token, { body });
    for (let i = 0; i < 100; i++) expect(await post('tags/create', { tag: { name: `t${i}` } })).toMatchObject({ tag: { id: 100 + i } });
    expectErrcode(await post('tags/create', { tag: { name: 'one too many' } }), 45056);
    for (let i = 0; i < 20; i++) expect((await post('tags/members/batchtagging', { openid_list: [openid], tagid: 100 + i })).errcode).toBe(0);
    expectErrcode(await post('tags/members/batchtagging', { openid_list: [openid], tagid: 120 }), 45059);
    // Tagging again with a tag the follower carries adds nothing, so it is not over the limit.
    expect((await post('tags/members/batchtagging', { openid_list: [openid], tagid: 119 })).errcode).toBe(0);
    expect(((await post('tags/getidlist', { openid })).tagid_list as number[]).length).toBe(20);
  });

  it('refuses to delete a tag with more than 100,000 followers (45057)', async () => {
    const { account, token } = await setup();
    await bulkFollowers(account, 100_001);
    const { tag } = (await cgi(ctx.app, 'POST', '/cgi-bin/tags/create', token, { body: { tag: { name: 'big' } } })) as { tag: { id: number } };
    await ctx.deps.database.db.execute(sql`
      INSERT INTO follower_tags (account_id, tag_id, follower_id) SELECT ${account.id}::bigint, ${tag.id}::int, id FROM followers WHERE account_id = ${account.id}`);
    expectErrcode(await cgi(ctx.app, 'POST', '/cgi-bin/tags/delete', token, { body: { tag: { id: tag.id } } }), 45057);
    await ctx.deps.database.db.execute(sql`
      DELETE FROM follower_tags WHERE follower_id = (SELECT max(id) FROM followers WHERE account_id = ${account.id})`);
    expect(await cgi(ctx.app, 'POST', '/cgi-bin/tags/delete', token, { body: { tag: { id: tag.id } } })).toEqual({ errcode: 0, errmsg: 'ok' });
  });

  it('takes 1 to 50 openids per (un)tagging call (40032), and tells an openid of another account (49003) from an unknown one (40003)', async () => {
    const { account, token } = await setup();
    const other = await setup();
    const rows = await bulkFollowers(account, 51);
    const [strangers] = await bulkFollowers(other.account, 1);
    const { tag } = (await cgi(ctx.app, 'POST', '/cgi-bin/tags/create', token, { body: { tag: { name: 't' } } })) as { tag: { id: number } };
    const openids = rows.map((row) => row.openid);
    for (const path of ['tags/members/batchtagging', 'tags/members/batchuntagging']) {
      const post = (body: unknown) => cgi(ctx.app, 'POST', `/cgi-bin/${path}`, token, { body });
      expect((await post({ openid_list: openids.slice(0, 50), tagid: tag.id })).errcode).toBe(0);
      expectErrcode(await post({ openid_list: openids, tagid: tag.id }), 40032);
      expectErrcode(await post({ openid_list: [], tagid: tag.id }), 40032);
      expectErrcode(await post({ tagid: tag.id }), 40032);
      expectErrcode(await post({ openid_list: [openids[0], strangers!.openid], tagid: tag.id }), 49003);
      expectErrcode(await post({ openid_list: [openids[0], 'oNoSuchOpenid'], tagid: tag.id }), 40003);
      expectErrcode(await post({ openid_list: [openids[0], strangers!.openid, 'oNoSuchOpenid'], tagid: tag.id }), 40003);
      expectErrcode(await post({ openid_list: [42], tagid: tag.id }), 40003);
    }
    // All or none: the refused batches changed nothing.
    expect((await cgi(ctx.app, 'GET', '/cgi-bin/tags/get', token)).tags).toEqual([{ id: tag.id, name: 't', count: 0 }]);
    const getidlist = (body: unknown) => cgi(ctx.app, 'POST', '/cgi-bin/tags/getidlist', token, { body });
    expectErrcode(await getidlist({ openid: strangers!.openid }), 49003);
    expectErrcode(await getidlist({ openid: 'oNoSuchOpenid' }), 40003);
    expectErrcode(await getidlist({}), 41009);
  });

  it('pages user/tag/get 10,000 at a time over current followers, without total', async () => {
    const { account, token } = await setup();
    const rows = await bulkFollowers(account, 10_300, 50);
    const { tag } = (await cgi(ctx.app, 'POST', '/cgi-bin/tags/create', token, { body: { tag: { name: 'all' } } })) as { tag: { id: number } };
    await ctx.deps.database.db.execute(sql`
      INSERT INTO follower_tags (account_id, tag_id, follower_id) SELECT ${account.id}::bigint, ${tag.id}::int, id FROM followers WHERE account_id = ${account.id}`);
    const members = rows.filter((row) => row.subscribed).map((row) => row.openid);
    const tagGet = async (next_openid?: string) => (await cgi(ctx.app, 'POST', '/cgi-bin/user/tag/get', token, { body: { tagid: String(tag.id), next_openid } })) as Page;
    const first = await tagGet();
    expect(first).toEqual({ count: 10_000, data: { openid: members.slice(0, 10_000) }, next_openid: members[9_999] });
    const second = await tagGet(first.next_openid);
    expect(second).toEqual({ count: members.length - 10_000, data: { openid: members.slice(10_000) }, next_openid: members.at(-1) });
    expect(await tagGet(second.next_openid)).toEqual({ count: 0, next_openid: '' });
    expectErrcode(await cgi(ctx.app, 'POST', '/cgi-bin/user/tag/get', token, { body: { tagid: tag.id, next_openid: 'oNoSuchOpenid' } }), 40003);
    expectErrcode(await cgi(ctx.app, 'POST', '/cgi-bin/user/tag/get', token, { body: { tagid: tag.id + 1 } }), 45159);
  });
});

describe('blacklist', () => {
  it('blacklists up to 20 per call and pages the blacklist by begin_openid with its total', async () => {
    const { account, token } = await setup();
    const other = await setup();
    const rows = await bulkFollowers(account, 21);
    const [strangers] = await bulkFollowers(other.account, 1);
    const openids = rows.map((row) => row.openid);
    const post = (path: string, body?: unknown) => cgi(ctx.app, 'POST', `/cgi-bin/tags/members/${path}`, token, { body });

    expect(await post('getblacklist', { begin_openid: '' })).toEqual({ total: 0, count: 0, next_openid: '' });
    expectErrcode(await post('batchblacklist', { openid_list: openids }), 40032);
    expectErrcode(await post('batchblacklist', { openid_list: [] }), 40032);
    expectErrcode(await post('batchblacklist', { openid_list: [openids[0], strangers!.openid] }), 49003);
    expectErrcode(await post('batchblacklist', { openid_list: [openids[0], 'oNoSuchOpenid'] }), 40003);
    expect(await post('batchblacklist', { openid_list: [openids[3], openids[1], openids[2]] })).toEqual({ errcode: 0, errmsg: 'ok' });

    const all = { total: 3, count: 3, data: { openid: openids.slice(1, 4) }, next_openid: openids[3] };
    expect(await post('getblacklist', { begin_openid: '' })).toEqual(all);
    expect(await post('getblacklist')).toEqual(all);
    expect(await post('getblacklist', { begin_openid: openids[1] })).toEqual({ total: 3, count: 2, data: { openid: openids.slice(2, 4) }, next_openid: openids[3] });
    expect(await post('getblacklist', { begin_openid: openids[3] })).toEqual({ total: 3, count: 0, next_openid: '' });
    expectErrcode(await post('getblacklist', { begin_openid: 'oNoSuchOpenid' }), 40003);

    expect(await post('batchunblacklist', { openid_list: [openids[2]] })).toEqual({ errcode: 0, errmsg: 'ok' });
    expectErrcode(await post('batchunblacklist', { openid_list: openids }), 40032);
    expectErrcode(await post('batchunblacklist', { openid_list: [strangers!.openid] }), 49003);
    expect(await post('getblacklist', {})).toEqual({ total: 2, count: 2, data: { openid: [openids[1], openids[3]] }, next_openid: openids[3] });
  });

  it('pages a blacklist of more than 10,000 followers', async () => {
    const { account, token } = await setup();
    const rows = await bulkFollowers(account, 10_001);
    await ctx.deps.database.db.execute(sql`UPDATE followers SET blacklisted = true, blacklisted_at = now() WHERE account_id = ${account.id}`);
    const openids = rows.map((row) => row.openid);
    const getblacklist = async (begin_openid: string) => (await cgi(ctx.app, 'POST', '/cgi-bin/tags/members/getblacklist', token, { body: { begin_openid } })) as Page;
    const first = await getblacklist('');
    expect(first).toEqual({ total: 10_001, count: 10_000, data: { openid: openids.slice(0, 10_000) }, next_openid: openids[9_999] });
    expect(await getblacklist(first.next_openid)).toEqual({ total: 10_001, count: 1, data: { openid: [openids[10_000]] }, next_openid: openids[10_000] });
    expect(await getblacklist(openids[10_000]!)).toEqual({ total: 10_001, count: 0, next_openid: '' });
  });
});
