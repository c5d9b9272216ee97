import { sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { createAccount, expectProblem, registerAdmin } from '../helpers/admin.js';
import { sendBroadcast } from '../helpers/broadcasts.js';
import { useTestContext } from '../helpers/context.js';

const ctx = useTestContext();

async function newAccount(type?: 'subscription' | 'service') {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  if (type) await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/type`, headers: owner.headers, payload: { type } });
  return { owner, account };
}

/** Consumes one unit the way the broadcast service does: inside a transaction, at the instant it records. */
function consume(accountId: number) {
  return ctx.deps.database.db.transaction((tx) => ctx.deps.services.quota.consume(tx, accountId, 'test', ctx.clock.now()));
}

async function outcome(accountId: number): Promise<'ok' | 'exhausted'> {
  try {
    await consume(accountId);
    return 'ok';
  } catch (error) {
    if (isAppError(error) && error.code === 'QUOTA_EXHAUSTED') return 'exhausted';
    throw error;
  }
}

describe('GET /v1/accounts/:id/quota', () => {
  it('reports the period, limit, use and reset time of a subscription account in Shanghai days', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z'); // 12:00 in Shanghai
    const { owner, account } = await newAccount();
    const before = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/quota`, headers: owner.headers });
    expect(before.json()).toEqual({
      type: 'subscription',
      period: 'day',
      limit: 1,
      used: 0,
      remaining: 1,
      periodStart: '2026-06-14T16:00:00.000Z',
      resetsAt: '2026-06-15T16:00:00.000Z',
    });
    await consume(account.id);
    const after = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/quota`, headers: owner.headers });
    expect(after.json()).toMatchObject({ used: 1, remaining: 0 });
  });
});

describe('consuming quota', () => {
  it('under 50 concurrent consumers of a 1-per-day quota exactly one succeeds', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { account } = await newAccount();
    const results = await Promise.all(Array.from({ length: 50 }, () => outcome(account.id)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r === 'exhausted')).toHaveLength(49);
    const ledger = await ctx.deps.database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM quota_ledger WHERE account_id = ${account.id}`);
    expect(ledger.rows[0]!.n).toBe(1);
  });

  it('a refused consumer learns when the quota resets', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { account } = await newAccount();
    await consume(account.id);
    await expect(consume(account.id)).rejects.toMatchObject({ code: 'QUOTA_EXHAUSTED', details: { resetsAt: '2026-06-15T16:00:00.000Z' } });
  });

  it('a subscription account gets a new unit at midnight Shanghai time, not at midnight UTC', async () => {
    const { account } = await newAccount();
    ctx.clock.set('2026-06-15T15:59:00Z'); // 23:59 in Shanghai
    expect(await outcome(account.id)).toBe('ok');
    ctx.clock.set('2026-06-15T15:59:59.999Z');
    expect(await outcome(account.id)).toBe('exhausted');
    ctx.clock.set('2026-06-15T16:00:00Z'); // 00:00 next day in Shanghai, still the 15th in UTC
    expect(await outcome(account.id)).toBe('ok');
    ctx.clock.set('2026-06-15T23:59:00Z');
    expect(await outcome(account.id)).toBe('exhausted');
  });

  it('a service account gets one unit per Shanghai calendar month', async () => {
    const { account } = await newAccount('service');
    ctx.clock.set('2026-06-01T00:00:00Z'); // 08:00 on 1 June in Shanghai
    expect(await outcome(account.id)).toBe('ok');
    ctx.clock.set('2026-06-20T00:00:00Z');
    expect(await outcome(account.id)).toBe('exhausted');
    ctx.clock.set('2026-06-30T15:59:59Z'); // 23:59:59 on 30 June in Shanghai
    expect(await outcome(account.id)).toBe('exhausted');
    ctx.clock.set('2026-06-30T16:00:00Z'); // 00:00 on 1 July in Shanghai
    expect(await outcome(account.id)).toBe('ok');
  });

  it('follows the policy table, so a deployment can allow service accounts 4 a month without a code change', async () => {
    const { account, owner } = await newAccount('service');
    ctx.clock.set('2026-08-10T00:00:00Z');
    await ctx.deps.database.db.execute(sql`UPDATE quota_policies SET max_units = 4 WHERE account_type = 'service'`);
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => outcome(account.id)));
      expect(results.filter((r) => r === 'ok')).toHaveLength(4);
      const status = await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/quota`, headers: owner.headers });
      expect(status.json()).toMatchObject({ period: 'month', limit: 4, used: 4, remaining: 0, resetsAt: '2026-08-31T16:00:00.000Z' });
    } finally {
      await ctx.deps.database.db.execute(sql`UPDATE quota_policies SET max_units = 1 WHERE account_type = 'service'`);
    }
  });

  it('a unit consumed in a rolled-back transaction is not used', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { account } = await newAccount();
    await expect(
      ctx.deps.database.db.transaction(async (tx) => {
        await ctx.deps.services.quota.consume(tx, account.id, 'test', ctx.clock.now());
        throw new Error('the broadcast could not be recorded');
      }),
    ).rejects.toThrow('could not be recorded');
    expect(await outcome(account.id)).toBe('ok');
  });

  it('a refunded unit can be used again, and refunding twice returns it once', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { account } = await newAccount();
    const unit = await consume(account.id);
    expect(await ctx.deps.services.quota.refund(account.id, unit.ledgerId)).toBe(true);
    expect(await ctx.deps.services.quota.refund(account.id, unit.ledgerId)).toBe(false);
    expect(await outcome(account.id)).toBe('ok');
    expect(await outcome(account.id)).toBe('exhausted');
  });

  it('refuses the quota route to strangers', async () => {
    const { account } = await newAccount();
    const stranger = await registerAdmin(ctx.app);
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/quota`, headers: stranger.headers }), 404, 'ACCOUNT_NOT_FOUND');
  });
});

