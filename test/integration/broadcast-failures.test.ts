import { Worker } from 'bullmq';
import { sql } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { unfinishedBroadcastsQuery } from '../../src/modules/broadcasts/fanout.repo.js';
import { SWEEP_SCHEDULER_ID, type Consumers } from '../../src/queues/consumers.js';
import { QUEUES } from '../../src/queues/queues.js';
import { createRedis } from '../../src/redis.js';
import { createAccount, registerAdmin } from '../helpers/admin.js';
import { getBroadcast, outboxEvents, sendBroadcast, waitForFinish } from '../helpers/broadcasts.js';
import { followers } from '../helpers/client.js';
import { useTestContext } from '../helpers/context.js';
import { startWorker, waitFor } from '../helpers/worker.js';

// Batches of three; three failed attempts make a batch give up, retried after 1 s and then 2 s. The scheduled
// sweep is far away, so every sweep in this file is one the test runs.
const ctx = useTestContext({ FANOUT_BATCH_SIZE: '3', FANOUT_MAX_ATTEMPTS: '3', FANOUT_RETRY_DELAY_MS: '1000', SWEEP_INTERVAL_MS: '600000' });
const db = () => ctx.deps.database.db;

let running: Consumers[] = [];
async function start() {
  const consumers = await startWorker(ctx);
  running.push(consumers);
  return consumers;
}
async function stop(consumers: Consumers) {
  running = running.filter((c) => c !== consumers);
  await consumers.close();
}
afterEach(async () => {
  await Promise.all(running.map((c) => c.close()));
  running = [];
});

beforeAll(async () => {
  // A fault PostgreSQL injects: delivering a listed batch of a listed account fails, every time. Giving up on the
  // batch (which records it with errors) is let through.
  await db().execute(sql`CREATE TABLE failing_batches (account_id bigint NOT NULL, seq int)`);
  await db().execute(sql`
    CREATE FUNCTION fail_listed_batches() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.done_at IS NOT NULL AND NEW.errors = 0 AND EXISTS (
        SELECT 1 FROM failing_batches f JOIN broadcasts b ON b.account_id = f.account_id
        WHERE b.id = NEW.broadcast_id AND (f.seq IS NULL OR f.seq = NEW.seq)) THEN
        RAISE EXCEPTION 'injected failure of batch %/%', NEW.broadcast_id, NEW.seq;
      END IF;
      RETURN NEW;
    END $$`);
  await db().execute(sql`CREATE TRIGGER fail_listed_batches BEFORE UPDATE ON broadcast_batches FOR EACH ROW EXECUTE FUNCTION fail_listed_batches()`);
});

async function setup(fans: number) {
  const owner = await registerAdmin(ctx.app);
  const account = await createAccount(ctx.app, owner);
  await followers(ctx.app, account.appid, fans);
  return { owner, account };
}

const batchesOf = async (broadcastId: number) =>
  (
    await db().execute<{ seq: number; attempts: number; lastError: string | null; done: boolean; sent: number | null; errors: number | null }>(sql`
      SELECT seq, attempts, last_error AS "lastError", done_at IS NOT NULL AS done, sent, errors
      FROM broadcast_batches WHERE broadcast_id = ${broadcastId} ORDER BY seq`)
  ).rows;
