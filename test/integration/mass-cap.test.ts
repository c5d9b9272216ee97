import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { quotaWindow } from '../../src/modules/accounts/quota-window.js';
import { deliverRange } from '../../src/modules/broadcasts/fanout.repo.js';
import { createAccount, registerAdmin, type AdminSession, type CreatedAccount } from '../helpers/admin.js';
import { outboxEvents, sendBroadcast, waitForFinish } from '../helpers/broadcasts.js';
import { followers } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { accessToken, capableAccount, cgi } from '../helpers/wechat.js';
import { serveAccount, useWorkerWithReceivers } from '../helpers/wechat-receiver.js';
import { waitFor } from '../helpers/worker.js';

// Small batches run five at a time, so concurrent broadcasts really race for the same followers' counters.
const ctx = useTestContext({ FANOUT_BATCH_SIZE: '3', FANOUT_BATCH_CONCURRENCY: '5', SWEEP_INTERVAL_MS: '600000' });
const db = () => ctx.deps.database.db;

beforeAll(async () => {
  // The account-level quota (service: 1 a month, subscription: 1 a day) is data too; this file's database lifts it
  // so that only the per-follower limit holds sends back.
  await db().execute(sql`UPDATE quota_policies SET max_units = 100`);
});
const { receivers } = useWorkerWithReceivers(ctx);

/** A verified account (openid lists need a verified service account) with `fans` followers. */
async function setup(fans: number, type: 'subscription' | 'service' = 'service') {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  await capableAccount(ctx.app, owner, account, { type, verified: true });
  return { owner, account, fans: await followers(ctx.app, account.appid, fans) };
}

async function send(owner: AdminSession, account: CreatedAccount, target: Record<string, unknown>, content: string): Promise<number> {
  const response = await sendBroadcast(ctx.app, owner, account.id, { target, message: { type: 'text', content } });
  expect(response.statusCode, response.body).toBe(202);
  return response.json().id;
}

/** Sends and waits for the final status; the worker delivers on the test clock as it stands. */
async function sendAndFinish(owner: AdminSession, account: CreatedAccount, target: Record<string, unknown>, content: string) {
  return waitForFinish(ctx.app, owner, account.id, await send(owner, account, target, content));
}

/** Mass messages each follower of the account received, by openid (followers who received none are left out). */
async function receivedBy(accountId: number): Promise<Record<string, number>> {
  const result = await db().execute<{ openid: string; n: number }>(sql`
    SELECT f.openid, count(*)::int AS n FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id JOIN followers f ON f.id = d.follower_id
    WHERE b.account_id = ${accountId} AND NOT b.is_preview GROUP BY f.openid`);
  return Object.fromEntries(result.rows.map((row) => [row.openid, row.n]));
}

async function countersOf(accountId: number): Promise<Array<{ monthStart: string; received: number }>> {
  const result = await db().execute<{ monthStart: string; received: number }>(sql`
    SELECT month_start::text AS "monthStart", received FROM follower_mass_counters WHERE account_id = ${accountId} ORDER BY month_start, follower_id`);
  return result.rows;
}

const everyone = (fans: Array<{ openid: string }>, n: number) => Object.fromEntries(fans.map((fan) => [fan.openid, n]));

