import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { countEligibleInRange, planRanges } from '../../src/modules/broadcasts/fanout.repo.js';
import { listFollowers } from '../../src/modules/followers/followers.repo.js';
import { listTags } from '../../src/modules/followers/tags.repo.js';
import { addMember, createAccount, expectProblem, registerAdmin, type AdminSession } from '../helpers/admin.js';
import { createWechatUser, follow, followers, unfollow } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { executedPlan, rowsReadFrom } from '../helpers/plans.js';

const ctx = useTestContext();

async function setup() {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  return { owner, account };
}

const inject = (session: AdminSession, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: session.headers, ...(payload === undefined ? {} : { payload: payload as object }) });

describe('follower profiles', () => {
  it("shows WeChat's user-info fields", async () => {
    const { owner, account } = await setup();
    const user = await createWechatUser(ctx.app, { nickname: 'Band', gender: 1, language: 'zh_CN', country: '中国', province: '广东', city: '广州' });
    ctx.clock.set('2026-03-01T00:00:00Z');
    const response = await ctx.app.inject({ method: 'POST', url: '/client/v1/follows', headers: user.headers, payload: { appid: account.appid, scene: 'ADD_SCENE_QR_CODE', qrScene: 98765 } });
    const openid = response.json().openid;
    const info = await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/${openid}`);
    expect(info.json()).toEqual({
      subscribe: 1,
      openid,
      nickname: 'Band',
      sex: 1,
      language: 'zh_CN',
      city: '广州',
      province: '广东',
      country: '中国',
      subscribeTime: Date.parse('2026-03-01T00:00:00Z') / 1000,
      unionid: expect.stringMatching(/^o/),
      remark: '',
      tagidList: [],
      subscribeScene: 'ADD_SCENE_QR_CODE',
      qrScene: 98765,
      qrSceneStr: '',
      blacklisted: false,
    });
    expectProblem(await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/onotafollower`), 404, 'FOLLOWER_NOT_FOUND');
  });

  it('sets a remark of up to 30 characters', async () => {
    const { owner, account } = await setup();
    const [fan] = await followers(ctx.app, account.appid, 1);
    const ok = await inject(owner, 'PUT', `/v1/accounts/${account.id}/followers/${fan!.openid}/remark`, { remark: '胖子' });
    expect(ok.json().remark).toBe('胖子');
    expectProblem(await inject(owner, 'PUT', `/v1/accounts/${account.id}/followers/${fan!.openid}/remark`, { remark: 'x'.repeat(31) }), 400, 'VALIDATION_FAILED');
  });

  it('is for admins and owners only: an analyst gets 403, a stranger 404', async () => {
    const { owner, account } = await setup();
    const analyst = await registerAdmin(ctx.app);
    const admin = await registerAdmin(ctx.app);
    await addMember(ctx.app, owner, account.id, analyst, 'analyst');
    await addMember(ctx.app, owner, account.id, admin, 'admin');
    const stranger = await registerAdmin(ctx.app);
    expect((await inject(admin, 'GET', `/v1/accounts/${account.id}/followers`)).statusCode).toBe(200);
    expectProblem(await inject(analyst, 'GET', `/v1/accounts/${account.id}/followers`), 403, 'FORBIDDEN');
    expectProblem(await inject(analyst, 'POST', `/v1/accounts/${account.id}/tags`, { name: 'x' }), 403, 'FORBIDDEN');
    expectProblem(await inject(stranger, 'GET', `/v1/accounts/${account.id}/followers`), 404, 'ACCOUNT_NOT_FOUND');
  });
});

