import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumers } from '../../src/queues/consumers.js';
import { createAccount, registerAdmin } from '../helpers/admin.js';
import { sendBroadcast, waitForFinish } from '../helpers/broadcasts.js';
import { followers } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { startWorker } from '../helpers/worker.js';

// Batches of two, delivered one at a time, so the order batches run in is the order they leave the queue.
const ctx = useTestContext({ FANOUT_BATCH_SIZE: '2', FANOUT_BATCH_CONCURRENCY: '1', SWEEP_INTERVAL_MS: '600000' });
const db = () => ctx.deps.database.db;
let worker: Consumers | undefined;

beforeAll(async () => {
  // The order batches complete in, as PostgreSQL commits them.
  await db().execute(sql`CREATE TABLE batch_log (n bigserial PRIMARY KEY, broadcast_id bigint NOT NULL, seq int NOT NULL)`);
  await db().execute(sql`
    CREATE FUNCTION log_batch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.done_at IS NULL AND NEW.done_at IS NOT NULL THEN
        INSERT INTO batch_log (broadcast_id, seq) VALUES (NEW.broadcast_id, NEW.seq);
      END IF;
      RETURN NEW;
    END $$`);
  await db().execute(sql`CREATE TRIGGER log_batch AFTER UPDATE ON broadcast_batches FOR EACH ROW EXECUTE FUNCTION log_batch()`);
});
afterAll(async () => {
  await worker?.close();
});

async function account(fans: number) {
  const owner = await registerAdmin(ctx.app);
  const created = await createAccount(ctx.app, owner);
  await followers(ctx.app, created.appid, fans);
  return { owner, account: created };
}

describe('fairness between broadcasts', () => {
  it("a small broadcast sent while a big one's batches are queued finishes before the big one", async () => {
    ctx.clock.set('2026-09-01T04:00:00Z');
    const big = await account(40); // 20 batches
    const small = await account(4); // 2 batches
    // Both are planned before any batch runs: the big one's 20 batch jobs are all in the queue, ahead in time.
    const bigId: number = (await sendBroadcast(ctx.app, big.owner, big.account.id, { target: { all: true }, message: { type: 'text', content: 'big' } })).json().id;
    await ctx.deps.services.fanout.plan({ accountId: big.account.id, broadcastId: bigId });
    const smallId: number = (await sendBroadcast(ctx.app, small.owner, small.account.id, { target: { all: true }, message: { type: 'text', content: 'small' } })).json().id;
    await ctx.deps.services.fanout.plan({ accountId: small.account.id, broadcastId: smallId });

    worker = await startWorker(ctx);
    await waitForFinish(ctx.app, big.owner, big.account.id, bigId);
    await waitForFinish(ctx.app, small.owner, small.account.id, smallId);

    const order = (await db().execute<{ broadcastId: number; seq: number }>(sql`SELECT broadcast_id AS "broadcastId", seq FROM batch_log ORDER BY n`)).rows;
    expect(order).toHaveLength(22);
    // Batch k of every broadcast before batch k+1 of any: the big one's first batch, the small one's first, the
    // big one's second, the small one's second (its last), then the rest of the big one.
    expect(order.slice(0, 4)).toEqual([
      { broadcastId: bigId, seq: 0 },
      { broadcastId: smallId, seq: 0 },
      { broadcastId: bigId, seq: 1 },
      { broadcastId: smallId, seq: 1 },
    ]);
    const finishedAt = (id: number) => order.findLastIndex((entry) => entry.broadcastId === id);
    expect(finishedAt(smallId)).toBeLessThan(finishedAt(bigId));
  });
});
