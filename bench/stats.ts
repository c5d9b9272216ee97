import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.js';
import { seedAccount } from '../src/db/seed/seed-account.js';
import { STATS_SOURCES } from '../src/modules/stats/fold.repo.js';
import { foldToEnd, startStatsFolder } from '../src/modules/stats/stats.folder.js';
import { createBenchEnvironment, log, numberArg, printResult } from './lib.js';

/**
 * bench:stats: the statistics routes (followers and activation per day, week and month; articles and reads per day;
 * one broadcast's article totals; follower attributes now and a year ago) over a year, on an account seeded with --followers (1,000,000) and --days (365)
 * of history: p50 and p99 of each route (through app.inject: validation, access check, SQL, serialization) over
 * --requests (200) calls, against `SELECT 1` through the same pool in the same run. One JSON line per route
 * (value = p99 ms, baseline = SELECT 1 p99 ms); aim p99 ≤ 10 ms. First, stats-fold: seconds to fold the seeded
 * history into the rollups (what `stats:rebuild` does; also per million events), against one plain GROUP BY over
 * the same events per day (a recount that keeps nothing), in the same run. Last, stats-freshness: messages written
 * at --rate (200) per second for --seconds (10) through the events module (its group commit, as the API writes them)
 * while the worker's folder runs; for each, the time from its commit to the first poll (every 50 ms) of today's
 * activation that counts it. value = p99 ms, baseline = the fold interval (STATS_FOLD_INTERVAL_MS), aim ≤ 5 s.
 */
const followerCount = numberArg('followers', 1_000_000);
const days = numberArg('days', 365);
const requests = numberArg('requests', 200);
const rate = numberArg('rate', 200);
const seconds = numberArg('seconds', 10);

const env = await createBenchEnvironment('stats');
const db = env.deps.database.db;
const app = await buildApp(env.deps);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

async function timed(call: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 10; i++) await call(); // warm plans and caches
  const durations: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await call();
    durations.push(performance.now() - started);
  }
  durations.sort((a, b) => a - b);
  return { p50: Math.round(percentile(durations, 0.5) * 100) / 100, p99: Math.round(percentile(durations, 0.99) * 100) / 100 };
}

