import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { createSigner } from 'fast-jwt';
import pg from 'pg';
import { STATS_SOURCES } from '../src/modules/stats/fold.repo.js';
import { startStatsFolder } from '../src/modules/stats/stats.folder.js';
import { CLIENT_AUDIENCE, clientSigningKey } from '../src/plugins/client-auth.js';
import { createBenchEnvironment, forkBenchApi, log, numberArg, printResult } from './lib.js';

/**
 * bench:client: requests per second of the follower side through the real HTTP stack (the API in its own process,
 * loopback, autocannon here), for three workloads: follow/unfollow pairs, upstream messages and article
 * engagements. Each workload's baseline is measured in the same run, right before it, at the same concurrency:
 * the rows that workload appends (follow_events, messages, article_engagements) written by plain single-row
 * INSERTs, each its own commit, through a bare pg pool — what PostgreSQL can commit without the API in front.
 *
 * Per workload ratio = API req/s / INSERT rows/s. The headline value/baseline/ratio are those of the workload with
 * the lowest ratio; targets: ≥ 0.5 for messages and engagements, ≥ 0.3 for follow/unfollow.
 *
 * With --with-stats each workload also runs with the worker's statistics folder running (in this process, folding
 * what the API writes every STATS_FOLD_INTERVAL_MS), alternating with runs without it (see measure); `statsLoss` is
 * the share of req/s the folder costs: the statistics issue allows at most 0.1. Event writers never touch a rollup,
 * so what it measures is the folder's competition for PostgreSQL and the two cores. `freshnessP99Ms`/`freshnessMaxMs`:
 * while the folder runs, how long the oldest event not yet folded has waited, sampled every 100 ms (aim ≤ 5 s).
 * `foldBusyShare`: the share of the runs with the folder that its fold transactions took (a fold keeps one
 * PostgreSQL backend busy), and `foldUsPerEvent` their time per event folded: what the folder costs, measured
 * directly, where `statsLoss` is a difference of two throughputs that this machine's noise moves by several points.
 *
 * --seconds N (10), --connections N (20), --only follow|messages|engagements (repeatable with commas),
 * --with-stats, --stats-rounds N (2), --cpu-prof DIR (write a V8 CPU profile of the API process there).
 */
const seconds = numberArg('seconds', 10);
const connections = numberArg('connections', 20);
const statsRounds = numberArg('stats-rounds', 2);
const { values: flags } = parseArgs({ options: { only: { type: 'string' }, 'cpu-prof': { type: 'string' }, 'with-stats': { type: 'boolean' } }, strict: false });
const withStats = flags['with-stats'] === true;
const only = typeof flags.only === 'string' ? new Set(flags.only.split(',')) : undefined;
const cpuProfileDir = typeof flags['cpu-prof'] === 'string' ? flags['cpu-prof'] : undefined;
const userCount = 5_000;

type WorkloadName = 'followUnfollow' | 'messages' | 'engagements';

const env = await createBenchEnvironment('client');

const startServer = () => forkBenchApi(env.config, [...process.execArgv, ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [])]);

