import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import http from 'node:http';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { OPENIDS_PER_PAGE } from '../src/modules/wechat/users.wechat.js';
import { createBenchEnvironment, forkBareServer, forkBenchApi, log, median, numberArg, printResult, stopChild } from './lib.js';

/**
 * bench:compat: the WeChat-compatible follower interfaces through the real HTTP stack (the API in its own process,
 * loopback, requests from here).
 *
 * 1. Paging: `GET /cgi-bin/user/get` from the start to the page past the end over --followers (1,000,000) current
 *    followers, 10,000 openids a page, --passes (3) times after one warm-up pass; value = the median pass in ms.
 *    Baseline, in the same run: the same keyset SELECTs (next_openid resolved by followers_openid_key, then the next
 *    10,000 by id along followers_subscribed_idx) sent straight through a bare pg pool. Headline ratio = value /
 *    baseline; aim ≤ 1.5.
 * 2. Rate of token-checked `GET /cgi-bin/user/info` calls (autocannon, --connections 20 for --seconds 10, openids
 *    rotating over 10,000 followers) against a bare Fastify route answering a constant user/info body in a process
 *    of its own (bench/http-server.ts bare): extra fields userInfoRps, bareRps, userInfoRatio.
 */
const followerCount = numberArg('followers', 1_000_000);
const passes = numberArg('passes', 3);
const seconds = numberArg('seconds', 10);
const connections = numberArg('connections', 20);
const { values: flags } = parseArgs({ options: { 'cpu-prof': { type: 'string' } }, strict: false });
/** --cpu-prof DIR: a V8 CPU profile of the API process, written there when it stops. */
const cpuProfileDir = typeof flags['cpu-prof'] === 'string' ? flags['cpu-prof'] : undefined;

// The bench pages far more than WeChat's 500 user/get calls a day; the API process reads this from its environment.
process.env.WECHAT_CALL_LIMITS = JSON.stringify({ '/cgi-bin/user/get': 1_000_000_000, '/cgi-bin/user/info': 1_000_000_000 });
const env = await createBenchEnvironment('compat');
const db = env.deps.database.db;

/**
 * GET and parse JSON over one kept-alive connection, as an SDK's HTTP client does: node:http rather than fetch, whose
 * web streams would add their own cost to every 340 KB page.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function getJson(url: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

function rate(options: autocannon.Options): Promise<number> {
  return new Promise((resolve, reject) => {
    autocannon({ duration: seconds, connections, ...options }, (error, result) => {
      if (error) return reject(error);
      const bad = result.non2xx + result.errors + result.timeouts;
      if (bad > result['2xx'] * 0.001) return reject(new Error(`${options.url}: ${bad} requests failed; not measuring the happy path`));
      resolve(result.requests.average);
    });
  });
}

/** Times `passes` passes of `pass` after one warm-up; returns the median in ms and the pages of a pass. */
async function timePasses(name: string, pass: () => Promise<number>): Promise<{ ms: number; pages: number }> {
  const pages = await pass();
  const durations: number[] = [];
  for (let i = 0; i < passes; i++) {
    const started = performance.now();
    const seen = await pass();
    durations.push(performance.now() - started);
    if (seen !== pages) throw new Error(`${name}: ${seen} pages, ${pages} in the warm-up pass`);
  }
  log(`${name}: ${pages} pages, passes ${durations.map((d) => d.toFixed(0)).join(', ')} ms`);
  return { ms: median(durations), pages };
}

