import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.js';
import { seedBroadcastHistory } from '../src/db/seed/broadcasts.seed.js';
import { seedDeliveryHistory } from '../src/db/seed/deliveries.seed.js';
import { seedAccount, type SeedResult } from '../src/db/seed/seed-account.js';
import { childEnv, startEntryPoint } from '../test/helpers/processes.js';
import { waitFor } from '../test/helpers/worker.js';
import { createBenchEnvironment, log, median, numberArg, printResult, wholeNumberArg } from './lib.js';

/**
 * bench:fanout: seconds from the send request to SEND_SUCCESS for a broadcast to all of an account's followers,
 * through the real API, BullMQ and a separate worker process (pipeline), against PostgreSQL writing the same
 * delivery rows in one plain INSERT … SELECT (baseline). Baseline and pipeline alternate on the same table state
 * (each run's rows are deleted and vacuumed away, and a CHECKPOINT flushes what that left dirty, before the next),
 * --runs times each; value and baseline are the medians, ratio = value / baseline.
 *
 * --followers N (100,000): the account's followers.
 * --history-days N (0): first write N days of past deliveries for the same followers (one sent broadcast a day,
 *   N × followers rows), so the fan-out is measured against a table a busy account has after N days.
 * --runs N (3): baseline/pipeline pairs.
 * --fairness-followers N (10,000; 0 skips): after the pairs, one more large fan-out; once its first batch is done,
 *   a broadcast to N followers of another account is sent, and its seconds to SEND_SUCCESS are reported
 *   (fairness.seconds): what one account's large send costs everybody else.
 * --account-type service|subscription (subscription): a service account's fan-out also takes each follower's unit of
 *   the per-follower monthly limit on mass messages (follower_mass_counters) in the batch statement; each run starts
 *   with no counters, as on the first send of a month.
 * FANOUT_* environment variables are passed to the worker, so batch sizes and concurrency can be compared.
 *
 * writeCost: the baseline's statement once more under EXPLAIN (ANALYZE, BUFFERS, WAL): WAL megabytes, full-page
 * images and pages dirtied by one fan-out's rows. Unlike seconds, these do not move with the machine's load, so
 * runs with and without history compare directly.
 */
const followers = numberArg('followers', 100_000);
const historyDays = wholeNumberArg('history-days', 0);
const runs = numberArg('runs', 3);
const fairnessFollowers = wholeNumberArg('fairness-followers', 10_000);
const accountType = parseArgs({ options: { 'account-type': { type: 'string', default: 'subscription' } }, strict: false }).values['account-type'];
if (accountType !== 'subscription' && accountType !== 'service') throw new Error(`--account-type must be subscription or service, not ${String(accountType)}`);

const env = await createBenchEnvironment('fanout');
const db = env.deps.database.db;
const app = await buildApp(env.deps);

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

const elapsedSince = (started: number) => (performance.now() - started) / 1000;
const round2 = (n: number) => Math.round(n * 100) / 100;

async function seedFollowers(count: number): Promise<SeedResult> {
  const started = performance.now();
  const seeded = await seedAccount(env.deps, { followers: count, days: 365, churnRate: 0, chunkSize: 50_000, concurrency: 2, messageSenderRate: 0 });
  log(`seeded ${count} followers on account ${seeded.accountId} in ${elapsedSince(started).toFixed(1)} s`);
  return seeded;
}

async function adminHeaders(seeded: SeedResult) {
  const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: seeded.ownerEmail, password: seeded.ownerPassword } });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
  return { authorization: `Bearer ${login.json().token}` };
}

let checkpoints = true;

/**
 * Writes every dirty page out now, so that a timed run does not pay for flushing what the set-up or the previous
 * run left behind, and every run starts just after a checkpoint. Needs superuser or pg_checkpoint; without, skipped.
 */
async function checkpoint() {
  if (!checkpoints) return;
  try {
    await db.execute(sql`CHECKPOINT`);
  } catch (error) {
    checkpoints = false;
    log(`CHECKPOINT not allowed (${(error as Error).message}); runs start without one`);
  }
}

/** Puts the table back to the state the runs share: this run's rows deleted, and vacuumed so their space is reusable. */
async function removeDeliveries(broadcastIds: number[]) {
  await db.execute(sql`DELETE FROM deliveries WHERE broadcast_id = ANY(${sql.param(broadcastIds)}::bigint[])`);
  // A service account's runs each start as a month's first send: no follower has used a unit yet.
  await db.execute(sql`DELETE FROM follower_mass_counters`);
  await db.execute(sql`VACUUM deliveries`);
  await db.execute(sql`VACUUM follower_mass_counters`);
  await checkpoint();
}

