import { sql } from 'drizzle-orm';
import { Client } from 'undici';
import { seedAccount } from '../src/db/seed/seed-account.js';
import { ROLLUP_TABLES, STATS_SOURCES } from '../src/modules/stats/fold.repo.js';
import { foldToEnd, startStatsFolder } from '../src/modules/stats/stats.folder.js';
import { createBenchEnvironment, forkBareServer, forkBenchApi, log, numberArg, printResult, stopChild } from './lib.js';

/**
 * bench:stats: the statistics routes (followers and activation per day, week and month; articles and reads per day;
 * one broadcast's article totals, for the latest broadcast and for one sent a year ago; follower attributes now and
 * half a year ago) over a year, on an account seeded with --followers (1,000,000) and --days (365) of history: p50
 * and p99 of each route over --requests (200) calls, against `SELECT 1` through a pool like the API's in the same
 * run. The routes are asked over loopback HTTP (one keep-alive connection, a request at a time) of the API in a
 * process of its own, as a browser would ask them (`Accept-Encoding: gzip, deflate, br`): validation, access check,
 * SQL, serialization, compression and sending; the time is to the body's last byte (the client's inflating is not
 * counted). One JSON line per route: value = p99 ms of a freshly computed answer (`Cache-Control: no-cache`, the cold
 * path), baseline = SELECT 1 p99 ms; aim p99 ≤ 10 ms. Each line also has liveP50/liveP99, the request asked just
 * after a message of today was written and folded (untimed), as a dashboard on a live account asks: the kept answer
 * is stale, and a period answer computes today's period again and takes the others as kept (stats.periods.ts);
 * cachedP50/cachedP99, the same request answered from the kept answers (stats.cache.ts: the rollups have not changed
 * since, and the compressed copy is kept too); identityP50/identityP99, the cold request from a client that accepts
 * no compression (identityBytes long); and bytesOnlyP50/bytesOnlyP99, the compressed body sent by a bare Fastify
 * route in a process of its own (bench/http-server.ts bare): what the answer's size alone costs on this machine. The
 * five are measured in turn, request by request. Before measuring, the rollup tables are vacuumed and analyzed, as autovacuum would have done on
 * a running database (the fold just rewrote their rows many times over). First, stats-fold: seconds to fold the
 * seeded history into the rollups (what `stats:rebuild` does; also per million events), against one plain GROUP BY
 * over the same events per day (a recount that keeps nothing), in the same run. Last, stats-freshness: messages
 * written at --rate (200) per second for --seconds (10) through the events module (its group commit, as the API
 * writes them) while the worker's folder runs; for each, the time from its commit to the first poll (every 50 ms) of
 * today's activation that counts it. value = p99 ms, baseline = the fold interval (STATS_FOLD_INTERVAL_MS), aim ≤ 5 s.
 */
const followerCount = numberArg('followers', 1_000_000);
const days = numberArg('days', 365);
const requests = numberArg('requests', 200);
const rate = numberArg('rate', 200);
const seconds = numberArg('seconds', 10);

const env = await createBenchEnvironment('stats');
const db = env.deps.database.db;
let api: Awaited<ReturnType<typeof forkBenchApi>> | undefined;
let bare: Awaited<ReturnType<typeof forkBareServer>> | undefined;
const clients: Client[] = [];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

type Latency = { p50: number; p99: number };

/**
 * Times each call `requests` times, the calls in turn (so a disturbance hits them alike), after 10 warm-up rounds;
 * `before` a call, untimed, what it needs done first.
 */