const finishEvents = (broadcastId: number) => outboxEvents(db(), `MASSSENDJOBFINISH:${broadcastId}`);
const quotaUsed = async (owner: { headers: Record<string, string> }, accountId: number) =>
  (await ctx.app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/quota`, headers: owner.headers })).json().used;

describe('a batch that keeps failing', () => {
  it('is retried up to the budget, then its followers count as errors and the broadcast finishes once', async () => {
    ctx.clock.set('2026-08-01T04:00:00Z');
    const { owner, account } = await setup(9);
    await db().execute(sql`INSERT INTO failing_batches VALUES (${account.id}, 1)`);
    await start();
    const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'partly' } })).json();

    const finished = await waitForFinish(ctx.app, owner, account.id, id);
    expect(finished).toMatchObject({ status: 'SEND_SUCCESS', failReason: null, counts: { total: 9, filtered: 0, sent: 6, errors: 3 } });
    const batches = await batchesOf(id);
    expect(batches[1]).toMatchObject({ attempts: 3, done: true, sent: 0, errors: 3, lastError: expect.stringMatching(/injected failure of batch/) });
    expect(batches.filter((b) => b.seq !== 1).every((b) => b.attempts === 0 && b.sent === 3)).toBe(true);
    expect(await finishEvents(id)).toHaveLength(1);
  });

  it('when every batch fails the broadcast ends SEND_FAIL with DELIVERY_ERRORS and its quota unit back', async () => {
    ctx.clock.set('2026-08-02T04:00:00Z');
    const { owner, account } = await setup(4);
    await db().execute(sql`INSERT INTO failing_batches VALUES (${account.id}, NULL)`);
    await start();
    const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'nobody' } })).json();

    const finished = await waitForFinish(ctx.app, owner, account.id, id);
    expect(finished).toMatchObject({ status: 'SEND_FAIL', failReason: 'DELIVERY_ERRORS', counts: { total: 4, sent: 0, errors: 4 } });
    expect(await quotaUsed(owner, account.id)).toBe(0);
    expect((await finishEvents(id))[0]!.payload).toMatchObject({ status: 'SEND_FAIL', failReason: 'DELIVERY_ERRORS' });
  });

  it('keeps its attempt count across a worker restart and a Redis that lost every job: the budget lives in PostgreSQL', async () => {
    ctx.clock.set('2026-08-03T04:00:00Z');
    const { owner, account } = await setup(6);
    await db().execute(sql`INSERT INTO failing_batches VALUES (${account.id}, 1)`);
    const first = await start();
    const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'restart' } })).json();
    await waitFor(async () => (await batchesOf(id))[1]?.attempts === 1, { what: 'the first failed attempt' });
    await stop(first);
    expect((await getBroadcast(ctx.app, owner, account.id, id)).status).toBe('SENDING');
    // Redis comes back empty: the delayed retry is gone with everything else.
    for (const queue of [QUEUES.broadcastFanout, QUEUES.broadcastBatch]) await ctx.deps.producers[queue].obliterate({ force: true });

    await start(); // its start-up sweep re-enqueues the retry
    const finished = await waitForFinish(ctx.app, owner, account.id, id);
    expect(finished).toMatchObject({ status: 'SEND_SUCCESS', counts: { sent: 3, errors: 3 } });
    expect((await batchesOf(id))[1]).toMatchObject({ attempts: 3, done: true });
    expect(await finishEvents(id)).toHaveLength(1);
  });
});

describe('jobs BullMQ fails on its own', () => {
  it('a batch job failed for stalling past the limit, with nobody told, is retried by the sweep under a new job id', async () => {
    ctx.clock.set('2026-08-04T04:00:00Z');
    const { owner, account } = await setup(6);
    const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'stall' } })).json();
    const ref = { accountId: account.id, broadcastId: id };
    await ctx.deps.services.fanout.plan(ref);

    // A worker that takes the batch jobs and then hangs without renewing its locks, as a blocked event loop would.
    // With maxStalledCount 0 BullMQ fails each job as "stalled more than allowable limit" on the next pick-up,
    // without running it and without any retry: a 'failed' event our consumers never see.
    const connection = createRedis(ctx.config.redisUrl, 'worker', 'test-stalling-worker');
    const stalling = new Worker(QUEUES.broadcastBatch, () => new Promise(() => {}), {
      connection,
      prefix: ctx.redisPrefix,
      concurrency: 10,
      lockDuration: 500,
      stalledInterval: 250,
      maxStalledCount: 0,
      skipLockRenewal: true,
    });
    stalling.on('error', () => {});
    const batchJobs = ctx.deps.producers[QUEUES.broadcastBatch];
    try {
      const states = () => Promise.all([0, 1].map((seq) => batchJobs.getJobState(`batch-${id}-${seq}-a0`)));
      // Up to one stalled-check interval of an earlier worker (15 s here) passes before this worker's check may run.
      await waitFor(async () => (await states()).every((state) => state === 'failed'), { timeoutMs: 40_000, what: 'BullMQ to fail the stalled jobs' });
    } finally {
      await stalling.close(true);
      await connection.quit();
    }
    const failed = await batchJobs.getJob(`batch-${id}-0-a0`);
    expect(failed!.failedReason).toBe('job stalled more than allowable limit');
    expect(failed!.stalledCounter).toBe(1);
    expect((await getBroadcast(ctx.app, owner, account.id, id)).status).toBe('SENDING');

    const consumers = await start();
    await consumers.sweep();
    const finished = await waitForFinish(ctx.app, owner, account.id, id);
    expect(finished).toMatchObject({ status: 'SEND_SUCCESS', counts: { sent: 6, errors: 0 } });
    expect((await batchesOf(id)).map((b) => [b.attempts, b.lastError])).toEqual([
      [1, 'job stalled more than allowable limit'],
      [1, 'job stalled more than allowable limit'],
    ]);
    expect(await batchJobs.getJobState(`batch-${id}-0-a1`)).toBe('completed');
    expect(await finishEvents(id)).toHaveLength(1);
  }, 60_000);

  it('a job whose payload does not match its queue fails at once as unrecoverable, naming what is wrong', async () => {
    await start();
    const batchJobs = ctx.deps.producers[QUEUES.broadcastBatch];
    const job = await batchJobs.add('deliver', { broadcastId: 1, seq: -1 } as never, { jobId: 'malformed', attempts: 5 });
    await waitFor(async () => (await job.getState()) === 'failed', { what: 'the malformed job to fail' });
    const failed = await batchJobs.getJob('malformed');
    expect(failed!.failedReason).toMatch(/^invalid broadcast-batch job payload: .*accountId.*\/seq must be >= 0/);
    expect(failed!.attemptsMade).toBe(1); // unrecoverable: the 5 attempts it asked for were not used
  });
});

describe('the sweep', () => {
  it('resumes every unfinished broadcast whatever its age, including one sent a moment ago whose jobs were lost', async () => {
    ctx.clock.set(new Date());
    const consumers = await start();
    await consumers.workers[0]!.pause();
    const ids: number[] = [];
    const accounts = [];
    try {
      for (const age of [0, 400 * 86_400_000]) {
        const { owner, account } = await setup(4);
        const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'lost' } })).json();
        // The planning job is lost, as when Redis was down at send time or came back empty.
        await ctx.deps.producers[QUEUES.broadcastFanout].remove(`fanout-${id}-a0`);
        await db().execute(sql`UPDATE broadcasts SET created_at = created_at - make_interval(secs => ${age / 1000}) WHERE id = ${id}`);
        ids.push(id);
        accounts.push({ owner, account });
      }
    } finally {
      consumers.workers[0]!.resume();
    }
    await consumers.sweep();
    for (const [i, id] of ids.entries()) {
      expect(await waitForFinish(ctx.app, accounts[i]!.owner, accounts[i]!.account.id, id)).toMatchObject({ status: 'SEND_SUCCESS', counts: { sent: 4 } });
    }
  });

  it('runs as one job scheduler on the maintenance queue, however many workers start', async () => {
    const consumers = await start();
    await start();
    const schedulers = await ctx.deps.producers[QUEUES.maintenance].getJobSchedulers();
    expect(schedulers.map((s) => ({ key: s.key, every: Number(s.every) }))).toEqual([{ key: SWEEP_SCHEDULER_ID, every: 600_000 }]);

    // A scheduled run does what consumers.sweep() does: here it re-enqueues a lost planning job.
    ctx.clock.set('2026-08-05T04:00:00Z');
    await consumers.workers[0]!.pause();
    let broadcast: { owner: Awaited<ReturnType<typeof setup>>['owner']; accountId: number; id: number };
    try {
      const { owner, account } = await setup(2);
      const { id } = (await sendBroadcast(ctx.app, owner, account.id, { target: { all: true }, message: { type: 'text', content: 'scheduled' } })).json();
      await ctx.deps.producers[QUEUES.broadcastFanout].remove(`fanout-${id}-a0`);
      broadcast = { owner, accountId: account.id, id };
    } finally {
      consumers.workers[0]!.resume();
    }
    const run = await ctx.deps.producers[QUEUES.maintenance].add('sweep-broadcasts', { task: 'sweep-broadcasts' });
    await waitFor(async () => (await run.getState()) === 'completed', { what: 'the maintenance job' });
    expect(await waitForFinish(ctx.app, broadcast.owner, broadcast.accountId, broadcast.id)).toMatchObject({ status: 'SEND_SUCCESS' });
  });

  it('reads only unfinished broadcasts, through the partial index, however long the history', async () => {
    const { account } = await setup(0);
    await db().execute(sql`
      INSERT INTO broadcasts (account_id, message_type, target, status, created_at, finished_at)
      SELECT ${account.id}, 'text', 'all', 'SEND_SUCCESS', now() - make_interval(days => g), now() - make_interval(days => g)
      FROM generate_series(1, 20000) AS g`);
    await db().execute(sql`ANALYZE broadcasts`);
    const plan = (await db().execute<{ 'QUERY PLAN': unknown }>(sql`EXPLAIN (FORMAT JSON) ${unfinishedBroadcastsQuery({ afterId: 0, limit: 500 })}`)).rows[0]![
      'QUERY PLAN'
    ];
    const text = JSON.stringify(plan);
    expect(text).toContain('broadcasts_unfinished_idx');
    expect(text).not.toContain('Seq Scan');
  });
});

describe('shutdown', () => {
  it("closing the consumers closes every Redis connection they opened, BullMQ's own and the ones handed to it", async () => {
    const named = async () =>
      (await ctx.deps.redis.client('LIST') as string)
        .split('\n')
        .filter((line) => line.includes(` name=oa-platform-worker:${ctx.redisPrefix}:`)).length;
    const consumers = await start();
    expect(await named()).toBe(3); // planner, deliverer, maintenance
    await stop(consumers);
    await waitFor(async () => (await named()) === 0, { timeoutMs: 5_000, what: 'the connections to close' });
  });
});
