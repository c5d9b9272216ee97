import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createAccount, registerAdmin, type AdminSession } from '../helpers/admin.js';
import { newsMessage, sendBroadcast, waitForFinish } from '../helpers/broadcasts.js';
import { createWechatUser, follow } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { recountAccount, resetRollups } from '../../src/modules/stats/fold.repo.js';
import { useWorker } from '../helpers/worker.js';

// The folder runs only when a test asks (catchUp), so each test decides what has been folded.
const ctx = useTestContext({ STATS_FOLD_INTERVAL_MS: '60000' });
const worker = useWorker(ctx);

const TODAY = '2026-11-02';

async function get(session: AdminSession, accountId: number, route: string, headers: Record<string, string> = {}) {
  const response = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/stats/${route}`, headers: { ...session.headers, ...headers } });
  expect(response.statusCode, response.body).toBe(200);
  return response;
}

/** An account with one follower, folded, on TODAY. */
async function followedAccount() {
  ctx.clock.set(`${TODAY}T04:00:00Z`);
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  await follow(ctx.app, await createWechatUser(ctx.app), account.appid);
  await worker().statsFolder.catchUp();
  return { owner, account };
}

describe('kept stats answers', () => {
  it('are computed again once a fold adds events of any kind, and are the bytes a fresh computation gives', async () => {
    ctx.clock.set(`${TODAY}T04:00:00Z`);
    const owner = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    const [a, b] = [await createWechatUser(ctx.app), await createWechatUser(ctx.app)];
    await follow(ctx.app, a, account.appid);
    await worker().statsFolder.catchUp();
    const range = `from=${TODAY}&to=${TODAY}`;
    const followers = async () => (await get(owner, account.id, `followers?${range}`)).json().items[0];
    const activation = async () => (await get(owner, account.id, `activation?${range}`)).json().items[0];
    const reads = async () => (await get(owner, account.id, `reads?${range}`)).json().items[0];

    const first = await get(owner, account.id, `followers?${range}`);
    const kept = await get(owner, account.id, `followers?${range}`);
    const fresh = await get(owner, account.id, `followers?${range}`, { 'cache-control': 'no-cache' });
    expect(kept.body).toBe(first.body);
    expect(fresh.body).toBe(first.body);
    expect(kept.headers['content-type']).toBe(fresh.headers['content-type']);
    expect(first.json().items[0]).toMatchObject({ newUser: 1, cumulateUser: 1 });
    expect(await activation()).toMatchObject({ msgUser: 0, distribution: { '0': 1 } });

    // A follow: not in the figures until folded, then in every answer that counts followers.
    await follow(ctx.app, b, account.appid);
    expect(await followers()).toMatchObject({ newUser: 1, cumulateUser: 1 });
    await worker().statsFolder.catchUp();
    expect(await followers()).toMatchObject({ newUser: 2, cumulateUser: 2 });
    expect(await activation()).toMatchObject({ msgUser: 0, distribution: { '0': 2 } });
    expect((await get(owner, account.id, 'attributes')).json()).toMatchObject({ refDate: TODAY, total: 2 });

    // A message.
    const said = await ctx.app.inject({ method: 'POST', url: '/client/v1/messages', headers: a.headers, payload: { appid: account.appid, msgType: 'text', content: 'hi' } });
    expect(said.statusCode, said.body).toBe(201);
    await worker().statsFolder.catchUp();
    expect(await activation()).toMatchObject({ msgUser: 1, msgCount: 1, distribution: { '0': 1, '1-5': 1 } });

    // An article read.
    const sent = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: newsMessage(1) });
    expect(sent.statusCode, sent.body).toBe(202);
    const msgDataId = (await waitForFinish(ctx.app, owner, account.id, sent.json().id)).msgDataId as number;
    expect(await reads()).toMatchObject({ intPageReadUser: 0, intPageReadCount: 0 });
    const read = await ctx.app.inject({
      method: 'POST',
      url: '/client/v1/engagements',
      headers: b.headers,
      payload: { appid: account.appid, msgDataId, articleIndex: 1, action: 'read', source: 'session' },
    });
    expect(read.statusCode, read.body).toBe(201);
    await worker().statsFolder.catchUp();
    expect(await reads()).toMatchObject({ intPageReadUser: 1, intPageReadCount: 1, bySource: [{ userSource: 'session', intPageReadUser: 1 }] });
    expect((await get(owner, account.id, `articles?${range}`)).json().items).toMatchObject([{ msgDataId, articleIndex: 1, intPageReadUser: 1 }]);
  });

  it('are served while the rollups have not moved; Cache-Control: no-cache and CSV are computed afresh', async () => {
    const { owner, account } = await followedAccount();
    const route = `followers?from=${TODAY}&to=${TODAY}`;
    expect((await get(owner, account.id, route)).json().items[0]).toMatchObject({ newUser: 1 });

    // Rollups changed behind the folds' back (no cursor moved): the kept answer stands until asked for afresh.
    await ctx.deps.database.db.execute(sql`
      UPDATE stats_follow_daily SET new_user = 11, by_scene = '{"ADD_SCENE_SEARCH": [11, 0]}' WHERE account_id = ${account.id}`);
    expect((await get(owner, account.id, route)).json().items[0]).toMatchObject({ newUser: 1 });
    expect((await get(owner, account.id, `${route}&format=csv`)).body).toContain(`${TODAY},11,`);
    expect((await get(owner, account.id, route, { 'cache-control': 'no-cache' })).json().items[0]).toMatchObject({ newUser: 11 });
    // The fresh answer is kept in its place.
    expect((await get(owner, account.id, route)).json().items[0]).toMatchObject({ newUser: 11 });
  });

  it("are kept per account: another account's events leave them, the account's own fold, recount or reset moves them", async () => {
    ctx.clock.set(`${TODAY}T04:00:00Z`);
    const owner = await registerAdmin(ctx.app);
    const [account, other] = [await createAccount(ctx.app, owner), await createAccount(ctx.app, owner)];
    await follow(ctx.app, await createWechatUser(ctx.app), account.appid);
    await worker().statsFolder.catchUp();
    const route = `followers?from=${TODAY}&to=${TODAY}`;
    const version = async () => (await ctx.deps.services.stats.rollupState(account.id)).version;
    expect((await get(owner, account.id, route)).json().items[0]).toMatchObject({ newUser: 1 });
    const folded = await version();
    expect(folded).toMatch(/^follow_events:\d+$/);

    // Changed behind the folds' back: the kept answer shows whether it was computed again.
    await ctx.deps.database.db.execute(sql`
      UPDATE stats_follow_daily SET new_user = 11, by_scene = '{"ADD_SCENE_SEARCH": [11, 0]}' WHERE account_id = ${account.id}`);
    await follow(ctx.app, await createWechatUser(ctx.app), other.appid);
    await worker().statsFolder.catchUp();
    expect(await version()).toBe(folded);
    expect((await get(owner, account.id, route)).json().items[0]).toMatchObject({ newUser: 1 });
    expect((await get(owner, other.id, route)).json().items[0]).toMatchObject({ newUser: 1 });

    // Its own event, folded, moves its version; so does a recount of it, and a reset.
    await follow(ctx.app, await createWechatUser(ctx.app), account.appid);
    await worker().statsFolder.catchUp();
    const refolded = await version();
    expect(refolded).not.toBe(folded);
    expect((await get(owner, account.id, route)).json().items[0]).toMatchObject({ newUser: 12 });
    await recountAccount(ctx.deps.database.db, account.id, ctx.config.quotaTimeZone);
    const recounted = await version();
    expect(recounted).not.toBe(refolded);
    expect((await get(owner, account.id, route)).json().items[0]).toMatchObject({ newUser: 2 });
    await resetRollups(ctx.deps.database.db, ctx.config.quotaTimeZone);
    expect(await version()).toBe('');
    await worker().statsFolder.catchUp();
    expect([folded, refolded, recounted]).not.toContain(await version());
    expect((await get(owner, account.id, route)).json().items[0]).toMatchObject({ newUser: 2 });
  });

  it('are sent compressed when the client accepts it, the compressed copy kept beside them', async () => {
    const { owner, account } = await followedAccount();
    // A month by day: a few kilobytes of JSON, above the size compression starts at.
    const route = `followers?from=2026-10-03&to=${TODAY}`;
    const plain = await get(owner, account.id, route);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(2048);

    const brotli = await get(owner, account.id, route, { 'accept-encoding': 'gzip, deflate, br' });
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(brotli.headers.vary).toContain('accept-encoding');
    expect(brotli.headers['content-type']).toBe(plain.headers['content-type']);
    expect(brotliDecompressSync(brotli.rawPayload).toString()).toBe(plain.body);
    expect(brotli.rawPayload.length).toBeLessThan(plain.body.length / 4);
    // Kept: the same compressed bytes again; afresh: compressed again, to the same JSON.
    expect((await get(owner, account.id, route, { 'accept-encoding': 'br' })).rawPayload.equals(brotli.rawPayload)).toBe(true);
    const fresh = await get(owner, account.id, route, { 'accept-encoding': 'br', 'cache-control': 'no-cache' });
    expect(brotliDecompressSync(fresh.rawPayload).toString()).toBe(plain.body);

    const gzip = await get(owner, account.id, route, { 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.rawPayload).toString()).toBe(plain.body);
    // The client's preferences, q=0 refusals and `*` included.
    const chosen: Array<[string, string | undefined]> = [
      ['br;q=0, *', 'gzip'],
      ['gzip;q=1, br;q=0.5', 'gzip'],
      ['deflate', 'deflate'],
      ['br;q=0, gzip;q=0, *', 'deflate'],
      ['deflate, *;q=0.1', 'deflate'],
      ['identity, br;q=0.5', undefined],
      ['identity', undefined],
    ];
    for (const [accepted, expected] of chosen) {
      const response = await get(owner, account.id, route, { 'accept-encoding': accepted });
      expect(response.headers['content-encoding'], accepted).toBe(expected);
      expect(response.headers.vary, accepted).toBe('accept-encoding');
      if (expected === undefined) expect(response.body).toBe(plain.body);
    }
    // x-no-compression, as the plugin honours it.
    expect((await get(owner, account.id, route, { 'accept-encoding': 'br', 'x-no-compression': '1' })).headers['content-encoding']).toBeUndefined();
    // CSV is compressed too (streamed through the plugin, in chunks of many lines: Brotli's fastest level makes a
    // block of each, and a year sent a line at a time came out larger than the CSV itself).
    const yearCsv = `followers?from=2025-11-03&to=${TODAY}&format=csv`;
    const plainCsv = (await get(owner, account.id, yearCsv)).body;
    for (const [encoding, inflate] of [['br', brotliDecompressSync], ['gzip', gunzipSync]] as const) {
      const csv = await get(owner, account.id, yearCsv, { 'accept-encoding': encoding });
      expect(csv.headers['content-encoding']).toBe(encoding);
      expect(inflate(csv.rawPayload).toString()).toBe(plainCsv);
      expect(csv.rawPayload.length, encoding).toBeLessThan(plainCsv.length / 4);
    }
    // A single day's answer is too small to be worth it.
    expect((await get(owner, account.id, `followers?from=${TODAY}&to=${TODAY}`, { 'accept-encoding': 'br' })).headers['content-encoding']).toBeUndefined();
  });
});
