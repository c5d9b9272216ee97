import { sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { recountAccount, resetRollups } from '../../src/modules/stats/fold.repo.js';
import type { StatsRange } from '../../src/modules/stats/stats.service.js';
import { createAccount, registerAdmin, type AdminSession } from '../helpers/admin.js';
import { newsMessage, sendBroadcast, waitForFinish } from '../helpers/broadcasts.js';
import { createWechatUser, follow, unfollow, type WechatUserSession } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { useWorker } from '../helpers/worker.js';

/**
 * Period answers (followers and activation by day, week and month; articles and reads by day) are made of periods
 * kept since an earlier version of the rollups and of periods computed again: those from the first day a fold changed
 * on (stats.periods.ts). Whatever was kept, an answer must be the bytes a fresh computation gives.
 */

// The folder runs only when a test asks (catchUp), so each test decides what has been folded.
const ctx = useTestContext({ STATS_FOLD_INTERVAL_MS: '60000' });
const worker = useWorker(ctx);
const db = () => ctx.deps.database.db;

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10); // Shanghai

async function get(session: AdminSession, accountId: number, path: string, headers: Record<string, string> = {}) {
  const response = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/stats/${path}`, headers: { ...session.headers, ...headers } });
  expect(response.statusCode, `${path}: ${response.body}`).toBe(200);
  return response.body;
}

/** An account followed by `users`, with a news broadcast of two articles sent at `at`. */
async function liveAccount(at: number, users: number) {
  ctx.clock.set(new Date(at).toISOString());
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  const people = await Promise.all(Array.from({ length: users }, () => createWechatUser(ctx.app)));
  await follow(ctx.app, people[0]!, account.appid);
  const sent = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: newsMessage(2) });
  expect(sent.statusCode, sent.body).toBe(202);
  const msgDataId = (await waitForFinish(ctx.app, owner, account.id, sent.json().id)).msgDataId as number;
  return { owner, account, people, msgDataId };
}

describe('period answers', () => {
  it('equal a fresh computation after a random stream of events, late ones, folds, a recount and a reset, whatever range is asked', async () => {
    const start = Date.parse('2026-08-20T02:00:00Z');
    const { owner, account, people, msgDataId } = await liveAccount(start, 6);
    const following = new Set([0]);
    let seed = 7;
    const random = (n: number) => (seed = (seed * 48_271) % 2_147_483_647) % n;
    const act = async (user: WechatUserSession, index: number) => {
      const roll = random(10);
      // Only followers send messages; anyone reads.
      if (roll < 3 || (roll < 7 && !following.has(index))) {
        if (following.has(index)) await unfollow(ctx.app, user, account.appid);
        else await follow(ctx.app, user, account.appid, ['ADD_SCENE_SEARCH', 'ADD_SCENE_QR_CODE'][random(2)]);
        if (following.has(index)) following.delete(index);
        else following.add(index);
        return;
      }
      const action = (['read', 'share', 'favorite'] as const)[random(3)];
      const [url, payload] =
        roll < 7
          ? ['/client/v1/messages', { appid: account.appid, msgType: 'text', content: 'hi' }]
          : ['/client/v1/engagements', { appid: account.appid, msgDataId, articleIndex: 1 + random(2), action, source: 'session', ...(action === 'share' ? { shareScene: 'friend' } : {}) }];
      const response = await ctx.app.inject({ method: 'POST', url, headers: user.headers, payload });
      expect(response.statusCode, response.body).toBe(201);
    };
    const views = ['followers?granularity=day', 'followers?granularity=week', 'followers?granularity=month', 'activation?granularity=day', 'activation?granularity=week', 'activation?granularity=month', 'articles?granularity=day', 'reads?granularity=day'];
    let at = start;
    let asked = 0;
    const compare = async () => {
      const today = dayOf(at);
      const first = Date.parse(`${dayOf(start)}T00:00:00Z`);
      const days = Math.round((Date.parse(`${today}T00:00:00Z`) - first) / DAY_MS);
      for (const view of views) {
        // A range ending today (as a dashboard asks), and one ending on an earlier day: both share the kept periods.
        for (const endsToday of [true, false]) {
          const from = new Date(first + random(days + 1) * DAY_MS).toISOString().slice(0, 10);
          const fromMs = Date.parse(`${from}T00:00:00Z`);
          const to = endsToday ? today : new Date(fromMs + random(Math.round((Date.parse(`${today}T00:00:00Z`) - fromMs) / DAY_MS) + 1) * DAY_MS).toISOString().slice(0, 10);
          const path = `${view}&from=${from}&to=${to}`;
          const kept = await get(owner, account.id, path);
          const fresh = await get(owner, account.id, path, { 'cache-control': 'no-cache' });
          expect(kept, path).toBe(fresh);
          asked++;
        }
      }
    };
    for (let step = 0; step < 120; step++) {
      at += random(5) * 3_600_000 + random(3_600) * 1000; // 0–5 hours on: midnights, a week's and a month's end are crossed
      const index = random(people.length);
      // Now and then an event of an earlier day (a late commit): every period from its day on must be computed again.
      const late = random(8) === 0;
      ctx.clock.set(new Date(late ? at - (1 + random(3)) * DAY_MS : at).toISOString());
      await act(people[index]!, index);
      ctx.clock.set(new Date(at).toISOString());
      if (random(4) === 0) {
        await worker().statsFolder.catchUp();
        await compare();
      }
      if (step === 60) await recountAccount(db(), account.id, ctx.config.quotaTimeZone);
      if (step === 90) {
        await resetRollups(db(), ctx.config.quotaTimeZone);
        await compare();
      }
    }
    await worker().statsFolder.catchUp();
    await compare();
    expect(asked).toBeGreaterThan(200);
  }, 120_000);

  it('compute again only the periods from the first day a fold changed, and everything after a recount', async () => {
    const sentAt = Date.parse('2026-10-01T02:00:00Z');
    const { owner, account, people } = await liveAccount(sentAt, 3);
    await worker().statsFolder.catchUp();
    const now = sentAt + 30 * DAY_MS;
    ctx.clock.set(new Date(now).toISOString());
    const today = dayOf(now);
    const range = `from=${dayOf(sentAt)}&to=${today}`;
    const computed = vi.spyOn(ctx.deps.services.stats, 'followers');
    const asked = () => computed.mock.calls.map(([, range]) => `${(range as StatsRange).from}..${(range as StatsRange).to}`);
    try {
      const whole = `${dayOf(sentAt)}..${today}`;
      const first = await get(owner, account.id, `followers?${range}`);
      expect(asked()).toEqual([whole]);
      expect(JSON.parse(first).items).toHaveLength(31);

      // Today's follow: today's period alone is read, for this range and for a shorter one.
      await follow(ctx.app, people[1]!, account.appid);
      await worker().statsFolder.catchUp();
      const afterToday = await get(owner, account.id, `followers?${range}`);
      expect(asked()).toEqual([whole, `${today}..${today}`]);
      expect(JSON.parse(afterToday).items.at(-1)).toMatchObject({ refDate: today, newUser: 1, cumulateUser: 2 });
      await get(owner, account.id, `followers?from=${dayOf(now - 7 * DAY_MS)}&to=${today}`);
      expect(asked()).toHaveLength(2);

      // An event of three days ago, folded late: that day on (the followers to date of the days after move too).
      const threeDaysAgo = dayOf(now - 3 * DAY_MS);
      ctx.clock.set(new Date(now - 3 * DAY_MS).toISOString());
      await follow(ctx.app, people[2]!, account.appid);
      ctx.clock.set(new Date(now).toISOString());
      await worker().statsFolder.catchUp();
      const afterLate = JSON.parse(await get(owner, account.id, `followers?${range}`)).items;
      expect(asked().at(-1)).toBe(`${threeDaysAgo}..${today}`);
      expect(afterLate.slice(-4).map((item: { cumulateUser: number }) => item.cumulateUser)).toEqual([2, 2, 2, 3]);

      // Another account's fold leaves this account's periods (and answers) alone.
      await liveAccount(now, 1);
      await worker().statsFolder.catchUp();
      await get(owner, account.id, `followers?${range}`);
      expect(asked()).toHaveLength(3);

      // A recount gives the account a new epoch: everything is computed again.
      await recountAccount(db(), account.id, ctx.config.quotaTimeZone);
      await get(owner, account.id, `followers?${range}`);
      expect(asked().at(-1)).toBe(whole);
    } finally {
      computed.mockRestore();
    }
  });

  it('never join kept periods to computed ones across a fold that changed the kept ones', async () => {
    const at = Date.parse('2026-10-12T02:00:00Z');
    const { owner, account, people } = await liveAccount(at, 3);
    await worker().statsFolder.catchUp();
    const range = `followers?from=${dayOf(at - 10 * DAY_MS)}&to=${dayOf(at)}`;
    await get(owner, account.id, range);
    // Today's follow, folded; and a follow of two days ago, folded while today's period is being computed.
    await follow(ctx.app, people[1]!, account.appid);
    await worker().statsFolder.catchUp();
    ctx.clock.set(new Date(at - 2 * DAY_MS).toISOString());
    await follow(ctx.app, people[2]!, account.appid);
    ctx.clock.set(new Date(at).toISOString());
    const stats = ctx.deps.services.stats;
    const original = stats.followers.bind(stats);
    const computed = vi.spyOn(stats, 'followers').mockImplementation(async (accountId, asked) => {
      const items = await original(accountId, asked);
      if (computed.mock.calls.length === 1) await worker().statsFolder.catchUp();
      return items;
    });
    try {
      const served = await get(owner, account.id, range);
      // Today's period, then again from the late follow's day on.
      expect(computed.mock.calls.map(([, asked]) => asked.from)).toEqual([dayOf(at), dayOf(at - 2 * DAY_MS)]);
      expect(served).toBe(await get(owner, account.id, range, { 'cache-control': 'no-cache' }));
      // people[0] and people[1] followed today, people[2] two days ago.
      expect(JSON.parse(served).items.slice(-3).map((item: { cumulateUser: number }) => item.cumulateUser)).toEqual([1, 1, 3]);
    } finally {
      computed.mockRestore();
    }
  });

  it('compute everything again when a version moved with no days recorded (a writer from before stats_day_changes)', async () => {
    const at = Date.parse('2026-10-20T02:00:00Z');
    const { owner, account } = await liveAccount(at, 1);
    await worker().statsFolder.catchUp();
    const range = `followers?from=${dayOf(at - 20 * DAY_MS)}&to=${dayOf(at)}`;
    expect(JSON.parse(await get(owner, account.id, range)).items[0]).toMatchObject({ newUser: 0 });
    // What an old worker did during an upgrade: rollups and version changed, no day recorded.
    await db().execute(sql`
      INSERT INTO stats_follow_daily (account_id, day, new_user, cancel_user, by_scene)
      VALUES (${account.id}, ${dayOf(at - 20 * DAY_MS)}, 5, 0, '{"ADD_SCENE_SEARCH": [5, 0]}')`);
    await db().execute(sql`
      UPDATE stats_account_versions SET version = nextval('stats_version_seq') WHERE account_id = ${account.id} AND source = 'follow_events'`);
    const kept = await get(owner, account.id, range);
    expect(JSON.parse(kept).items[0]).toMatchObject({ newUser: 5, cumulateUser: 5 });
    expect(kept).toBe(await get(owner, account.id, range, { 'cache-control': 'no-cache' }));
  });

  it('records each fold on the days it changed, with versions that grow fold by fold', async () => {
    const at = Date.parse('2026-11-10T02:00:00Z');
    const { account, people } = await liveAccount(at, 2);
    await worker().statsFolder.catchUp();
    const changes = async () =>
      (await db().execute<{ source: string; day: string; version: number }>(sql`
        SELECT source, day::text, version FROM stats_day_changes WHERE account_id = ${account.id} ORDER BY source, day`)).rows;
    const versions = async () =>
      (await db().execute<{ source: string; version: number; epoch: number }>(sql`
        SELECT source, version, epoch FROM stats_account_versions WHERE account_id = ${account.id} AND source = 'follow_events'`)).rows[0]!;
    const before = await versions();
    expect(before.epoch).toBe(before.version);
    expect((await changes()).filter((change) => change.source === 'follow_events')).toEqual([{ source: 'follow_events', day: dayOf(at), version: before.version }]);

    ctx.clock.set(new Date(at - 2 * DAY_MS).toISOString());
    await follow(ctx.app, people[1]!, account.appid);
    ctx.clock.set(new Date(at).toISOString());
    await worker().statsFolder.catchUp();
    const after = await versions();
    expect(after.version).toBeGreaterThan(before.version);
    // The epoch stays while the row does.
    expect(after.epoch).toBe(before.epoch);
    expect((await changes()).filter((change) => change.source === 'follow_events')).toEqual([
      { source: 'follow_events', day: dayOf(at - 2 * DAY_MS), version: after.version },
      { source: 'follow_events', day: dayOf(at), version: before.version },
    ]);
    const firstChangedSince = async (since: typeof before) => (await ctx.deps.services.stats.rollupState(account.id, [since])).changedSince?.firstDay;
    expect(await firstChangedSince(before)).toBe(dayOf(at - 2 * DAY_MS));
    expect(await firstChangedSince(after)).toBeUndefined();

    await recountAccount(db(), account.id, ctx.config.quotaTimeZone);
    const recounted = await versions();
    expect(recounted.epoch).toBe(recounted.version);
    expect(recounted.version).toBeGreaterThan(after.version);
    expect(await changes()).toEqual([]);
  });
});
