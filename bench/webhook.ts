import type { ChildProcess } from 'node:child_process';
import { createDecipheriv, createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { createSigner } from 'fast-jwt';
import { Agent, Pool, request } from 'undici';
import { MAX_CONNECTIONS_PER_ORIGIN } from '../src/modules/webhooks/outbound-http.js';
import { RELAY_CONCURRENCY, RELAY_PER_ACCOUNT_CONCURRENCY } from '../src/modules/webhooks/webhooks.worker.js';
import { CLIENT_AUDIENCE, clientSigningKey } from '../src/plugins/client-auth.js';
import { childEnv, startEntryPoint, type RunningProcess } from '../test/helpers/processes.js';
import { waitFor } from '../test/helpers/worker.js';
import { createBenchEnvironment, forkBenchApi, log, numberArg, printResult } from './lib.js';

/**
 * bench:webhook: the webhook relay (the worker's push of messages to a developer's server) against a receiver on
 * loopback that answers `success`, in plaintext and in safe mode. Real parts: the API in its own process, one worker
 * process, PostgreSQL and Redis; the receiver and the load run in this process.
 *
 * Per mode, two JSON lines:
 * - webhook-throughput-<mode>: pushes per second while the relay drains a burst of --messages messages from
 *   --followers followers (sent through the API while the worker is paused with SIGSTOP, so the drain is measured on
 *   its own: first push arrival to last). Baseline: the same number of captured push requests (same path, query and
 *   bytes) POSTed by undici from this process to the same receiver, at the concurrency the relay has for one
 *   account (RELAY_PER_ACCOUNT_CONCURRENCY; this bench has one account). ratio = relay / bare; aim ≥ 0.7.
 *   bareAtProcessCap is the same at the relay's per-process cap (RELAY_CONCURRENCY).
 * - webhook-latency-<mode>: event → push at a steady --rate messages per second for --seconds: from the API's
 *   201 (the message and its push row are committed before it) to the push's arrival at the receiver, matched by
 *   MsgId. value = p99 ms, baseline = the 50 ms aim.
 * The last line is the summary: the mode with the lowest throughput ratio, with every mode's p99.
 *
 * --messages N (20,000), --followers N (1,000), --rate N (1,000 per second), --seconds N (10), --only plaintext|safe.
 */
const burstSize = numberArg('messages', 20_000);
const followerCount = numberArg('followers', 1_000);
const rate = numberArg('rate', 1_000);
const seconds = numberArg('seconds', 10);
const { values: flags } = parseArgs({ options: { only: { type: 'string' } }, strict: false });
type Mode = 'plaintext' | 'safe';
const modes: Mode[] = flags.only === undefined ? ['plaintext', 'safe'] : [flags.only as Mode];
if (!modes.every((mode) => mode === 'plaintext' || mode === 'safe')) throw new Error('--only must be plaintext or safe');

/** Requests in flight to the API while the burst is queued (the worker is paused then, so only its length matters). */
const ENQUEUE_CONCURRENCY = 128;
/** Push requests kept from each drain, to be replayed by the bare baseline. */
const CAPTURED_BODIES = 500;
const TOKEN = 'BenchToken123';
const ENCODING_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const LATENCY_AIM_MS = 50;

const round1 = (n: number) => Math.round(n * 10) / 10;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

// ---------------------------------------------------------------------------------------------------------------
// The developer's server: keep-alive, `success` to every push, the arrival time and MsgId of each push to `sink`.

interface CapturedRequest {
  path: string;
  body: Buffer;
}

interface Receiver {
  url: string;
  sink: (msgId: string | undefined, arrivedAt: number) => void;
  /** While set, the first pushes are kept here (up to CAPTURED_BODIES). */
  capture: CapturedRequest[] | undefined;
  /** The connections that carried pushes since the last reset: undici opens one only when all are busy. */
  connections: Set<object>;
  close(): Promise<void>;
}

const AES_KEY = Buffer.from(`${ENCODING_AES_KEY}=`, 'base64');

/** WeChat's safe mode: AES-256-CBC, IV = the key's first 16 bytes, 32-byte PKCS#7, random(16) | length(4) | XML | appid. */
function decrypt(encrypted: string): string {
  const decipher = createDecipheriv('aes-256-cbc', AES_KEY, AES_KEY.subarray(0, 16)).setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
  const length = padded.readUInt32BE(16);
  return padded.subarray(20, 20 + length).toString('utf8');
}

const msgIdOf = (xml: string) => /<MsgId>(\d+)<\/MsgId>/.exec(xml)?.[1];
const encryptOf = (xml: string) => /<Encrypt><!\[CDATA\[([^\]]*)\]\]><\/Encrypt>/.exec(xml)?.[1];

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    sink: () => {},
    capture: undefined,
    connections: new Set(),
    close: async () => {},
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const arrivedAt = performance.now();
      if (req.method === 'GET') {
        // URL verification when the webhook is saved: the echostr back, if signed with our token.
        const query = new URL(req.url ?? '/', 'http://receiver').searchParams;
        const expected = createHash('sha1')
          .update([TOKEN, query.get('timestamp') ?? '', query.get('nonce') ?? ''].sort().join(''))
          .digest('hex');
        const valid = query.get('signature') === expected;
        return void res.writeHead(valid ? 200 : 403, { 'content-type': 'text/plain' }).end(valid ? (query.get('echostr') ?? '') : 'bad signature');
      }
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const encrypted = encryptOf(text);
      const msgId = msgIdOf(encrypted === undefined ? text : decrypt(encrypted));
      receiver.connections.add(req.socket);
      if (receiver.capture && receiver.capture.length < CAPTURED_BODIES) receiver.capture.push({ path: req.url ?? '/', body });
      receiver.sink(msgId, arrivedAt);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '7' }).end('success');
    });
  });
  // Idle connections stay open across the runs, as a developer's server behind nginx would keep them.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat`;
  receiver.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