describe('the per-follower monthly limit on mass messages of a service account', () => {
  it('five concurrent broadcasts to the same followers give each exactly 4; the fifth unit of each is filtered', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { owner, account, fans } = await setup(10);
    const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => send(owner, account, { all: true }, `race ${i}`)));
    const finished = await Promise.all(ids.map((id) => waitForFinish(ctx.app, owner, account.id, id)));

    expect(await receivedBy(account.id)).toEqual(everyone(fans, 4));
    const sum = (key: 'total' | 'filtered' | 'sent' | 'errors') => finished.reduce((n, b) => n + b.counts[key], 0);
    expect({ total: sum('total'), filtered: sum('filtered'), sent: sum('sent'), errors: sum('errors') }).toEqual({ total: 50, filtered: 10, sent: 40, errors: 0 });
    for (const broadcast of finished) {
      expect(broadcast.counts.total).toBe(10);
      expect(broadcast.counts.filtered + broadcast.counts.sent).toBe(10);
      // The broadcast still succeeds for the others; one that reached nobody fails as any broadcast with no recipient.
      expect(broadcast.status).toBe(broadcast.counts.sent > 0 ? 'SEND_SUCCESS' : 'SEND_FAIL');
    }
    // Each MASSSENDJOBFINISH carries the same counts as the broadcast.
    for (const broadcast of finished) {
      const [event] = await outboxEvents(db(), `MASSSENDJOBFINISH:${broadcast.id}`);
      expect(event!.payload.counts).toEqual(broadcast.counts);
    }
    expect((await countersOf(account.id)).map((c) => c.received)).toEqual(Array(10).fill(4));
    // Racing on the counters queued the batches, none deadlocked or failed.
    const attempts = await db().execute<{ n: number }>(sql`
      SELECT coalesce(sum(attempts), 0)::int AS n FROM broadcast_batches WHERE broadcast_id = ANY(${sql.param(ids)}::bigint[])`);
    expect(attempts.rows[0]!.n).toBe(0);
  });

  it('a batch that waits on a racing batch re-checks the limit against the count that one committed', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { account } = await setup(3);
    const at = ctx.clock.now();
    const cap = { limit: 1, monthStart: quotaWindow(at, 'month', ctx.config.quotaTimeZone).start };
    // Two broadcasts of the account as the statement sees them (deliveries name a broadcast by id alone).
    const broadcast = (id: number) => ({ id, accountId: account.id, target: 'all' as const, targetTagId: null });
    const everyFollower = { lo: 0, hi: Number.MAX_SAFE_INTEGER };
    let commitFirst!: () => void;
    let firstDelivered!: (counts: unknown) => void;
    const delivered = new Promise((resolve) => (firstDelivered = resolve));
    const first = db().transaction(async (tx) => {
      firstDelivered(await deliverRange(tx, broadcast(-1), everyFollower, at, cap));
      await new Promise<void>((resolve) => (commitFirst = resolve));
    });
    try {
      expect(await delivered).toEqual({ candidates: 3, filtered: 0, sent: 3 });
      const second = db().transaction((tx) => deliverRange(tx, broadcast(-2), everyFollower, at, cap));
      await waitFor(
        async () => {
          const waiting = await db().execute(sql`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
          return (waiting.rowCount ?? 0) > 0;
        },
        { what: 'the second batch to wait on the first one’s counter rows' },
      );
      commitFirst();
      await first;
      expect(await second).toEqual({ candidates: 3, filtered: 3, sent: 0 });
      expect((await countersOf(account.id)).map((row) => row.received)).toEqual([1, 1, 1]);
    } finally {
      commitFirst?.();
      await first.catch(() => undefined);
      await db().execute(sql`DELETE FROM deliveries WHERE broadcast_id < 0`);
    }
  });

  it('an openid list counts and is capped too, a preview neither, and the push counts the capped in TotalCount only', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { owner, account, fans } = await setup(3);
    const [a, b, c] = fans as [(typeof fans)[number], (typeof fans)[number], (typeof fans)[number]];
    const receiver = await serveAccount(ctx.app, owner, account.id, receivers);
    for (let i = 0; i < 4; i++) {
      expect(await sendAndFinish(owner, account, { openids: [a.openid, b.openid] }, `listed ${i}`)).toMatchObject({ counts: { total: 2, filtered: 0, sent: 2 } });
    }
    expect(await receivedBy(account.id)).toEqual({ [a.openid]: 4, [b.openid]: 4 });

    // A preview reaches a capped follower and is not counted (WeChat's preview API is apart from mass sends).
    const preview = await ctx.app.inject({
      method: 'POST',
      url: `/v1/accounts/${account.id}/broadcasts/preview`,
      headers: owner.headers,
      payload: { openids: [a.openid, c.openid], message: { type: 'text', content: 'preview' } },
    });
    expect(preview.statusCode, preview.body).toBe(201);
    expect(preview.json().counts).toEqual({ total: 2, filtered: 0, sent: 2, errors: 0 });
    expect((await countersOf(account.id)).map((row) => row.received).sort()).toEqual([4, 4]);

    // Through the WeChat API: an openid list with two capped followers and one who received nothing yet.
    const token = await accessToken(ctx.app, account);
    const answer = await cgi(ctx.app, 'POST', '/cgi-bin/message/mass/send', token, {
      body: { touser: [a.openid, b.openid, c.openid], msgtype: 'text', text: { content: 'fifth' } },
    });
    expect(answer).toMatchObject({ errcode: 0 });
    const broadcastId = await ctx.deps.services.broadcasts.idOfMsgId(account.id, String(answer.msg_id));
    const finished = await waitForFinish(ctx.app, owner, account.id, broadcastId);
    expect(finished).toMatchObject({ status: 'SEND_SUCCESS', failReason: null, progress: 100, counts: { total: 3, filtered: 2, sent: 1, errors: 0 } });
    expect(await receivedBy(account.id)).toEqual({ [a.openid]: 4, [b.openid]: 4, [c.openid]: 1 });

    const push = await waitFor(async () => receiver.pushes.find((p) => p.field('Event') === 'MASSSENDJOBFINISH' && p.field('MsgID') === String(answer.msg_id)), {
      what: 'MASSSENDJOBFINISH of the capped send',
    });
    expect(push.field('Status')).toBe('send success');
    expect([push.field('TotalCount'), push.field('FilterCount'), push.field('SentCount'), push.field('ErrorCount')]).toEqual(['3', '1', '1', '0']);
  });

  it('unsubscribed and blacklisted followers stay filtered as before and take no unit', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { owner, account, fans } = await setup(3);
    const blacklisted = await ctx.app.inject({
      method: 'POST',
      url: `/cgi-bin/tags/members/batchblacklist`,
      query: { access_token: await accessToken(ctx.app, account) },
      payload: { openid_list: [fans[0]!.openid] },
    });
    expect(blacklisted.json()).toMatchObject({ errcode: 0 });
    expect(await sendAndFinish(owner, account, { all: true }, 'one')).toMatchObject({ counts: { total: 3, filtered: 1, sent: 2, errors: 0 } });
    expect(await receivedBy(account.id)).toEqual({ [fans[1]!.openid]: 1, [fans[2]!.openid]: 1 });
    expect((await countersOf(account.id)).map((row) => row.received)).toEqual([1, 1]);
  });

  it('a new calendar month in Asia/Shanghai starts every follower at 0 again', async () => {
    ctx.clock.set('2026-09-30T12:00:00Z');
    const { owner, account, fans } = await setup(2);
    for (let i = 0; i < 4; i++) await sendAndFinish(owner, account, { all: true }, `september ${i}`);
    ctx.clock.set('2026-09-30T15:59:59Z'); // 23:59:59 on 30 September in Shanghai
    const fifth = await sendAndFinish(owner, account, { all: true }, 'september 5');
    // Nobody left to reach: it fails as a broadcast with no recipient does, and its account-level unit returns.
    expect(fifth).toMatchObject({ status: 'SEND_FAIL', failReason: 'NO_ELIGIBLE_RECIPIENTS', counts: { total: 2, filtered: 2, sent: 0 } });
    expect(await receivedBy(account.id)).toEqual(everyone(fans, 4));

    ctx.clock.set('2026-09-30T16:00:00Z'); // 00:00 on 1 October in Shanghai
    const october = await sendAndFinish(owner, account, { all: true }, 'october');
    expect(october).toMatchObject({ status: 'SEND_SUCCESS', counts: { total: 2, filtered: 0, sent: 2 } });
    expect(await receivedBy(account.id)).toEqual(everyone(fans, 5));
    expect(await countersOf(account.id)).toEqual([
      { monthStart: '2026-08-31 16:00:00+00', received: 4 },
      { monthStart: '2026-08-31 16:00:00+00', received: 4 },
      { monthStart: '2026-09-30 16:00:00+00', received: 1 },
      { monthStart: '2026-09-30 16:00:00+00', received: 1 },
    ]);
  });

  it('follows the policy table: a deployment can change the limit without a release', async () => {
    ctx.clock.set('2026-07-15T04:00:00Z');
    const { owner, account, fans } = await setup(2);
    await db().execute(sql`UPDATE quota_policies SET per_follower_monthly_mass_limit = 1 WHERE account_type = 'service'`);
    try {
      expect(await sendAndFinish(owner, account, { all: true }, 'first')).toMatchObject({ counts: { filtered: 0, sent: 2 } });
      expect(await sendAndFinish(owner, account, { all: true }, 'second')).toMatchObject({ counts: { filtered: 2, sent: 0 } });
      await db().execute(sql`UPDATE quota_policies SET per_follower_monthly_mass_limit = NULL WHERE account_type = 'service'`);
      expect(await sendAndFinish(owner, account, { all: true }, 'unlimited')).toMatchObject({ counts: { filtered: 0, sent: 2 } });
      expect(await receivedBy(account.id)).toEqual(everyone(fans, 2));
    } finally {
      await db().execute(sql`UPDATE quota_policies SET per_follower_monthly_mass_limit = 4 WHERE account_type = 'service'`);
    }
  });

  it('a batch run again delivers nothing more and takes no second unit', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { owner, account, fans } = await setup(4);
    const broadcast = await sendAndFinish(owner, account, { all: true }, 'once');
    expect(broadcast.counts).toMatchObject({ total: 4, filtered: 0, sent: 4 });
    const ref = { accountId: account.id, broadcastId: broadcast.id };

    // The job delivered again (BullMQ delivers at least once): the batch is done, so the step is skipped.
    for (const seq of [0, 1]) expect(await ctx.deps.services.fanout.deliverBatch(ref, seq)).toBe('skipped');
    // Below that guard, the statement itself charges nobody it already reached.
    const ranges = await db().execute<{ lo: number; hi: number }>(sql`SELECT lo, hi FROM broadcast_batches WHERE broadcast_id = ${broadcast.id} ORDER BY seq`);
    expect(ranges.rows).toHaveLength(2);
    const at = ctx.clock.now();
    const cap = { limit: 4, monthStart: quotaWindow(at, 'month', ctx.config.quotaTimeZone).start };
    const target = { id: broadcast.id, accountId: account.id, target: 'all' as const, targetTagId: null };
    for (const range of ranges.rows) {
      const counts = await db().transaction((tx) => deliverRange(tx, target, range, at, cap));
      expect(counts.filtered + counts.sent).toBe(0);
    }

    expect(await receivedBy(account.id)).toEqual(everyone(fans, 1));
    expect((await countersOf(account.id)).map((row) => row.received)).toEqual([1, 1, 1, 1]);
    expect((await waitForFinish(ctx.app, owner, account.id, broadcast.id)).counts).toEqual(broadcast.counts);
  });
});

describe('the maintenance sweep of past months', () => {
  it('deletes counters of months before the previous one, account by account, a bounded number per call', async () => {
    ctx.clock.set('2026-11-20T04:00:00Z');
    // Counters are plain rows (no foreign keys), so made-up account ids keep this test apart from the others.
    const accounts = [900_001, 900_002];
    const months = ['2026-08-31T16:00:00Z', '2026-09-30T16:00:00Z', '2026-10-31T16:00:00Z']; // October, November in Shanghai; and September
    for (const accountId of accounts) {
      for (const month of ['2026-07-31T16:00:00Z', ...months]) {
        for (const followerId of [1, 2, 3]) {
          await db().execute(sql`INSERT INTO follower_mass_counters (account_id, month_start, follower_id, received) VALUES (${accountId}, ${month}, ${followerId}, 2)`);
        }
      }
    }
    const remaining = async () => {
      const result = await db().execute<{ accountId: number; month: string; n: number }>(sql`
        SELECT account_id::int AS "accountId", to_char(month_start AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, count(*)::int AS n
        FROM follower_mass_counters WHERE account_id = ANY(${sql.param(accounts)}::bigint[]) GROUP BY 1, 2 ORDER BY 1, 2`);
      return result.rows;
    };

    // Bounded: 4 rows per call, so the 12 old rows of the two accounts (and any other test's) take several calls.
    expect(await ctx.deps.services.fanout.sweepPastMassCounters(4)).toBe(4);
    let calls = 1;
    while ((await ctx.deps.services.fanout.sweepPastMassCounters(4)) > 0) calls++;
    expect(calls).toBeGreaterThanOrEqual(3);

    const kept = accounts.flatMap((accountId) => ['2026-10', '2026-11'].map((month) => ({ accountId, month, n: 3 })));
    expect(await remaining()).toEqual(kept);
  });
});

describe('a subscription account', () => {
  it('has no per-follower limit: six broadcasts reach every follower six times and count nothing', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { owner, account, fans } = await setup(3, 'subscription');
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => send(owner, account, { all: true }, `daily ${i}`)));
    for (const id of ids) expect(await waitForFinish(ctx.app, owner, account.id, id)).toMatchObject({ status: 'SEND_SUCCESS', counts: { total: 3, filtered: 0, sent: 3 } });
    expect(await receivedBy(account.id)).toEqual(everyone(fans, 6));
    expect(await countersOf(account.id)).toEqual([]);
  });
});