async function broadcastState(broadcastId: number) {
  const result = await db.execute<{ status: string; sent: number; batchesDone: number; batchesTotal: number | null }>(sql`
    SELECT status, sent_count AS sent, batches_done AS "batchesDone", batches_total AS "batchesTotal" FROM broadcasts WHERE id = ${broadcastId}`);
  return result.rows[0]!;
}

/**
 * The baseline's statement: the account's eligible followers' delivery rows for a broadcast row of its own (so they
 * land where the pipeline's rows land in the key). `explain` runs it under EXPLAIN ANALYZE instead, for its I/O.
 */
async function insertBaselineRows(accountId: number, options: { explain?: boolean } = {}) {
  const broadcastId = (await db.execute<{ id: number }>(sql`
    INSERT INTO broadcasts (account_id, message_type, target, status, created_at, body)
    VALUES (${accountId}, 'text', 'all', 'SEND_SUCCESS', now(), '{"content":"baseline"}'::jsonb) RETURNING id`)).rows[0]!.id;
  const insert = sql`
    INSERT INTO deliveries (broadcast_id, follower_id, delivered_at)
    SELECT ${broadcastId}::bigint, id, now() FROM followers WHERE account_id = ${accountId} AND subscribed AND NOT blacklisted`;
  const started = performance.now();
  const result = await db.execute<{ 'QUERY PLAN': Array<{ Plan: Record<string, number> }> }>(
    options.explain ? sql`EXPLAIN (ANALYZE, BUFFERS, WAL, TIMING OFF, FORMAT JSON) ${insert}` : insert,
  );
  return { broadcastId, seconds: elapsedSince(started), rowCount: result.rowCount, plan: options.explain ? result.rows[0]!['QUERY PLAN'][0]!.Plan : undefined };
}

const isFinal = (status: string) => status === 'SEND_SUCCESS' || status === 'SEND_FAIL';

async function send(accountId: number, headers: Record<string, string>): Promise<number> {
  const sent = await app.inject({
    method: 'POST',
    url: `/v1/accounts/${accountId}/broadcasts`,
    headers,
    payload: { target: { all: true }, message: { type: 'text', content: 'benchmark' } },
  });
  if (sent.statusCode !== 202) throw new Error(`send failed: ${sent.statusCode} ${sent.body}`);
  return sent.json().id as number;
}

async function awaitSuccess(broadcastId: number, expected: number) {
  const state = await waitFor(
    async () => {
      const current = await broadcastState(broadcastId);
      return isFinal(current.status) ? current : undefined;
    },
    { timeoutMs: 30 * 60_000, intervalMs: 25, what: `broadcast ${broadcastId} to finish` },
  );
  if (state.status !== 'SEND_SUCCESS' || state.sent !== expected) throw new Error(`broadcast ${broadcastId} ended ${state.status} with ${state.sent}/${expected} sent`);
}