async function timedInTurn<Name extends string>(calls: Record<Name, () => Promise<unknown>>, before: Partial<Record<Name, () => Promise<unknown>>> = {}): Promise<Record<Name, Latency>> {
  const names = Object.keys(calls) as Name[];
  const durations = new Map(names.map((name) => [name, [] as number[]]));
  for (let round = -10; round < requests; round++) {
    for (const name of names) {
      await before[name]?.();
      const started = performance.now();
      await calls[name]();
      if (round >= 0) durations.get(name)!.push(performance.now() - started);
    }
  }
  const round2 = (ms: number) => Math.round(ms * 100) / 100;
  return Object.fromEntries(
    names.map((name) => {
      const sorted = durations.get(name)!.sort((a, b) => a - b);
      return [name, { p50: round2(percentile(sorted, 0.5)), p99: round2(percentile(sorted, 0.99)) }];
    }),
  ) as Record<Name, Latency>;
}
const timed = async (call: () => Promise<unknown>) => (await timedInTurn({ call })).call;

/** The rollup tables, and the broadcasts the routes read titles from. */
const READ_TABLES = [...ROLLUP_TABLES, 'broadcasts', 'broadcast_articles'];

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

  await db.execute(sql.raw(`VACUUM (ANALYZE) ${READ_TABLES.join(', ')}`));

  api = await forkBenchApi(env.config);
  bare = await forkBareServer();
  const apiClient = new Client(api.url);
  const bareClient = new Client(bare.url);
  clients.push(apiClient, bareClient);
  /** One GET, its body read to the end; the status and the body's bytes. */
  const get = async (client: Client, path: string, headers: Record<string, string> = {}) => {
    const response = await client.request({ method: 'GET', path, headers });
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk as Buffer);
    return { statusCode: response.statusCode, body: Buffer.concat(chunks) };
  };
  const login = await apiClient.request({ method: 'POST', path: '/v1/auth/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: seeded.ownerEmail, password: seeded.ownerPassword }) });
  const headers = { authorization: `Bearer ${((await login.body.json()) as { token: string }).token}` };
  const compressedHeaders = { ...headers, 'accept-encoding': 'gzip, deflate, br' };
  const to = env.deps.services.stats.today();
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10);
  const baseline = await timed(() => db.execute(sql`SELECT 1`));
  log(`SELECT 1: p50 ${baseline.p50} ms, p99 ${baseline.p99} ms`);
  const broadcastSentOn = async (order: 'oldest' | 'latest') =>
    (
      await db.execute<{ msgDataId: number }>(sql`
        SELECT msg_data_id AS "msgDataId" FROM broadcasts
        WHERE account_id = ${seeded.accountId} AND msg_data_id IS NOT NULL AND NOT is_preview AND coalesce(started_at, created_at) >= ${from}::date
        ORDER BY coalesce(started_at, created_at) ${order === 'oldest' ? sql`ASC` : sql`DESC`} LIMIT 1`)
    ).rows[0]!.msgDataId;
  const halfAYearAgo = new Date(Date.parse(`${to}T00:00:00Z`) - 182 * 86_400_000).toISOString().slice(0, 10);
  // `kept`: whether the route serves kept answers (a broadcast's totals are always computed: its recipients grow
  // while it sends, which no fold tells). `periods`: whether it is a period answer (stats.periods.ts).
  const routes = [
    ...['followers', 'activation'].flatMap((route) =>
      ['day', 'week', 'month'].map((granularity) => ({ name: `${route}-${granularity}`, route, query: `from=${from}&to=${to}&granularity=${granularity}`, kept: true, periods: true })),
    ),
    ...['articles', 'reads'].map((route) => ({ name: `${route}-day`, route, query: `from=${from}&to=${to}`, kept: true, periods: true })),
    { name: 'articles-one-day', route: `articles/${await broadcastSentOn('latest')}`, query: '', kept: false, periods: false },
    { name: 'articles-one-year', route: `articles/${await broadcastSentOn('oldest')}`, query: '', kept: false, periods: false },
    { name: 'attributes-now', route: 'attributes', query: '', kept: true, periods: false },
    { name: 'attributes-past', route: 'attributes', query: `date=${halfAYearAgo}`, kept: true, periods: false },
  ];
  // The live series: before each ask, a follower's message of today is written and folded, as on an account with
  // events coming in: the account's version moves, the kept answers are stale, and a period answer computes today's
  // period again (of every view: each takes the first day changed in any event table).
  // Followers who may send messages: the live series' sender is the first, freshness's writers take turns among all.
  const senders = (
    await db.execute<{ wechatUserId: number }>(sql`
      SELECT wechat_user_id AS "wechatUserId" FROM followers WHERE account_id = ${seeded.accountId} AND subscribed AND NOT blacklisted LIMIT 1000`)
  ).rows;
  const sender = senders[0]!.wechatUserId;
  let liveMessages = 0;
  const newEventFolded = async () => {
    const outcome = await env.deps.services.events.recordMessage({ accountId: seeded.accountId, wechatUserId: sender, msgType: 'text', body: { Content: `live ${liveMessages++}` }, at: new Date() });
    if (outcome.status !== 'stored') throw new Error(`the live series' message was not stored: ${outcome.status}`);
    await foldToEnd(db, 'messages', { timezone: env.config.quotaTimeZone, wait: true });
  };
  for (const { name, route, query, kept, periods } of routes) {
    const path = `/v1/accounts/${seeded.accountId}/stats/${route}?${query}`;
    const [identity, probe] = [await get(apiClient, path, headers), await get(apiClient, path, compressedHeaders)];
    if (identity.statusCode !== 200) throw new Error(`${path}: ${identity.statusCode} ${identity.body.toString()}`);
    // The floor: the bare route sends the same bytes.
    await (await bareClient.request({ method: 'PUT', path: '/body', headers: { 'content-type': 'application/octet-stream' }, body: probe.body })).body.dump();
    const result = await timedInTurn(
      {
        cold: () => get(apiClient, path, { ...compressedHeaders, 'cache-control': 'no-cache' }),
        live: () => get(apiClient, path, compressedHeaders),
        cached: () => get(apiClient, path, compressedHeaders),
        identity: () => get(apiClient, path, { ...headers, 'cache-control': 'no-cache' }),
        bytesOnly: () => get(bareClient, '/body'),
      },
      { live: newEventFolded },
    );
    log(
      `${name}: cold p50 ${result.cold.p50} ms, p99 ${result.cold.p99} ms (${probe.body.length} bytes); live p50 ${result.live.p50} ms, p99 ${result.live.p99} ms; cached p50 ${result.cached.p50} ms, p99 ${result.cached.p99} ms; ` +
        `uncompressed p50 ${result.identity.p50} ms, p99 ${result.identity.p99} ms (${identity.body.length} bytes); the compressed bytes alone p50 ${result.bytesOnly.p50} ms, p99 ${result.bytesOnly.p99} ms`,
    );
    printResult({
      bench: `stats-${name}`,
      value: result.cold.p99,
      baseline: baseline.p99,
      ratio: Math.round((result.cold.p99 / baseline.p99) * 10) / 10,
      unit: 'ms',
      p50: result.cold.p50,
      baselineP50: baseline.p50,
      liveP50: kept ? result.live.p50 : null,
      liveP99: kept ? result.live.p99 : null,
      periods,
      cachedP50: kept ? result.cached.p50 : null,
      cachedP99: kept ? result.cached.p99 : null,
      bytes: probe.body.length,
      identityP50: result.identity.p50,
      identityP99: result.identity.p99,
      identityBytes: identity.body.length,
      bytesOnlyP50: result.bytesOnly.p50,
      bytesOnlyP99: result.bytesOnly.p99,
      items: (JSON.parse(identity.body.toString()) as { items: unknown[] }).items.length,
      aimP99Ms: 10,
    });
  }
  for (const client of clients.splice(0)) await client.close();
  await stopChild(api.child);
  await stopChild(bare.child);
  api = bare = undefined;

  // Freshness: commit → visible in today's activation, with the folder running as in a worker.
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
  for (const client of clients) await client.destroy();
  if (api) await stopChild(api.child);
  if (bare) await stopChild(bare.child);
  await env.cleanup();
}