/** Stops the API and returns how its event writes were grouped (statements and rows per kind). */
async function stop(child: ChildProcess): Promise<Record<string, { groups: number; rows: number }> | undefined> {
  let grouping: Record<string, { groups: number; rows: number }> | undefined;
  child.on('message', (message: { eventGroups?: typeof grouping }) => {
    grouping = message.eventGroups ?? grouping;
  });
  child.kill('SIGTERM');
  await once(child, 'exit');
  return grouping;
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ duration: seconds, connections, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function summary(name: string, result: autocannon.Result) {
  const ok = result['2xx'];
  const bad = result.non2xx + result.errors + result.timeouts;
  log(`${name}: ${Math.round(result.requests.average)} req/s average, p99 ${result.latency.p99} ms, ${ok} ok, ${bad} not ok`);
  if (bad > ok * 0.001) throw new Error(`${name}: ${bad} requests failed; the benchmark is not measuring the happy path`);
  return result.requests.average;
}

type Measured = {
  rps: number;
  baselineRps: number;
  ratio: number;
  withStatsRps?: number;
  statsLoss?: number;
  freshnessP99Ms?: number;
  freshnessMaxMs?: number;
  foldBusyShare?: number;
  foldUsPerEvent?: number;
};

/** Uncounted runs before a --with-stats measurement: the first measured run was still a tenth slower after one. */
const WARM_UP_RUNS = 2;

/**
 * Runs one workload against the API. With --with-stats: first warm-up runs that are not counted (the API and
 * PostgreSQL's caches warm over the first runs, by a third or more on this machine), then runs without and with the
 * statistics folder alternating, --stats-rounds (2) of each, starting and ending without (W S W S W), so a drift in
 * the machine's speed falls on both sides; `statsLoss` = 1 − mean(with) / mean(without). Each run with the folder
 * starts after it has folded what the runs before wrote, so it works only on what that run writes, as the worker would.
 */
async function measure(name: string, baselineRps: number, options: autocannon.Options): Promise<Measured> {
  if (!withStats) {
    const rps = summary(name, await run(options));
    return { rps, baselineRps, ratio: rps / baselineRps };
  }
  for (let warmUp = 0; warmUp < WARM_UP_RUNS; warmUp++) summary(`${name} warm-up (not counted)`, await run(options));
  const without: number[] = [summary(`${name} without statistics`, await run(options))];
  const withFolder: number[] = [];
  const lags: number[] = [];
  // The fold transactions of the measured runs: their time, and the events they folded.
  const folds = { counting: false, ms: 0, events: 0, runMs: 0 };
  for (let round = 0; round < statsRounds; round++) {
    const folder = startStatsFolder(env.deps, {
      onFold: (_source, outcome, ms) => {
        if (!folds.counting) return;
        folds.ms += ms;
        folds.events += outcome.folded;
      },
    });
    try {
      await folder.catchUp();
      const sampling = sampleFoldLag(lags);
      folds.counting = true;
      const runStarted = performance.now();
      withFolder.push(summary(`${name} with statistics folding`, await run(options)));
      folds.runMs += performance.now() - runStarted;
      folds.counting = false;
      await sampling.stop();
      log(`${name}: ${await folder.catchUp()} events left to fold at the end`);
    } finally {
      await folder.close();
    }
    without.push(summary(`${name} without statistics`, await run(options)));
  }
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const rps = mean(without);
  const withStatsRps = mean(withFolder);
  // Each run with the folder against the runs either side of it, to show the spread.
  const perRound = withFolder.map((rps, i) => (1 - rps / ((without[i]! + without[i + 1]!) / 2)).toFixed(3));
  log(`${name}: loss per round against the runs either side: ${perRound.join(', ')}`);
  lags.sort((a, b) => a - b);
  const freshnessP99Ms = lags.length > 0 ? Math.round(lags[Math.ceil(lags.length * 0.99) - 1]!) : undefined;
  const freshnessMaxMs = lags.length > 0 ? Math.round(lags.at(-1)!) : undefined;
  if (freshnessP99Ms !== undefined) log(`${name}: fold lag (oldest event not yet folded) p99 ${freshnessP99Ms} ms, max ${freshnessMaxMs} ms, ${lags.length} samples`);
  const foldBusyShare = Math.round((folds.ms / folds.runMs) * 1000) / 1000;
  const foldUsPerEvent = Math.round((folds.ms * 1000) / Math.max(folds.events, 1) * 10) / 10;
  log(`${name}: folding took ${Math.round(folds.ms)} ms of the ${Math.round(folds.runMs)} ms with the folder (${foldBusyShare}), ${foldUsPerEvent} µs per event folded`);
  return { rps, baselineRps, ratio: rps / baselineRps, withStatsRps, statsLoss: 1 - withStatsRps / rps, freshnessP99Ms, freshnessMaxMs, foldBusyShare, foldUsPerEvent };
}

/**
 * Every 100 ms until stopped, how long the oldest event not yet folded has waited (0 when all are folded), over
 * every event table: the freshness of statistics under this load, as an upper bound (its time is taken by the API
 * before its commit).
 */
function sampleFoldLag(lags: number[]): { stop(): Promise<void> } {
  let stopped = false;
  const sampling = (async () => {
    while (!stopped) {
      const result = await env.deps.database.db.execute<{ lag_ms: number | null }>(sql`
        SELECT max(extract(epoch FROM clock_timestamp() - oldest) * 1000)::float8 AS lag_ms FROM (
          ${sql.join(
            STATS_SOURCES.map(
              (source) => sql`SELECT (SELECT occurred_at FROM ${sql.identifier(source)} WHERE id > coalesce((SELECT last_id FROM stats_cursors WHERE source = ${source}), 0) ORDER BY id LIMIT 1) AS oldest`,
            ),
            sql` UNION ALL `,
          )}) AS pending`);
      lags.push(Math.max(0, result.rows[0]?.lag_ms ?? 0));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await sampling;
    },
  };
}

/**
 * The baseline: `connections` loops, each sending one single-row INSERT at a time (autocommit, so one commit each)
 * through a bare pg pool of the same size, for the same number of seconds. Returns rows per second.
 */
async function insertBaseline(name: string, insert: (client: pg.Pool, i: number) => Promise<unknown>): Promise<number> {
  const pool = new pg.Pool({ connectionString: env.databaseUrl, max: connections });
  try {
    await Promise.all(Array.from({ length: connections }, () => pool.query('SELECT 1')));
    let done = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < deadline) await insert(pool, done++);
      }),
    );
    const rate = done / ((performance.now() - started) / 1000);
    log(`${name} baseline (plain INSERTs, bare pg pool): ${Math.round(rate)} rows/s`);
    return rate;
  } finally {
    await pool.end();
  }
}