let api: { child: ChildProcess; url: string } | undefined;
try {
  const owner = await env.deps.services.auth.register({ email: 'bench-compat@example.com', password: 'benchmark password' });
  const account = await env.deps.services.accounts.create(owner.id, { name: 'compat bench' });
  // user/get and user/info are a verified account's interfaces (capability policy), as an operator grants it.
  await env.deps.services.accounts.setVerified(account.appid, true);
  const seedStarted = performance.now();
  await db.execute(sql`
    WITH users AS (
      INSERT INTO wechat_users (nickname) SELECT 'u' || g FROM generate_series(1, ${followerCount}::int) g RETURNING id
    )
    INSERT INTO followers (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at, subscribe_scene)
    SELECT ${account.id}::bigint, id, 'o' || md5(id::text), true, now(), now(), 'ADD_SCENE_SEARCH' FROM users ORDER BY id`);
  // Fresh statistics and visibility map for both sides, as a table this size has in production.
  await db.execute(sql`VACUUM ANALYZE wechat_users, followers`);
  log(`inserted ${followerCount} followers in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  api = await forkBenchApi(env.config, [...process.execArgv, ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [])]);
  const tokenAnswer = (await (await fetch(`${api.url}/cgi-bin/token?grant_type=client_credential&appid=${account.appid}&secret=${account.appsecret}`)).json()) as { access_token: string };
  const token = tokenAnswer.access_token;

  // 1. Paging through the API, against the same keyset SELECTs through a bare pool.
  const apiPass = async () => {
    let next = '';
    for (let pages = 1; ; pages++) {
      const page = (await getJson(`${api!.url}/cgi-bin/user/get?access_token=${token}&next_openid=${next}`)) as { total?: number; count?: number; next_openid?: string; errcode?: number };
      if (page.count === undefined) throw new Error(`user/get answered ${JSON.stringify(page)}`);
      if (page.total !== followerCount) throw new Error(`user/get total ${page.total}, expected ${followerCount}`);
      if (page.count === 0) return pages;
      next = page.next_openid!;
    }
  };
  const paged = await timePasses('user/get through the API', apiPass);

  const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  let baseline: { ms: number; pages: number };
  let countMs: number;
  try {
    const sqlPass = async () => {
      let afterId = '0'; // bigint ids come back from pg as strings
      for (let pages = 1; ; pages++) {
        const rows = (await pool.query<{ openid: string }>('SELECT openid FROM followers WHERE account_id = $1 AND subscribed AND id > $2 ORDER BY id LIMIT $3', [account.id, afterId, OPENIDS_PER_PAGE])).rows;
        if (rows.length === 0) return pages;
        const next = rows[rows.length - 1]!.openid;
        afterId = (await pool.query<{ id: string }>('SELECT id FROM followers WHERE openid = $1 AND account_id = $2', [next, account.id])).rows[0]!.id;
      }
    };
    baseline = await timePasses('the same keyset SELECTs through a bare pool', sqlPass);
    // What counting the total on every page would add (user/get counts on a pass's first page only).
    const countStarted = performance.now();
    for (let i = 0; i < 5; i++) await pool.query('SELECT count(*) FROM followers WHERE account_id = $1 AND subscribed', [account.id]);
    countMs = (performance.now() - countStarted) / 5;
    log(`one count of the current followers: ${countMs.toFixed(1)} ms`);
  } finally {
    await pool.end();
  }

  // 2. Token-checked user/info against a bare Fastify route.
  const openids = (await db.execute<{ openid: string }>(sql`SELECT openid FROM followers WHERE account_id = ${account.id} ORDER BY id LIMIT 10000`)).rows.map((row) => row.openid);
  const probe = (await (await fetch(`${api.url}/cgi-bin/user/info?access_token=${token}&openid=${openids[0]}&lang=zh_CN`)).json()) as { subscribe?: number };
  if (probe.subscribe !== 1) throw new Error(`user/info answered ${JSON.stringify(probe)}`);
  let next = 0;
  // autocannon counts an HTTP 200 as success, and WeChat errors are HTTP 200 too: the probe above is the check.
  const userInfoRps = await rate({
    url: api.url,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: `/cgi-bin/user/info?access_token=${token}&openid=${openids[next++ % openids.length]}&lang=zh_CN` }) }],
  });
  log(`user/info through the API: ${Math.round(userInfoRps)} req/s`);
  await stopChild(api.child);
  api = undefined;

  const bare = await forkBareServer();
  let bareRps: number;
  try {
    bareRps = await rate({ url: `${bare.url}/cgi-bin/user/info` });
  } finally {
    await stopChild(bare.child);
  }
  log(`a bare Fastify route: ${Math.round(bareRps)} req/s`);

  const round = (n: number) => Math.round(n * 1000) / 1000;
  printResult({
    bench: 'compat-user-get',
    value: paged.ms,
    baseline: baseline.ms,
    ratio: paged.ms / baseline.ms,
    unit: 'ms',
    followers: followerCount,
    pages: paged.pages,
    passes,
    countMs: round(countMs),
    aimRatio: 1.5,
    userInfoRps: Math.round(userInfoRps),
    bareRps: Math.round(bareRps),
    userInfoRatio: round(userInfoRps / bareRps),
    connections,
    seconds,
  });
} finally {
  agent.destroy();
  if (api) await stopChild(api.child);
  await env.cleanup();
}