try {
  const seedStarted = performance.now();
  const seeded = await seedAccount(env.deps, { followers: followerCount, days, churnRate: 0.12, chunkSize: 50_000, concurrency: 2, messageSenderRate: 0.03, broadcastHistory: true, deliveryDays: 0 });
  log(`seeded ${followerCount} followers over ${days} days in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  const foldStarted = performance.now();
  let folded = 0;
  for (const source of STATS_SOURCES) folded += await foldToEnd(db, source, { timezone: env.config.quotaTimeZone, wait: true });
  const foldSeconds = (performance.now() - foldStarted) / 1000;
  log(`folded ${folded} events in ${foldSeconds.toFixed(1)} s`);
  const recountStarted = performance.now();
  await db.execute(sql`SELECT account_id, (occurred_at AT TIME ZONE ${env.config.quotaTimeZone})::date, scene, kind, count(*) FROM follow_events GROUP BY 1, 2, 3, 4`);
  await db.execute(sql`
    SELECT account_id, day, msg_type, count(*), sum(n) FROM (
      SELECT account_id, (occurred_at AT TIME ZONE ${env.config.quotaTimeZone})::date AS day, msg_type, wechat_user_id, count(*) AS n
      FROM messages GROUP BY 1, 2, 3, 4) s GROUP BY 1, 2, 3`);
  const recountSeconds = (performance.now() - recountStarted) / 1000;
  log(`a plain GROUP BY recount of the same events: ${recountSeconds.toFixed(2)} s`);
  printResult({
    bench: 'stats-fold',
    value: Math.round(foldSeconds * 100) / 100,
    baseline: Math.round(recountSeconds * 100) / 100,
    ratio: Math.round((foldSeconds / recountSeconds) * 100) / 100,
    unit: 's',
    events: folded,
    secondsPerMillionEvents: Math.round((foldSeconds / Math.max(folded, 1)) * 1e6 * 10) / 10,
  });

  const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: seeded.ownerEmail, password: seeded.ownerPassword } });
  const headers = { authorization: `Bearer ${login.json().token}` };
  const to = env.deps.services.stats.today();
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10);
  const baseline = await timed(() => db.execute(sql`SELECT 1`));
  log(`SELECT 1: p50 ${baseline.p50} ms, p99 ${baseline.p99} ms`);
  const latest = await db.execute<{ msgDataId: number }>(sql`
    SELECT msg_data_id AS "msgDataId" FROM broadcasts WHERE account_id = ${seeded.accountId} AND msg_data_id IS NOT NULL ORDER BY id DESC LIMIT 1`);
  const routes = [
    ...['followers', 'activation'].flatMap((route) => ['day', 'week', 'month'].map((granularity) => ({ route, granularity, query: `from=${from}&to=${to}&granularity=${granularity}` }))),
    ...['articles', 'reads'].map((route) => ({ route, granularity: 'day', query: `from=${from}&to=${to}` })),
    ...latest.rows.map((row) => ({ route: `articles/${row.msgDataId}`, granularity: 'day', query: '' })),
    { route: 'attributes', granularity: 'now', query: '' },
    { route: 'attributes', granularity: 'past', query: `date=${from}` },
  ];
  for (const { route, granularity, query } of routes) {
    const url = `/v1/accounts/${seeded.accountId}/stats/${route}?${query}`;
    const probe = await app.inject({ method: 'GET', url, headers });
    if (probe.statusCode !== 200) throw new Error(`${url}: ${probe.statusCode} ${probe.body}`);
    const result = await timed(() => app.inject({ method: 'GET', url, headers }));
    log(`${route} by ${granularity}: p50 ${result.p50} ms, p99 ${result.p99} ms`);
    printResult({ bench: `stats-${route.replace(/\/\d+$/, '-one')}-${granularity}`, value: result.p99, baseline: baseline.p99, ratio: Math.round((result.p99 / baseline.p99) * 10) / 10, unit: 'ms', p50: result.p50, baselineP50: baseline.p50, items: probe.json().items.length, aimP99Ms: 10 });
  }

  // Freshness: commit → visible in today's activation, with the folder running as in a worker.
  const senders = (
    await db.execute<{ wechatUserId: number }>(sql`
      SELECT wechat_user_id AS "wechatUserId" FROM followers WHERE account_id = ${seeded.accountId} AND subscribed AND NOT blacklisted LIMIT 1000`)
  ).rows;
  const folder = startStatsFolder(env.deps);
  const today = { from: to, to, granularity: 'day' as const };
  const visibleCount = async () => (await env.deps.services.stats.activation(seeded.accountId, today))[0]!.msgCount;
  const base = await (async () => {
    await folder.catchUp();
    return visibleCount();
  })();
  const committedAt: number[] = [];
  const lags: number[] = [];
  let writing = true;
  const writer = (async () => {
    const started = performance.now();
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < rate * seconds; i++) {
      const due = started + (i * 1000) / rate;
      if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
      writes.push(
        env.deps.services.events
          .recordMessage({ accountId: seeded.accountId, wechatUserId: senders[i % senders.length]!.wechatUserId, msgType: 'text', body: { Content: `m${i}` }, at: new Date() })
          .then((outcome) => outcome.status === 'stored' && committedAt.push(performance.now())),
      );
    }
    await Promise.allSettled(writes);
    writing = false;
  })();
  let seen = 0;
  while (writing || seen < committedAt.length) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = performance.now();
    const visible = (await visibleCount()) - base;
    // Messages become visible in commit order closely enough: the n-th commit is counted once n are visible.
    const ordered = [...committedAt].sort((a, b) => a - b);
    while (seen < Math.min(visible, ordered.length)) lags.push(now - ordered[seen++]!);
  }
  await writer;
  await folder.close();
  lags.sort((a, b) => a - b);
  const freshness = { p50: Math.round(percentile(lags, 0.5)), p99: Math.round(percentile(lags, 0.99)) };
  log(`freshness at ${rate} messages/s: commit → visible p50 ${freshness.p50} ms, p99 ${freshness.p99} ms over ${lags.length} messages`);
  printResult({ bench: 'stats-freshness', value: freshness.p99, baseline: env.config.stats.foldIntervalMs, ratio: Math.round((freshness.p99 / env.config.stats.foldIntervalMs) * 100) / 100, unit: 'ms', p50: freshness.p50, messages: lags.length, rate, aimMs: 5000 });
} finally {
  await app.close();
  await env.cleanup();
}