// ---------------------------------------------------------------------------------------------------------------
// CPU time of the processes involved (Linux /proc), to see which one a run was bound by.

const TICK_MS = 10; // USER_HZ is 100 on Linux.

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Every postgres process on the machine (our backends among them; the machine is shared, so an upper bound). */
function postgresTicks(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === 'postgres') total += cpuTicks(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return total;
}

function cpuMeter(pids: { worker: number; api: number }) {
  const started = performance.now();
  const bench = process.cpuUsage();
  const before = { worker: cpuTicks(pids.worker), api: cpuTicks(pids.api), postgres: postgresTicks() };
  return () => {
    const wallMs = performance.now() - started;
    const percent = (ms: number) => Math.round((ms / wallMs) * 100);
    const benchUsage = process.cpuUsage(bench);
    return {
      worker: percent((cpuTicks(pids.worker) - before.worker) * TICK_MS),
      api: percent((cpuTicks(pids.api) - before.api) * TICK_MS),
      postgres: percent((postgresTicks() - before.postgres) * TICK_MS),
      bench: percent((benchUsage.user + benchUsage.system) / 1000),
    };
  };
}

// ---------------------------------------------------------------------------------------------------------------

const env = await createBenchEnvironment('webhook');
const db = env.deps.database.db;

const startApi = () => forkBenchApi(env.config);

async function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGCONT'); // a paused worker handles SIGTERM only once it runs again
  child.kill('SIGTERM');
  await exited;
}

const receiver = await startReceiver();
let api: { child: ChildProcess; url: string } | undefined;
let worker: RunningProcess | undefined;
let apiPool: Pool | undefined;