try {
  // Set-up: an account, 10,000 WeChat users with tokens: the first 5,000 follow and unfollow, the other 5,000
  // already follow (they message), and everyone reads a sent article.
  const db = env.deps.database.db;
  const owner = await env.deps.services.auth.register({ email: 'bench-client@example.com', password: 'benchmark password' });
  const account = await env.deps.services.accounts.create(owner.id, { name: 'client bench' });
  const sign = createSigner({ key: clientSigningKey(env.config.jwtSecret), aud: CLIENT_AUDIENCE, expiresIn: '1d', algorithm: 'HS256' });
  const users = await db.execute<{ id: number }>(sql`INSERT INTO wechat_users (nickname) SELECT 'u' || g FROM generate_series(1, ${userCount * 2}::int) g RETURNING id`);
  const tokens = users.rows.map((row) => `Bearer ${sign({ sub: String(row.id) })}`);
  const followerTokens = tokens.slice(userCount);
  const followerUserIds = users.rows.slice(userCount).map((r) => r.id);
  const followerRows = await db.execute<{ id: number; wechat_user_id: number; openid: string }>(sql`
    INSERT INTO followers (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at, subscribe_scene)
    SELECT ${account.id}::bigint, id, 'o' || md5(id::text), true, now(), now(), 'ADD_SCENE_SEARCH'
    FROM wechat_users WHERE id = ANY(${sql.param(followerUserIds)}::bigint[])
    RETURNING id, wechat_user_id, openid`);
  const follower = (i: number) => followerRows.rows[i % followerRows.rows.length]!;

  const wanted = (name: WorkloadName) => !only || only.has(name) || (name === 'followUnfollow' && only.has('follow'));
  const results: Partial<Record<WorkloadName, Measured>> = {};
  const app = await startServer();
  let next = 0;

  if (wanted('followUnfollow')) {
    const baselineRps = await insertBaseline('follow/unfollow', (pool, i) => {
      const f = follower(i);
      return pool.query(
        `INSERT INTO follow_events (account_id, follower_id, wechat_user_id, kind, scene, qr_scene, qr_scene_str, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [account.id, f.id, f.wechat_user_id, i % 2 ? 'unsubscribe' : 'subscribe', 'ADD_SCENE_SEARCH', null, null, new Date().toISOString()],
      );
    });
    const followBody = JSON.stringify({ appid: account.appid, scene: 'ADD_SCENE_SEARCH' });
    results.followUnfollow = await measure('follow + unfollow', baselineRps, {
        url: app.url,
        requests: [
          {
            method: 'POST',
            path: '/client/v1/follows',
            setupRequest: (request, context) => {
              (context as { token?: string }).token = tokens[next++ % userCount]!;
              return { ...request, headers: { 'content-type': 'application/json', authorization: (context as { token?: string }).token as string }, body: followBody };
            },
          },
          {
            method: 'DELETE',
            path: `/client/v1/follows/${account.appid}`,
            setupRequest: (request, context) => ({ ...request, headers: { authorization: (context as { token?: string }).token as string } }),
          },
        ],
      });
  }

  if (wanted('messages')) {
    const body = JSON.stringify({ Content: '你好，公众号' });
    const baselineRps = await insertBaseline('messages', (pool, i) => {
      const f = follower(i);
      return pool.query(
        `INSERT INTO messages (msg_id, account_id, follower_id, wechat_user_id, msg_type, body, occurred_at)
         VALUES (nextval('message_msg_id_seq'), $1, $2, $3, $4, $5, $6)`,
        [account.id, f.id, f.wechat_user_id, 'text', body, new Date().toISOString()],
      );
    });
    const messageBody = JSON.stringify({ appid: account.appid, msgType: 'text', content: '你好，公众号' });
    results.messages = await measure('messages', baselineRps, {
        url: app.url,
        requests: [
          {
            method: 'POST',
            path: '/client/v1/messages',
            setupRequest: (request) => ({ ...request, headers: { 'content-type': 'application/json', authorization: followerTokens[next++ % userCount]! }, body: messageBody }),
          },
        ],
      });
  }

  if (wanted('engagements')) {
    // A preview is delivered at once: a real, sent article to read without running the fan-out worker.
    const preview = await env.deps.services.broadcasts.preview(account.id, owner.id, {
      openids: [followerRows.rows[0]!.openid],
      message: { type: 'news', articles: [{ title: 'Bench', content: '<p>Body</p>', thumbUrl: 'https://example.com/t.jpg' }] },
    });
    const msgDataId = preview.msgDataId!;
    const baselineRps = await insertBaseline('engagements', (pool, i) => {
      const f = follower(i);
      return pool.query(
        `INSERT INTO article_engagements (account_id, msg_data_id, article_index, wechat_user_id, follower_id, was_follower,
                                          action, source, share_scene, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [account.id, msgDataId, 1, f.wechat_user_id, f.id, true, 'read', 'session', null, new Date().toISOString()],
      );
    });
    const engagementBody = JSON.stringify({ appid: account.appid, msgDataId, articleIndex: 1, action: 'read' });
    results.engagements = await measure('engagements', baselineRps, {
        url: app.url,
        requests: [
          {
            method: 'POST',
            path: '/client/v1/engagements',
            // Followers and non-followers alike: shared articles reach anyone.
            setupRequest: (request) => ({ ...request, headers: { 'content-type': 'application/json', authorization: tokens[next++ % tokens.length]! }, body: engagementBody }),
          },
        ],
      });
  }
  const grouping = await stop(app.child);
  for (const [kind, { groups, rows }] of Object.entries(grouping ?? {})) {
    if (groups > 0) log(`${kind}: ${rows} rows in ${groups} statements (${(rows / groups).toFixed(1)} rows each)`);
  }

  const measured = Object.entries(results) as Array<[WorkloadName, Measured]>;
  const [worstName, worst] = measured.reduce((a, b) => (b[1].ratio < a[1].ratio ? b : a));
  const round = (n: number) => Math.round(n * 1000) / 1000;
  printResult({
    bench: 'client',
    value: worst.rps,
    baseline: worst.baselineRps,
    ratio: worst.ratio,
    unit: 'req/s',
    lowest: worstName,
    ...Object.fromEntries(
      measured.map(([name, r]) => [
        name,
        {
          rps: Math.round(r.rps),
          baselineRps: Math.round(r.baselineRps),
          ratio: round(r.ratio),
          ...(r.withStatsRps === undefined
            ? {}
            : {
                withStatsRps: Math.round(r.withStatsRps),
                statsLoss: round(r.statsLoss!),
                freshnessP99Ms: r.freshnessP99Ms,
                freshnessMaxMs: r.freshnessMaxMs,
                foldBusyShare: r.foldBusyShare,
                foldUsPerEvent: r.foldUsPerEvent,
              }),
        },
      ]),
    ),
    connections,
    seconds,
  });
} finally {
  await env.cleanup();
}