function chooseType(owner: Awaited<ReturnType<typeof registerAdmin>>, accountId: number, type: 'subscription' | 'service') {
  return ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${accountId}/type`, headers: owner.headers, payload: { type } });
}

async function quotaStatus(owner: Awaited<ReturnType<typeof registerAdmin>>, accountId: number) {
  return (await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/quota`, headers: owner.headers })).json();
}

describe('quota across the one-time type switch', () => {
  it('a subscription account that sent today and then becomes a service account has used 1 of its monthly unit', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { owner, account } = await newAccount();
    expect(await outcome(account.id)).toBe('ok');
    expect((await chooseType(owner, account.id, 'service')).statusCode).toBe(200);
    expect(await quotaStatus(owner, account.id)).toMatchObject({ type: 'service', period: 'month', limit: 1, used: 1, remaining: 0 });
    await expect(consume(account.id)).rejects.toMatchObject({ code: 'QUOTA_EXHAUSTED', details: { resetsAt: '2026-06-30T16:00:00.000Z' } });
  });

  it("a service account's month counts the sends it made as a subscription account earlier in the month", async () => {
    const { owner, account } = await newAccount();
    ctx.clock.set('2026-06-03T04:00:00Z');
    expect(await outcome(account.id)).toBe('ok');
    ctx.clock.set('2026-06-10T04:00:00Z');
    expect(await outcome(account.id)).toBe('ok');
    ctx.clock.set('2026-06-15T04:00:00Z');
    await chooseType(owner, account.id, 'service');
    expect(await quotaStatus(owner, account.id)).toMatchObject({ period: 'month', used: 2, remaining: 0 });
    expect(await outcome(account.id)).toBe('exhausted');
    ctx.clock.set('2026-06-30T16:00:00Z'); // 00:00 on 1 July in Shanghai
    expect(await outcome(account.id)).toBe('ok');
  });

  it('a unit consumed before the switch and refunded after it is back in the new window', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const { owner, account } = await newAccount();
    const unit = await consume(account.id);
    await chooseType(owner, account.id, 'service');
    expect(await ctx.deps.services.quota.refund(account.id, unit.ledgerId)).toBe(true);
    expect(await quotaStatus(owner, account.id)).toMatchObject({ period: 'month', used: 0 });
    expect(await outcome(account.id)).toBe('ok');
    expect(await outcome(account.id)).toBe('exhausted');
  });

  it('consumers racing the type switch get exactly one unit between the old window and the new one', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const owner = await registerAdmin(ctx.app);
    for (let round = 0; round < 30; round++) {
      const account = await createAccount(ctx.app, owner);
      const [switched, ...results] = await Promise.all([chooseType(owner, account.id, 'service'), ...Array.from({ length: 8 }, () => outcome(account.id))]);
      expect(switched.statusCode).toBe(200);
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(await quotaStatus(owner, account.id)).toMatchObject({ type: 'service', used: 1, remaining: 0 });
    }
  });
});

describe('a send reads the clock once', () => {
  it('a send recorded at 23:59:59.999 Shanghai time is charged to that day even if midnight passes before its unit is taken', async () => {
    const { owner, account } = await newAccount();
    const quota = ctx.deps.services.quota;
    const consumeUnit = quota.consume.bind(quota);
    ctx.clock.set('2026-06-15T15:59:59.999Z'); // 23:59:59.999 on 15 June in Shanghai
    // The clock moves on between the send's own reading and the moment its unit is taken.
    const ticking = vi.spyOn(quota, 'consume').mockImplementation((...args: Parameters<typeof quota.consume>) => {
      ctx.clock.advance(1);
      return consumeUnit(...args);
    });
    try {
      const sent = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'late' } });
      expect(sent.statusCode, sent.body).toBe(202);
      expect(sent.json().createdAt).toBe('2026-06-15T15:59:59.999Z');
    } finally {
      ticking.mockRestore();
    }
    const ledger = await ctx.deps.database.db.execute<{ consumed_at: string }>(sql`SELECT consumed_at::text FROM quota_ledger WHERE account_id = ${account.id}`);
    expect(ledger.rows.map((row) => new Date(row.consumed_at).toISOString())).toEqual(['2026-06-15T15:59:59.999Z']);
    ctx.clock.set('2026-06-16T02:00:00Z'); // 10:00 on 16 June in Shanghai: a new day with its unit untouched
    expect(await quotaStatus(owner, account.id)).toMatchObject({ used: 0, remaining: 1 });
    expect((await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'next day' } })).statusCode).toBe(202);
  });
});