try {
  api = await startApi();
  apiPool = new Pool(api.url, { connections: ENQUEUE_CONCURRENCY });
  const pool = apiPool;

  // Set-up: an admin, an account, and followerCount WeChat users who follow it, written in SQL (no follow events,
  // so no subscribe pushes to drain), each with a client token signed as the API signs them.
  const password = 'benchmark password';
  const owner = await env.deps.services.auth.register({ email: 'bench-webhook@example.com', password });
  const account = await env.deps.services.accounts.create(owner.id, { name: 'webhook bench' });
  const login = await pool.request({
    path: '/v1/auth/login',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench-webhook@example.com', password }),
  });
  const loginBody = (await login.body.json()) as { token: string };
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${JSON.stringify(loginBody)}`);
  const adminHeaders = { authorization: `Bearer ${loginBody.token}`, 'content-type': 'application/json' };

  const users = await db.execute<{ id: number }>(sql`
    INSERT INTO wechat_users (nickname) SELECT 'u' || g FROM generate_series(1, ${followerCount}::int) g RETURNING id`);
  await db.execute(sql`
    INSERT INTO followers (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at, subscribe_scene)
    SELECT ${account.id}::bigint, id, 'o' || md5(id::text), true, now(), now(), 'ADD_SCENE_SEARCH'
    FROM wechat_users WHERE id = ANY(${sql.param(users.rows.map((row) => row.id))}::bigint[])`);
  const sign = createSigner({ key: clientSigningKey(env.config.jwtSecret), aud: CLIENT_AUDIENCE, expiresIn: '1d', algorithm: 'HS256' });
  const tokens = users.rows.map((row) => `Bearer ${sign({ sub: String(row.id) })}`);

  worker = startEntryPoint('src/worker.ts', {
    ...childEnv({ databaseUrl: env.databaseUrl, redisPrefix: env.config.redisPrefix, config: env.config }),
    LOG_LEVEL: 'info',
  });
  const workerProcess = worker;
  await waitFor(async () => workerProcess.output().includes('worker started'), { timeoutMs: 60_000, what: 'the worker to start' });
  const pids = { worker: workerProcess.child.pid!, api: api.child.pid! };

  /** One follower's text message through the API; resolves with its MsgId and when the 201 arrived. */
  async function sendMessage(i: number): Promise<{ msgId: string; answeredAt: number; sentAt: number }> {
    const sentAt = performance.now();
    const response = await pool.request({
      path: '/client/v1/messages',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: tokens[i % tokens.length]! },
      body: JSON.stringify({ appid: account.appid, msgType: 'text', content: `你好，公众号 #${i}` }),
    });
    const answeredAt = performance.now();
    const body = (await response.body.json()) as { msgId?: string };
    if (response.statusCode !== 201 || body.msgId === undefined) throw new Error(`message ${i}: ${response.statusCode} ${JSON.stringify(body)}`);
    return { msgId: body.msgId, answeredAt, sentAt };
  }

  async function configure(mode: Mode) {
    const saved = await pool.request({
      path: `/v1/accounts/${account.id}/webhook`,
      method: 'PUT',
      headers: adminHeaders,
      body: JSON.stringify({ url: receiver.url, token: TOKEN, encodingAESKey: ENCODING_AES_KEY, mode }),
    });
    const text = await saved.body.text();
    if (saved.statusCode !== 200) throw new Error(`PUT webhook (${mode}): ${saved.statusCode} ${text}`);
  }

  const lastPushId = async () =>
    Number((await db.execute<{ id: string | null }>(sql`SELECT max(id) AS id FROM webhook_pushes`)).rows[0]!.id ?? 0);

  /** The pushes after `afterId`: all must be delivered at the first attempt, or the run measured something else. */
  async function checkPushes(afterId: number, expected: number, what: string) {
    const count = async () =>
      (
        await db.execute<{ total: number; delivered: number; retried: number }>(sql`
          SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'delivered')::int AS delivered,
                 count(*) FILTER (WHERE attempts > 1)::int AS retried
          FROM webhook_pushes WHERE account_id = ${account.id} AND id > ${afterId}`)
      ).rows[0]!;
    // The relay records an attempt once the receiver has answered: the last few may still be on their way.
    let row = await count();
    const deadline = performance.now() + 10_000;
    while (row.delivered < expected && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      row = await count();
    }
    if (row.total !== expected || row.delivered !== expected) throw new Error(`${what}: ${row.delivered}/${row.total} of ${expected} pushes delivered`);
    return row.retried;
  }

  /** Rows of webhook_pushes updated so far, by PostgreSQL's statistics: how many writes the relay spends per push. */
  const pushRowUpdates = async () =>
    Number((await db.execute<{ n: string }>(sql`SELECT n_tup_upd AS n FROM pg_stat_user_tables WHERE relname = 'webhook_pushes'`)).rows[0]!.n);

  /** Pushes in flight on average while the relay was sending those after `afterId`: time spent in HTTP ÷ the span. */
  async function meanInFlight(afterId: number) {
    const row = (
      await db.execute<{ busy: number; span: number }>(sql`
        SELECT sum(a.latency_ms)::float8 AS busy,
               extract(epoch FROM max(a.attempted_at + a.latency_ms * interval '1 millisecond') - min(a.attempted_at)) * 1000 AS span
        FROM webhook_attempts a JOIN webhook_pushes p ON p.id = a.push_id
        WHERE p.account_id = ${account.id} AND p.id > ${afterId}`)
    ).rows[0]!;
    return round1(Number(row.busy) / Number(row.span));
  }

  let nextSender = 0;

  async function throughput(mode: Mode) {
    const before = await lastPushId();
    // The burst is queued while the worker is paused, so the drain below is the relay's work alone.
    workerProcess.child.kill('SIGSTOP');
    const enqueueStarted = performance.now();
    let queued = 0;
    try {
      await Promise.all(
        Array.from({ length: ENQUEUE_CONCURRENCY }, async () => {
          while (queued < burstSize) {
            queued++;
            await sendMessage(nextSender++);
          }
        }),
      );
    } finally {
      workerProcess.child.kill('SIGCONT');
    }
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
    const updatesBefore = await pushRowUpdates();
    const resumedAt = performance.now();
    const arrivals: number[] = [];
    const msgIds = new Set<string>();
    receiver.capture = [];
    receiver.connections.clear();
    receiver.sink = (msgId, at) => {
      arrivals.push(at);
      if (msgId) msgIds.add(msgId);
    };
    const cpu = cpuMeter(pids);
    await waitFor(async () => arrivals.length >= burstSize, { timeoutMs: 10 * 60_000, intervalMs: 10, what: `${burstSize} ${mode} pushes` });
    const cpuPercent = cpu();
    const relayConnections = receiver.connections.size;
    const captured = receiver.capture;
    receiver.capture = undefined;
    receiver.sink = () => {};
    if (msgIds.size !== burstSize) throw new Error(`${mode}: ${arrivals.length} pushes arrived for ${msgIds.size} distinct MsgIds of ${burstSize}`);
    const retried = await checkPushes(before, burstSize, `${mode} burst`);
    const relayRate = ((arrivals.length - 1) / (arrivals.at(-1)! - arrivals[0]!)) * 1000;
    const fromResumeRate = (arrivals.length / (arrivals.at(-1)! - resumedAt)) * 1000;
    log(`${mode}: burst of ${burstSize} queued through the API in ${enqueueSeconds.toFixed(1)} s; relay drained it at ${Math.round(relayRate)} pushes/s (${Math.round(fromResumeRate)}/s from SIGCONT), over ${relayConnections} connections, CPU % ${JSON.stringify(cpuPercent)}`);

    const bareAtShare = await bare(captured, RELAY_PER_ACCOUNT_CONCURRENCY);
    const bareAtCap = await bare(captured, RELAY_CONCURRENCY);
    log(`${mode}: bare undici ${Math.round(bareAtShare.rate)} pushes/s at ${RELAY_PER_ACCOUNT_CONCURRENCY} in flight, ${Math.round(bareAtCap.rate)} at ${RELAY_CONCURRENCY}`);
    const bodyBytes = Math.round(captured.reduce((sum, c) => sum + c.body.length, 0) / captured.length);
    // Read after the bare runs, which touch no rows: PostgreSQL publishes a backend's table counters up to a second late.
    const rowUpdatesPerPush = Math.round(((await pushRowUpdates()) - updatesBefore) / burstSize * 10) / 10;
    const relayMeanInFlight = await meanInFlight(before);
    log(`${mode}: ${rowUpdatesPerPush} webhook_pushes row updates per push (claims, outcomes, lanes released); relay mean in flight ≈ ${relayMeanInFlight}`);
    return {
      bench: `webhook-throughput-${mode}`,
      value: relayRate,
      baseline: bareAtShare.rate,
      ratio: relayRate / bareAtShare.rate,
      unit: 'pushes/s',
      pushes: burstSize,
      followers: followerCount,
      concurrency: RELAY_PER_ACCOUNT_CONCURRENCY,
      relayFromResume: Math.round(fromResumeRate),
      relayConnections,
      relayMeanInFlight,
      rowUpdatesPerPush,
      retried,
      bareAtProcessCap: Math.round(bareAtCap.rate),
      ratioAtProcessCap: Math.round((relayRate / bareAtCap.rate) * 1000) / 1000,
      bodyBytes,
      cpuPercent,
      bareCpuPercent: bareAtShare.cpuPercent,
      bareConnections: bareAtShare.connections,
      enqueueRps: Math.round(burstSize / enqueueSeconds),
    };
  }

  /** The baseline: burstSize of the captured push requests, replayed by undici at `concurrency`, timed at the receiver. */
  async function bare(captured: CapturedRequest[], concurrency: number) {
    // As many connections to one origin as the relay's agent keeps (outbound-http.ts).
    const agent = new Agent({ connections: MAX_CONNECTIONS_PER_ORIGIN });
    const origin = new URL(receiver.url).origin;
    const arrivals: number[] = [];
    receiver.sink = (_msgId, at) => arrivals.push(at);
    receiver.connections.clear();
    let sent = 0;
    let failed = 0;
    const cpu = cpuMeter(pids);
    try {
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (sent < burstSize) {
            const push = captured[sent++ % captured.length]!;
            const response = await request(`${origin}${push.path}`, {
              method: 'POST',
              headers: { 'user-agent': 'oa-platform-webhooks', 'content-type': 'text/xml; charset=utf-8' },
              body: push.body,
              dispatcher: agent,
            });
            if ((await response.body.text()) !== 'success' || response.statusCode !== 200) failed++;
          }
        }),
      );
    } finally {
      receiver.sink = () => {};
      await agent.close();
    }
    if (failed > 0 || arrivals.length !== burstSize) throw new Error(`bare baseline: ${failed} failed, ${arrivals.length}/${burstSize} arrived`);
    return { rate: ((arrivals.length - 1) / (arrivals.at(-1)! - arrivals[0]!)) * 1000, cpuPercent: cpu(), connections: receiver.connections.size };
  }

  async function latency(mode: Mode) {
    const before = await lastPushId();
    const total = Math.round(rate * seconds);
    const arrivedAt = new Map<string, number>();
    receiver.connections.clear();
    receiver.sink = (msgId, at) => {
      if (msgId) arrivedAt.set(msgId, at);
    };
    const answers: Array<{ msgId: string; answeredAt: number; sentAt: number }> = [];
    const pending: Array<Promise<void>> = [];
    const cpu = cpuMeter(pids);
    // Open loop: message i is sent at i / rate seconds, whether or not earlier ones were answered.
    const started = performance.now();
    await new Promise<void>((resolve) => {
      let issued = 0;
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
        for (; issued < due; issued++) pending.push(sendMessage(nextSender++).then((answer) => void answers.push(answer)));
        if (issued >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    const issuedSeconds = (performance.now() - started) / 1000;
    await Promise.all(pending);
    await waitFor(async () => answers.every((answer) => arrivedAt.has(answer.msgId)), { timeoutMs: 120_000, intervalMs: 10, what: `${mode} pushes of the steady load` });
    const cpuPercent = cpu();
    receiver.sink = () => {};
    const retried = await checkPushes(before, total, `${mode} steady load`);
    const latencies = answers.map((answer) => arrivedAt.get(answer.msgId)! - answer.answeredAt).sort((a, b) => a - b);
    const apiLatencies = answers.map((answer) => answer.answeredAt - answer.sentAt).sort((a, b) => a - b);
    const answeredTimes = answers.map((answer) => answer.answeredAt).sort((a, b) => a - b);
    const eventsPerSecond = ((answeredTimes.length - 1) / (answeredTimes.at(-1)! - answeredTimes[0]!)) * 1000;
    // PostgreSQL's view of the same pushes: from the message's transaction (created_at) to the relay's attempt.
    const inDatabase = (
      await db.execute<{ p50: number; p99: number }>(sql`
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
        FROM (SELECT extract(epoch FROM finished_at - created_at) * 1000 AS ms
              FROM webhook_pushes WHERE account_id = ${account.id} AND id > ${before}) t`)
    ).rows[0]!;
    const p50 = percentile(latencies, 0.5);
    const p99 = percentile(latencies, 0.99);
    log(`${mode}: ${total} messages at ${Math.round(eventsPerSecond)}/s (issued over ${issuedSeconds.toFixed(1)} s): event → push p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms; API p99 ${percentile(apiLatencies, 0.99).toFixed(1)} ms; CPU % ${JSON.stringify(cpuPercent)}`);
    return {
      bench: `webhook-latency-${mode}`,
      value: p99,
      baseline: LATENCY_AIM_MS,
      ratio: p99 / LATENCY_AIM_MS,
      unit: 'ms',
      p50: round1(p50),
      p99: round1(p99),
      max: round1(latencies.at(-1)!),
      pushedBeforeAnswer: latencies.filter((ms) => ms < 0).length,
      events: total,
      targetRate: rate,
      eventsPerSecond: Math.round(eventsPerSecond),
      apiP50Ms: round1(percentile(apiLatencies, 0.5)),
      apiP99Ms: round1(percentile(apiLatencies, 0.99)),
      transactionToAttemptMs: { p50: round1(Number(inDatabase.p50)), p99: round1(Number(inDatabase.p99)) },
      relayConnections: receiver.connections.size,
      relayMeanInFlight: await meanInFlight(before),
      retried,
      cpuPercent,
    };
  }

  const throughputs: Array<Awaited<ReturnType<typeof throughput>>> = [];
  const latencies: Array<Awaited<ReturnType<typeof latency>>> = [];
  for (const mode of modes) {
    await configure(mode);
    const measured = await throughput(mode);
    throughputs.push(measured);
    printResult(measured);
    const steady = await latency(mode);
    latencies.push(steady);
    printResult(steady);
  }

  const lowest = throughputs.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  printResult({
    bench: 'webhook',
    value: lowest.value,
    baseline: lowest.baseline,
    ratio: lowest.ratio,
    unit: 'pushes/s',
    lowest: lowest.bench,
    latencyP99Ms: Object.fromEntries(latencies.map((l) => [l.bench.replace('webhook-latency-', ''), l.p99])),
    aims: {
      throughputRatioAtLeast07: throughputs.every((t) => t.ratio >= 0.7),
      p99AtMost50Ms: latencies.every((l) => l.p99 <= LATENCY_AIM_MS),
    },
    messages: burstSize,
    followers: followerCount,
    rate,
    seconds,
  });
} finally {
  if (worker) await stopProcess(worker.child);
  if (api) await stopProcess(api.child);
  await apiPool?.close();
  await receiver.close();
  await env.cleanup();
}