describe('listing followers', () => {
  it('pages with no duplicates or gaps while others follow and unfollow', async () => {
    const { owner, account } = await setup();
    const initial = await followers(ctx.app, account.appid, 25);
    const seen: string[] = [];
    let cursor: string | null = null;
    let newcomers: string[] = [];
    do {
      const url: string = `/v1/accounts/${account.id}/followers?limit=7${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await inject(owner, 'GET', url);
      expect(response.statusCode).toBe(200);
      const body: { items: Array<{ openid: string }>; nextCursor: string | null } = response.json();
      seen.push(...body.items.map((item) => item.openid));
      cursor = body.nextCursor;
      if (seen.length === 7) {
        // Between pages: three new follows arrive.
        newcomers = (await followers(ctx.app, account.appid, 3)).map((f) => f.openid);
      }
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...initial.map((f) => f.openid), ...newcomers]);
  });

  it('lists only current followers, and filters by tag', async () => {
    const { owner, account } = await setup();
    const fans = await followers(ctx.app, account.appid, 4);
    await unfollow(ctx.app, fans[1]!, account.appid);
    const tag = (await inject(owner, 'POST', `/v1/accounts/${account.id}/tags`, { name: 'vip' })).json();
    await inject(owner, 'POST', `/v1/accounts/${account.id}/tags/${tag.id}/members`, { openids: [fans[2]!.openid, fans[3]!.openid] });
    const all = (await inject(owner, 'GET', `/v1/accounts/${account.id}/followers`)).json();
    expect(all.items.map((f: { openid: string }) => f.openid)).toEqual([fans[0]!.openid, fans[2]!.openid, fans[3]!.openid]);
    expect(all.nextCursor).toBeNull();
    const tagged = (await inject(owner, 'GET', `/v1/accounts/${account.id}/followers?tagId=${tag.id}`)).json();
    expect(tagged.items.map((f: { openid: string }) => f.openid)).toEqual([fans[2]!.openid, fans[3]!.openid]);
    expect(tagged.items[0].tagidList).toEqual([tag.id]);
  });

  it('rejects a forged cursor and an out-of-range limit', async () => {
    const { owner, account } = await setup();
    expectProblem(await inject(owner, 'GET', `/v1/accounts/${account.id}/followers?cursor=abc`), 400, 'VALIDATION_FAILED');
    expectProblem(await inject(owner, 'GET', `/v1/accounts/${account.id}/followers?limit=0`), 400, 'VALIDATION_FAILED');
    expectProblem(await inject(owner, 'GET', `/v1/accounts/${account.id}/followers?limit=1001`), 400, 'VALIDATION_FAILED');
    expectProblem(await inject(owner, 'GET', `/v1/accounts/${account.id}/followers?tagId=999999`), 404, 'TAG_NOT_FOUND');
  });
});

/** 20,000 followers; a tag on the newest 2,000 of them (a scan in follower order reaches them last) and one on all. */
async function largeAccountWithSmallTag() {
  const { owner, account } = await setup();
  const db = ctx.deps.database.db;
  await db.execute(sql`
    WITH users AS (INSERT INTO wechat_users (nickname) SELECT 'bulk' FROM generate_series(1, 20000) RETURNING id)
    INSERT INTO followers (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at, subscribe_scene)
    SELECT ${account.id}, id, 'obulk' || id, true, now(), now(), 'ADD_SCENE_SEARCH' FROM users`);
  const tag = (await inject(owner, 'POST', `/v1/accounts/${account.id}/tags`, { name: 'newest' })).json();
  // The tag's members are the 2,000 newest followers: a scan in follower order reaches them last.
  await db.execute(sql`
    INSERT INTO follower_tags (account_id, tag_id, follower_id)
    SELECT ${account.id}, ${tag.id}, id FROM followers WHERE account_id = ${account.id} ORDER BY id DESC LIMIT 2000`);
  // Another tag on everyone, so the tag's rows are a small part of follower_tags too.
  const everyone = (await inject(owner, 'POST', `/v1/accounts/${account.id}/tags`, { name: 'everyone' })).json();
  await db.execute(sql`
    INSERT INTO follower_tags (account_id, tag_id, follower_id)
    SELECT ${account.id}, ${everyone.id}, id FROM followers WHERE account_id = ${account.id}`);
  await db.execute(sql`ANALYZE followers, follower_tags`);
  return { owner, account, tag };
}

describe('a small tag of a large account', () => {
  it("listing it reads the page's own followers, not the followers the tag's members come after", async () => {
    const { owner, account, tag } = await largeAccountWithSmallTag();
    const plan = await executedPlan(ctx.deps.database.db, (explaining) => listFollowers(explaining, account.id, { afterId: 0, limit: 101, tagId: tag.id }));
    expect(rowsReadFrom(plan, 'followers')).toBeLessThanOrEqual(2 * 101);

    const first = (await inject(owner, 'GET', `/v1/accounts/${account.id}/followers?tagId=${tag.id}&limit=1000`)).json();
    const second = (await inject(owner, 'GET', `/v1/accounts/${account.id}/followers?tagId=${tag.id}&limit=1000&cursor=${first.nextCursor}`)).json();
    expect(second.nextCursor).toBeNull();
    const openids = [...first.items, ...second.items].map((f: { openid: string }) => f.openid);
    expect(new Set(openids).size).toBe(2000);
  });

  it("a broadcast to it plans and delivers from the tag's members, not from the account's followers", async () => {
    const { account, tag } = await largeAccountWithSmallTag();
    const target = { id: 0, accountId: account.id, target: 'tag' as const, targetTagId: tag.id };
    const planning = await executedPlan(ctx.deps.database.db, (explaining) => planRanges(explaining, target, 500));
    expect(rowsReadFrom(planning, 'followers')).toBeLessThanOrEqual(2 * 2000);
    // A batch's range covering the whole account: the audience clause is the one deliverRange inserts from.
    const batch = await executedPlan(ctx.deps.database.db, (explaining) => countEligibleInRange(explaining, target, { lo: 0, hi: Number.MAX_SAFE_INTEGER }), {
      answerRows: [{ n: 0 }],
    });
    expect(rowsReadFrom(batch, 'followers')).toBeLessThanOrEqual(2 * 2000);
    expect(await countEligibleInRange(ctx.deps.database.db, target, { lo: 0, hi: Number.MAX_SAFE_INTEGER })).toBe(2000);
  });

  it('listing its tags counts their followers in one pass, not one pass over every follower per tag', async () => {
    const { owner, account } = await largeAccountWithSmallTag();
    const db = ctx.deps.database.db;
    const plan = await executedPlan(db, (explaining) => listTags(explaining, account.id));
    const [{ followers: followersStored, memberships }] = (
      await db.execute<{ followers: number; memberships: number }>(sql`
        SELECT (SELECT count(*)::int FROM followers) AS followers, (SELECT count(*)::int FROM follower_tags WHERE account_id = ${account.id}) AS memberships`)
    ).rows as [{ followers: number; memberships: number }];
    // One read of the followers (a scan, or a lookup per membership), whichever the planner finds cheaper.
    expect(rowsReadFrom(plan, 'followers')).toBeLessThanOrEqual(Math.max(followersStored, memberships));
    const listed = (await inject(owner, 'GET', `/v1/accounts/${account.id}/tags`)).json();
    expect(listed.items.map((t: { name: string; count: number }) => [t.name, t.count])).toEqual([
      ['newest', 2000],
      ['everyone', 20000],
    ]);
  });
});

describe('tags', () => {
  it('creates, renames, counts and deletes tags; names are unique per account and up to 30 characters', async () => {
    const { owner, account } = await setup();
    const base = `/v1/accounts/${account.id}/tags`;
    const created = await inject(owner, 'POST', base, { name: '广东' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ id: expect.any(Number), name: '广东', count: 0 });
    expect(created.json().id).toBeGreaterThanOrEqual(100);
    expectProblem(await inject(owner, 'POST', base, { name: '广东' }), 409, 'TAG_NAME_TAKEN');
    expectProblem(await inject(owner, 'POST', base, { name: 'x'.repeat(31) }), 400, 'VALIDATION_FAILED');
    expect((await inject(owner, 'POST', base, { name: 'x'.repeat(30) })).statusCode).toBe(201);

    const renamed = await inject(owner, 'PATCH', `${base}/${created.json().id}`, { name: '广东人' });
    expect(renamed.json().name).toBe('广东人');
    expectProblem(await inject(owner, 'PATCH', `${base}/${created.json().id}`, { name: 'x'.repeat(30) }), 409, 'TAG_NAME_TAKEN');

    const fans = await followers(ctx.app, account.appid, 2);
    await inject(owner, 'POST', `${base}/${created.json().id}/members`, { openids: fans.map((f) => f.openid) });
    const list = (await inject(owner, 'GET', base)).json();
    expect(list.items.find((t: { id: number }) => t.id === created.json().id).count).toBe(2);

    expect((await inject(owner, 'DELETE', `${base}/${created.json().id}`)).statusCode).toBe(204);
    expectProblem(await inject(owner, 'DELETE', `${base}/${created.json().id}`), 404, 'TAG_NOT_FOUND');
    const info = (await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/${fans[0]!.openid}`)).json();
    expect(info.tagidList).toEqual([]);
  });

  it('an account may have 100 tags; the 101st is refused, even when requests race', async () => {
    const { owner, account } = await setup();
    const base = `/v1/accounts/${account.id}/tags`;
    for (let i = 0; i < 95; i++) expect((await inject(owner, 'POST', base, { name: `t${i}` })).statusCode).toBe(201);
    const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => inject(owner, 'POST', base, { name: `race${i}` })));
    expect(racing.filter((r) => r.statusCode === 201)).toHaveLength(5);
    for (const refused of racing.filter((r) => r.statusCode !== 201)) expectProblem(refused, 409, 'TAG_LIMIT_REACHED');
    expect((await inject(owner, 'GET', base)).json().items).toHaveLength(100);
  });

  it('a follower may carry 20 tags; tagging them with a 21st is refused and changes nothing', async () => {
    const { owner, account } = await setup();
    const [busy, other] = await followers(ctx.app, account.appid, 2);
    const base = `/v1/accounts/${account.id}/tags`;
    const tagIds: number[] = [];
    for (let i = 0; i < 21; i++) tagIds.push((await inject(owner, 'POST', base, { name: `tag${i}` })).json().id);
    for (const tagId of tagIds.slice(0, 20)) {
      expect((await inject(owner, 'POST', `${base}/${tagId}/members`, { openids: [busy!.openid] })).statusCode).toBe(200);
    }
    // Tagging again with a tag the follower already has is fine.
    expect((await inject(owner, 'POST', `${base}/${tagIds[0]}/members`, { openids: [busy!.openid] })).json()).toEqual({ tagged: 0 });

    const refused = await inject(owner, 'POST', `${base}/${tagIds[20]}/members`, { openids: [other!.openid, busy!.openid] });
    expect(expectProblem(refused, 409, 'FOLLOWER_TAG_LIMIT_REACHED').openids).toEqual([busy!.openid]);
    const otherInfo = (await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/${other!.openid}`)).json();
    expect(otherInfo.tagidList).toEqual([]);
  });

  it('tags at most 50 followers per call, and refuses a batch with an unknown openid as a whole', async () => {
    const { owner, account } = await setup();
    const tag = (await inject(owner, 'POST', `/v1/accounts/${account.id}/tags`, { name: 'batch' })).json();
    const url = `/v1/accounts/${account.id}/tags/${tag.id}/members`;
    const tooMany = Array.from({ length: 51 }, (_, i) => `o${String(i).padStart(27, '0')}`);
    expect(expectProblem(await inject(owner, 'POST', url, { openids: tooMany }), 400, 'VALIDATION_FAILED').detail).toMatch(/openids/);
    expectProblem(await inject(owner, 'POST', url, { openids: [] }), 400, 'VALIDATION_FAILED');

    const [fan] = await followers(ctx.app, account.appid, 1);
    const mixed = await inject(owner, 'POST', url, { openids: [fan!.openid, 'ounknown'] });
    expect(expectProblem(mixed, 400, 'INVALID_OPENIDS').invalidOpenids).toEqual(['ounknown']);
    expect((await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/${fan!.openid}`)).json().tagidList).toEqual([]);

    const otherAccount = await createAccount(ctx.app, owner, 'Other');
    const [foreignFan] = await followers(ctx.app, otherAccount.appid, 1);
    expectProblem(await inject(owner, 'POST', url, { openids: [foreignFan!.openid] }), 400, 'INVALID_OPENIDS');

    expect((await inject(owner, 'POST', url, { openids: [fan!.openid] })).json()).toEqual({ tagged: 1 });
    expect((await inject(owner, 'DELETE', url, { openids: [fan!.openid] })).json()).toEqual({ untagged: 1 });
  });

  it('deleting a tag while followers are tagged and untagged answers 404, never 500, and leaves no member of the deleted tag', async () => {
    const { owner, account } = await setup();
    const fans = await followers(ctx.app, account.appid, 6);
    const openids = fans.map((f) => f.openid);
    const base = `/v1/accounts/${account.id}/tags`;
    for (let round = 0; round < 30; round++) {
      const tag = (await inject(owner, 'POST', base, { name: `race${round}` })).json();
      await inject(owner, 'POST', `${base}/${tag.id}/members`, { openids: openids.slice(0, 2) });
      const [tagging, untagging, deleting] = await Promise.all([
        inject(owner, 'POST', `${base}/${tag.id}/members`, { openids }),
        inject(owner, 'DELETE', `${base}/${tag.id}/members`, { openids: openids.slice(0, 2) }),
        inject(owner, 'DELETE', `${base}/${tag.id}`),
      ]);
      expect(deleting.statusCode, deleting.body).toBe(204);
      for (const response of [tagging, untagging]) {
        if (response.statusCode !== 200) expectProblem(response, 404, 'TAG_NOT_FOUND');
      }
    }
    expect((await inject(owner, 'GET', base)).json().items).toEqual([]);
    for (const openid of openids) {
      expect((await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/${openid}`)).json().tagidList).toEqual([]);
    }
  });

  it("numbers each account's tags from 100 as WeChat does, and never gives a deleted tag's number to a new tag", async () => {
    const a = await setup();
    const b = await setup();
    const create = (who: typeof a, name: string) => inject(who.owner, 'POST', `/v1/accounts/${who.account.id}/tags`, { name });
    expect((await create(a, 'first')).json().id).toBe(100);
    expect((await create(a, 'second')).json().id).toBe(101);
    expect((await create(b, 'own')).json().id).toBe(100);
    expectProblem(await create(a, 'first'), 409, 'TAG_NAME_TAKEN');
    expect((await inject(a.owner, 'DELETE', `/v1/accounts/${a.account.id}/tags/101`)).statusCode).toBe(204);
    expect((await create(a, 'third')).json().id).toBe(102);

    // Tag 100 of one account is not tag 100 of the other: members, counts and lists stay apart.
    const [fanOfB] = await followers(ctx.app, b.account.appid, 1);
    const [fanOfA] = await followers(ctx.app, a.account.appid, 1);
    await inject(b.owner, 'POST', `/v1/accounts/${b.account.id}/tags/100/members`, { openids: [fanOfB!.openid] });
    expect((await inject(a.owner, 'GET', `/v1/accounts/${a.account.id}/tags`)).json().items).toEqual([
      { id: 100, name: 'first', count: 0 },
      { id: 102, name: 'third', count: 0 },
    ]);
    expect((await inject(a.owner, 'GET', `/v1/accounts/${a.account.id}/followers?tagId=100`)).json().items).toEqual([]);
    expect((await inject(b.owner, 'GET', `/v1/accounts/${b.account.id}/followers?tagId=100`)).json().items.map((f: { openid: string }) => f.openid)).toEqual([fanOfB!.openid]);
    expect((await inject(b.owner, 'GET', `/v1/accounts/${b.account.id}/followers/${fanOfB!.openid}`)).json().tagidList).toEqual([100]);
    expect((await inject(a.owner, 'GET', `/v1/accounts/${a.account.id}/followers/${fanOfA!.openid}`)).json().tagidList).toEqual([]);
    expect((await inject(a.owner, 'DELETE', `/v1/accounts/${a.account.id}/tags/100`)).statusCode).toBe(204);
    expect((await inject(b.owner, 'GET', `/v1/accounts/${b.account.id}/tags`)).json().items).toEqual([{ id: 100, name: 'own', count: 1 }]);
  });

  it("another account's tag is not found", async () => {
    const { owner, account } = await setup();
    const other = await setup();
    const foreignTag = (await inject(other.owner, 'POST', `/v1/accounts/${other.account.id}/tags`, { name: 'theirs' })).json();
    expectProblem(await inject(owner, 'PATCH', `/v1/accounts/${account.id}/tags/${foreignTag.id}`, { name: 'mine' }), 404, 'TAG_NOT_FOUND');
    expectProblem(await inject(owner, 'DELETE', `/v1/accounts/${account.id}/tags/${foreignTag.id}`), 404, 'TAG_NOT_FOUND');
  });
});

describe('blacklist', () => {
  it('blocks messages from blacklisted followers until they are taken off it', async () => {
    const { owner, account } = await setup();
    const [fan] = await followers(ctx.app, account.appid, 1);
    const send = () => ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: fan!.headers, payload: { appid: account.appid, msgType: 'text', content: 'hi' } });
    expect((await send()).statusCode).toBe(201);

    expect((await inject(owner, 'POST', `/v1/accounts/${account.id}/blacklist`, { openids: [fan!.openid] })).json()).toEqual({ changed: 1 });
    expectProblem(await send(), 403, 'BLACKLISTED');
    const list = (await inject(owner, 'GET', `/v1/accounts/${account.id}/blacklist`)).json();
    expect(list.items).toEqual([{ openid: fan!.openid, blacklistedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/) }]);
    expect((await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/${fan!.openid}`)).json().blacklisted).toBe(true);

    expect((await inject(owner, 'DELETE', `/v1/accounts/${account.id}/blacklist`, { openids: [fan!.openid] })).json()).toEqual({ changed: 1 });
    expect((await send()).statusCode).toBe(201);
    expect((await inject(owner, 'GET', `/v1/accounts/${account.id}/blacklist`)).json().items).toEqual([]);
  });

  it('takes at most 20 openids per call', async () => {
    const { owner, account } = await setup();
    const openids = Array.from({ length: 21 }, (_, i) => `o${String(i).padStart(27, '0')}`);
    expectProblem(await inject(owner, 'POST', `/v1/accounts/${account.id}/blacklist`, { openids }), 400, 'VALIDATION_FAILED');
  });

  it('a blacklisted user who refollows stays blacklisted', async () => {
    const { owner, account } = await setup();
    const user = await createWechatUser(ctx.app);
    const openid = await follow(ctx.app, user, account.appid);
    await inject(owner, 'POST', `/v1/accounts/${account.id}/blacklist`, { openids: [openid] });
    await unfollow(ctx.app, user, account.appid);
    await follow(ctx.app, user, account.appid);
    expect((await inject(owner, 'GET', `/v1/accounts/${account.id}/followers/${openid}`)).json().blacklisted).toBe(true);
  });
});