try {
  // Several sends a day from one account: this throw-away database lifts the quota.
  await db.execute(sql`UPDATE quota_policies SET max_units = 1000000`);
  const big = await seedFollowers(followers);
  if (accountType === 'service') await db.execute(sql`UPDATE accounts SET type = 'service', type_locked = true WHERE id = ${big.accountId}`);
  const other = fairnessFollowers > 0 ? await seedFollowers(fairnessFollowers) : undefined;

  let historyRows = 0;
  let historySeconds = 0;
  if (historyDays > 0) {
    const started = performance.now();
    const from = new Date(env.deps.clock.now().getTime() - historyDays * 86_400_000);
    await seedBroadcastHistory(db, { accountId: big.accountId, followers: big.followers, from, days: historyDays });
    let lastReport = 0;
    historyRows = await seedDeliveryHistory(db, { accountId: big.accountId, since: from, audience: 'current', concurrency: 2 }, (done, total) => {
      if (done === total || performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        log(`history: ${done}/${total} days written after ${elapsedSince(started).toFixed(0)} s`);
      }
    });
    historySeconds = elapsedSince(started);
    log(`history: ${historyRows} delivery rows in ${historySeconds.toFixed(1)} s`);
  }
  const vacuumStarted = performance.now();
  for (const table of ['followers', 'broadcasts', 'deliveries']) await db.execute(sql.raw(`VACUUM ANALYZE ${table}`));
  await checkpoint();
  log(`vacuum analyze and checkpoint: ${elapsedSince(vacuumStarted).toFixed(1)} s`);
  const tableSize = (await db.execute<{ heap: string; index: string }>(sql`
    SELECT pg_size_pretty(pg_table_size('deliveries')) AS heap, pg_size_pretty(pg_indexes_size('deliveries')) AS index`)).rows[0]!;

  const worker = startEntryPoint('src/worker.ts', {
    ...childEnv({ databaseUrl: env.databaseUrl, redisPrefix: env.config.redisPrefix, config: env.config }),
    LOG_LEVEL: 'info',
    // Worker tuning from the environment, so batch size and concurrency can be compared run against run.
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('FANOUT_')) as Array<[string, string]>),
  });
  try {
    await waitFor(async () => worker.output().includes('worker started'), { timeoutMs: 60_000, what: 'the worker to start' });
    const bigHeaders = await adminHeaders(big);

    const baselines: number[] = [];
    const pipelines: number[] = [];
    for (let run = 1; run <= runs; run++) {
      // Baseline: the same rows in one plain statement.
      const baselineRun = await insertBaselineRows(big.accountId);
      baselines.push(baselineRun.seconds);
      if (baselineRun.rowCount !== big.followers) throw new Error(`baseline wrote ${baselineRun.rowCount}/${big.followers} rows`);
      await removeDeliveries([baselineRun.broadcastId]);

      const started = performance.now();
      const broadcastId = await send(big.accountId, bigHeaders);
      await awaitSuccess(broadcastId, big.followers);
      pipelines.push(elapsedSince(started));
      await removeDeliveries([broadcastId]);
      log(`run ${run}: baseline ${baselines.at(-1)!.toFixed(2)} s, pipeline ${pipelines.at(-1)!.toFixed(2)} s (${(pipelines.at(-1)! / baselines.at(-1)!).toFixed(2)}×)`);
    }

    // What one fan-out's rows cost the table, in numbers that load on the machine does not change: WAL written,
    // full-page images (pages touched for the first time since a checkpoint), and pages dirtied. A key that makes
    // fan-outs scatter shows here first, growing with history.
    const probe = await insertBaselineRows(big.accountId, { explain: true });
    await removeDeliveries([probe.broadcastId]);
    const writeCost = {
      walMb: Math.round(probe.plan!['WAL Bytes']! / 1e6),
      walFullPageImages: probe.plan!['WAL FPI'],
      pagesDirtied: probe.plan!['Shared Dirtied Blocks'],
      pagesRead: probe.plan!['Shared Read Blocks'],
    };
    log(`write cost of one fan-out's rows: ${JSON.stringify(writeCost)}`);

    let fairness: Record<string, unknown> | undefined;
    if (other) {
      const otherHeaders = await adminHeaders(other);
      const bigBroadcast = await send(big.accountId, bigHeaders);
      const inProgress = await waitFor(
        async () => {
          const state = await broadcastState(bigBroadcast);
          return state.batchesDone >= 1 || isFinal(state.status) ? state : undefined;
        },
        { timeoutMs: 30 * 60_000, intervalMs: 10, what: 'the large fan-out to start delivering' },
      );
      const started = performance.now();
      const smallBroadcast = await send(other.accountId, otherHeaders);
      await awaitSuccess(smallBroadcast, other.followers);
      const seconds = elapsedSince(started);
      const atFinish = await broadcastState(bigBroadcast);
      await awaitSuccess(bigBroadcast, big.followers);
      await removeDeliveries([bigBroadcast, smallBroadcast]);
      fairness = {
        followers: other.followers,
        seconds: round2(seconds),
        // Where the large fan-out stood when the small broadcast was sent and when it finished: it must still have
        // been sending for the figure to mean anything.
        largeBatchesDoneAtSend: inProgress.batchesDone,
        largeBatchesDoneAtFinish: atFinish.batchesDone,
        largeBatchesTotal: atFinish.batchesTotal,
        largeStillSending: !isFinal(atFinish.status),
      };
      log(`fairness: ${other.followers} followers in ${seconds.toFixed(2)} s while the large fan-out was at batch ${inProgress.batchesDone} → ${atFinish.batchesDone} of ${atFinish.batchesTotal}`);
    }

    const value = median(pipelines);
    const baseline = median(baselines);
    printResult({
      bench: 'fanout',
      value,
      baseline,
      ratio: value / baseline,
      unit: 's',
      followers: big.followers,
      accountType,
      historyDays,
      historyRows,
      historySeconds: round2(historySeconds),
      deliveriesSize: tableSize,
      runs: baselines.map((b, i) => ({ baseline: round2(b), pipeline: round2(pipelines[i]!) })),
      writeCost,
      checkpointBeforeRuns: checkpoints,
      fairness,
      workerPeakRssMb: peakRssMb(worker.child.pid!),
    });
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
} finally {
  await app.close();
  await env.cleanup();
}
