import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { seedFollowerChunk } from '../../src/db/seed/followers.seed.js';
import { createAccount, registerAdmin } from '../helpers/admin.js';
import { outboxEvents, sendBroadcast } from '../helpers/broadcasts.js';
import { useTestContext } from '../helpers/context.js';
import { childEnv, startEntryPoint, type RunningProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/worker.js';

const workerSettings = {
  FANOUT_BATCH_SIZE: '500',
  FANOUT_BATCH_CONCURRENCY: '2',
  // Short locks, so the jobs a killed worker held are seen as stalled within seconds, not the default 30.
  WORKER_LOCK_DURATION_MS: '2000',
  SWEEP_INTERVAL_MS: '2000',
};
const ctx = useTestContext(workerSettings);

describe('a worker killed in the middle of a fan-out', () => {
  it('SIGKILL mid-fan-out of 50,000 followers, then a new worker: every eligible follower gets exactly one delivery and the broadcast completes once', async () => {
    ctx.clock.set(new Date());
    const owner = await registerAdmin(ctx.app);
    const account = await createAccount(ctx.app, owner);
    const db = ctx.deps.database.db;
    const now = new Date();
    for (let offset = 0; offset < 50_000; offset += 25_000) {
      await seedFollowerChunk(db, { accountId: account.id, ownerId: owner.userId, count: 25_000, churned: 1_000, from: new Date(now.getTime() - 86_400_000), to: now, offset });
    }
    await db.execute(sql`UPDATE followers SET blacklisted = true, blacklisted_at = now() WHERE account_id = ${account.id} AND id % 97 = 0`);
    const eligible = (
      await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM followers WHERE account_id = ${account.id} AND subscribed AND NOT blacklisted`)
    ).rows[0]!.n;
    expect(eligible).toBeGreaterThan(45_000);
    // Speed level 0 (800k a minute) spreads the ~100 batches over a few seconds, so the kill lands mid-way.
    await ctx.app.inject({ method: 'PUT', url: `/v1/accounts/${account.id}/broadcast-speed`, headers: owner.headers, payload: { speed: 0 } });

    const first = startEntryPoint('src/worker.ts', childEnv(ctx, workerSettings));
    let second: RunningProcess | undefined;
    try {
      const sent = await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'crash test' } });
      expect(sent.statusCode, sent.body).toBe(202);
      const broadcastId: number = sent.json().id;
      const progress = async () =>
        (await db.execute<{ done: number; total: number | null; status: string }>(sql`
          SELECT batches_done AS done, batches_total AS total, status FROM broadcasts WHERE id = ${broadcastId}`)).rows[0]!;

      await waitFor(async () => (await progress()).done >= 8, { timeoutMs: 30_000, intervalMs: 10, what: 'some batches to be delivered' });
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      const atKill = await progress();
      expect(atKill.status).toBe('SENDING');
      expect(atKill.done).toBeLessThan(atKill.total!);

      second = startEntryPoint('src/worker.ts', childEnv(ctx, workerSettings));
      await waitFor(async () => (await progress()).status !== 'SENDING', { timeoutMs: 60_000, intervalMs: 100, what: 'the broadcast to finish' });

      const final = (
        await db.execute<{ status: string; sent: number; filtered: number; errors: number; done: number; total: number }>(sql`
          SELECT status, sent_count AS sent, filtered_count AS filtered, error_count AS errors, batches_done AS done, batches_total AS total
          FROM broadcasts WHERE id = ${broadcastId}`)
      ).rows[0]!;
      const delivered = (
        await db.execute<{ rows: number; followers: number; ineligible: number }>(sql`
          SELECT count(*)::int AS rows, count(DISTINCT d.follower_id)::int AS followers,
                 count(*) FILTER (WHERE NOT f.subscribed OR f.blacklisted)::int AS ineligible
          FROM deliveries d JOIN followers f ON f.id = d.follower_id WHERE d.broadcast_id = ${broadcastId}`)
      ).rows[0]!;
      expect(final.status).toBe('SEND_SUCCESS');
      expect(delivered).toEqual({ rows: eligible, followers: eligible, ineligible: 0 });
      // Counted once per batch: a batch that was counted twice would push done past total or sent past eligible.
      expect(final.done).toBe(final.total);
      expect(final.sent).toBe(eligible);
      expect(final.errors).toBe(0);
      expect(final.filtered).toBe(50_000 - 2_000 - eligible);
      const doneBatches = (await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM broadcast_batches WHERE broadcast_id = ${broadcastId} AND done_at IS NOT NULL`)).rows[0]!.n;
      expect(doneBatches).toBe(final.total);

      expect(await outboxEvents(db, `MASSSENDJOBFINISH:${broadcastId}`)).toHaveLength(1);

      // A SIGTERM lets the second worker finish what it holds and exit cleanly.
      second.child.kill('SIGTERM');
      expect((await second.exited).code, second.output()).toBe(0);
    } finally {
      for (const running of [first, second]) if (running && running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
    }
  }, 120_000);
});
