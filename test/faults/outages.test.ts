import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { seedFollowerChunk } from '../../src/db/seed/followers.seed.js';
import { freePort, logRecords, startEntryPoint, type RunningProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/worker.js';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from './servers.js';

/**
 * Real outages under a real fan-out: the API and worker processes run against a PostgreSQL cluster and a Redis of
 * this file's own, which it restarts, crashes and wipes while a broadcast to tens of thousands of followers is being
 * delivered. Each scenario checks what an operator and a client would see: no process exits, every eligible
 * follower gets exactly one delivery, counters equal rows, the broadcast finishes within 10 s of the dependency's
 * return, requests during the outage are answered 503 with a stable code (never 500, never a refused connection),
 * and a send answered 503 used no quota.
 */

const FOLLOWERS = 30_000;
const CHURNED = 1_000;
/** The promise: in-flight broadcasts resume within 10 s of the dependency's return. */
const RESUME_WITHIN_MS = 10_000;
const PASSWORD = 'correct horse battery staple';
/** The default: consecutive failed logins after which an email is locked out. */
const LOGIN_MAX_FAILURES = 5;

const processSettings = {
  // 30 batches, spread by speed level 2 (450,000 a minute) over about four seconds: the fault lands mid-fan-out.
  FANOUT_BATCH_SIZE: '1000',
  FANOUT_BATCH_CONCURRENCY: '2',
  // The timed sweep must not be what rescues a broadcast here: recovery has to come from the dependency's return.
  SWEEP_INTERVAL_MS: '600000',
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES),
  CLIENT_RATE_LIMIT_PER_MINUTE: '100000',
  CLIENT_IP_RATE_LIMIT_PER_MINUTE: '100000',
  CLIENT_SIGNUP_RATE_LIMIT_PER_MINUTE: '100000',
};

let postgres: PrivatePostgres | undefined;
let redis: PrivateRedis | undefined;
let database: DatabaseHandle | undefined;
let api: RunningProcess | undefined;
let worker: RunningProcess | undefined;
let apiUrl = '';
let workerHealthUrl = '';

function db() {
  return database!.db;
}

function expectBothRunning() {
  for (const [name, running] of [['api', api], ['worker', worker]] as const) {
    expect(running!.child.exitCode, `${name} exited:\n${running!.output().slice(-4000)}`).toBeNull();
    expect(running!.child.signalCode, `${name} was killed:\n${running!.output().slice(-4000)}`).toBeNull();
  }
}

interface Answer {
  name: string;
  status: number;
  code?: string;
  retryAfter?: string | null;
  body?: unknown;
}

async function call(name: string, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Answer> {
  // No try/catch: a refused or reset connection must fail the test, not count as an answer.
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the failure message.
  }
  return { name, status: response.status, code: (body as { code?: string } | null)?.code, retryAfter: response.headers.get('retry-after'), body };
}

async function ok(answer: Promise<Answer>, status: number): Promise<Answer & { json: Record<string, unknown> }> {
  const result = await answer;
  expect(result.status, `${result.name}: ${JSON.stringify(result.body)}`).toBe(status);
  return { ...result, json: result.body as Record<string, unknown> };
}

interface Scenario {
  email: string;
  token: string;
  /** The account whose broadcast is in flight during the fault. */
  busy: { id: number; appid: string };
  /** An account with a few followers that tries to send during the fault. */
  idle: { id: number; appid: string };
  wechatToken: string;
  eligible: number;
  broadcastId: number;
}

/** An admin with two accounts, FOLLOWERS seeded followers on one, and a broadcast to all of them under way. */
async function startBroadcast(label: string): Promise<Scenario> {
  const email = `faults-${label}-${randomBytes(3).toString('hex')}@example.com`;
  const registered = await ok(call('register', 'POST', '/v1/auth/register', { body: { email, password: PASSWORD } }), 201);
  const token = (await ok(call('login', 'POST', '/v1/auth/login', { body: { email, password: PASSWORD } }), 200)).json.token as string;
  const ownerId = registered.json.id as number;
  const busy = (await ok(call('account', 'POST', '/v1/accounts', { token, body: { name: `${label} busy` } }), 201)).json as { id: number; appid: string };
  const idle = (await ok(call('account', 'POST', '/v1/accounts', { token, body: { name: `${label} idle` } }), 201)).json as { id: number; appid: string };

  const now = new Date();
  const from = new Date(now.getTime() - 86_400_000);
  for (let offset = 0; offset < FOLLOWERS; offset += 15_000) {
    await seedFollowerChunk(db(), { accountId: busy.id, ownerId, count: 15_000, churned: CHURNED / 2, from, to: now, offset });
  }
  await seedFollowerChunk(db(), { accountId: idle.id, ownerId, count: 20, churned: 0, from, to: now, offset: 0 });
  await db().execute(sql`UPDATE followers SET blacklisted = true, blacklisted_at = now() WHERE account_id = ${busy.id} AND id % 97 = 0`);
  const eligible = (await db().execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM followers WHERE account_id = ${busy.id} AND subscribed AND NOT blacklisted`)).rows[0]!.n;
  expect(eligible).toBeGreaterThan(FOLLOWERS - CHURNED - FOLLOWERS / 90);

  const wechatToken = (await ok(call('client signup', 'POST', '/client/v1/users', { body: { nickname: `${label}-user` } }), 201)).json.token as string;
  await ok(call('speed', 'PUT', `/v1/accounts/${busy.id}/broadcast-speed`, { token, body: { speed: 2 } }), 200);
  const sent = await ok(call('send', 'POST', `/v1/accounts/${busy.id}/broadcasts`, { token, body: { target: { all: true }, message: { type: 'text', content: `${label} under fire` } } }), 202);
  const broadcastId = sent.json.id as number;
  await waitFor(async () => (await progress(broadcastId)).done >= 3, { timeoutMs: 30_000, intervalMs: 10, what: 'the fan-out to be under way' });
  const atFault = await progress(broadcastId);
  expect(atFault.status, 'the fan-out finished before the fault; raise FOLLOWERS').toBe('SENDING');
  return { email, token, busy, idle, wechatToken, eligible, broadcastId };
}

async function progress(broadcastId: number) {
  return (await db().execute<{ done: number; total: number | null; status: string }>(sql`
    SELECT batches_done AS done, batches_total AS total, status FROM broadcasts WHERE id = ${broadcastId}`)).rows[0]!;
}

function sendOnIdleAccount(scenario: Scenario, content: string): Promise<Answer> {
  return call('send', 'POST', `/v1/accounts/${scenario.idle.id}/broadcasts`, { token: scenario.token, body: { target: { all: true }, message: { type: 'text', content } } });
}

/**
 * What a client tries during the outage: log in, read, use the client API, and (once: the idle account may send
 * one broadcast a day) send on the idle account.
 */
function requestsDuringOutage(scenario: Scenario, options: { send: boolean }): Promise<Answer[]> {
  const { token, email, busy, idle, wechatToken, broadcastId } = scenario;
  return Promise.all([
    call('login', 'POST', '/v1/auth/login', { body: { email, password: PASSWORD } }),
    call('read broadcast', 'GET', `/v1/accounts/${busy.id}/broadcasts/${broadcastId}`, { token }),
    call('client follow', 'POST', '/client/v1/follows', { token: wechatToken, body: { appid: idle.appid, scene: 'ADD_SCENE_SEARCH' } }),
    call('client signup', 'POST', '/client/v1/users', { body: { nickname: 'during-outage' } }),
    ...(options.send ? [sendOnIdleAccount(scenario, 'sent during an outage')] : []),
  ]);
}

/** Both processes' readiness, as a load balancer or docker-compose's health check sees it. */
async function readiness(): Promise<{ api: number; worker: number }> {
  const [apiReady, workerReady] = await Promise.all([fetch(`${apiUrl}/readyz`), fetch(`${workerHealthUrl}/readyz`)]);
  return { api: apiReady.status, worker: workerReady.status };
}

/**
 * Both processes ready again after a dependency came back, within a few seconds. Each process reconnects on its own
 * schedule (ioredis waits up to 2 s between attempts), so one may still be waiting for its next attempt when the
 * other has already finished the broadcast.
 */
async function readyAgain(): Promise<void> {
  let last = { api: 0, worker: 0 };
  await waitFor(async () => (last = await readiness()).api === 200 && last.worker === 200, { timeoutMs: 5_000, intervalMs: 100, what: 'readiness' }).catch(() => {});
  expect(last).toEqual({ api: 200, worker: 200 });
}

/** Every answer is a success or a 503 with the dependency's code and a Retry-After; never a 500. */
function expectSuccessOr503(answers: Answer[], code: 'DATABASE_UNAVAILABLE' | 'QUEUE_UNAVAILABLE') {
  for (const answer of answers) {
    const detail = `${answer.name}: ${answer.status} ${JSON.stringify(answer.body)}`;
    if (answer.status < 300) continue;
    expect(answer.status, detail).toBe(503);
    expect(answer.code, detail).toBe(code);
    expect(Number(answer.retryAfter), detail).toBeGreaterThan(0);
  }
}

/** Waits for the broadcast to succeed, within RESUME_WITHIN_MS of the dependency's return. */
async function expectResumedInTime(broadcastId: number, returnedAt: number) {
  const finished = await waitFor(
    async () => {
      expectBothRunning();
      const row = await progress(broadcastId).catch(() => undefined);
      return row && row.status !== 'SENDING' && row.status !== 'queued' ? row : undefined;
    },
    { timeoutMs: RESUME_WITHIN_MS - (Date.now() - returnedAt), intervalMs: 50, what: `broadcast ${broadcastId} to finish within ${RESUME_WITHIN_MS} ms of the dependency's return` },
  );
  expect(finished.status).toBe('SEND_SUCCESS');
}

/** Exactly one delivery per eligible follower, none to anyone else, and counters that match the rows. */
async function expectDeliveredExactlyOnce(scenario: Scenario) {
  const { broadcastId, eligible } = scenario;
  const final = (await db().execute<{ status: string; sent: number; filtered: number; errors: number; total: number; done: number; batches: number }>(sql`
    SELECT status, sent_count AS sent, filtered_count AS filtered, error_count AS errors, total_count AS total,
           batches_done AS done, batches_total AS batches
    FROM broadcasts WHERE id = ${broadcastId}`)).rows[0]!;
  const delivered = (await db().execute<{ rows: number; followers: number; ineligible: number }>(sql`
    SELECT count(*)::int AS rows, count(DISTINCT d.follower_id)::int AS followers,
           count(*) FILTER (WHERE NOT f.subscribed OR f.blacklisted OR f.account_id <> ${scenario.busy.id})::int AS ineligible
    FROM deliveries d JOIN followers f ON f.id = d.follower_id WHERE d.broadcast_id = ${broadcastId}`)).rows[0]!;
  const doneBatches = (await db().execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM broadcast_batches WHERE broadcast_id = ${broadcastId} AND done_at IS NOT NULL`)).rows[0]!.n;
  expect(delivered).toEqual({ rows: eligible, followers: eligible, ineligible: 0 });
  expect(final).toMatchObject({ status: 'SEND_SUCCESS', sent: eligible, errors: 0, done: final.batches });
  expect(doneBatches).toBe(final.batches);
  expect(final.filtered).toBe(FOLLOWERS - CHURNED - eligible);
}

/** A send answered 503 left nothing behind: no broadcast and no quota unit; one answered 202 is delivered. */
async function expectSendAllOrNothing(scenario: Scenario, send: Answer, returnedAt: number) {
  const { idle } = scenario;
  const broadcasts = (await db().execute<{ id: number }>(sql`SELECT id FROM broadcasts WHERE account_id = ${idle.id}`)).rows;
  const units = (await db().execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM quota_ledger WHERE account_id = ${idle.id} AND refunded_at IS NULL`)).rows[0]!.n;
  if (send.status === 503) {
    expect(broadcasts).toEqual([]);
    expect(units).toBe(0);
    // The unit is still there to use: the account's one send of the day goes through now.
    const retry = await sendOnIdleAccount(scenario, 'sent after the outage');
    expect(retry.status, JSON.stringify(retry.body)).toBe(202);
  } else {
    expect(send.status, JSON.stringify(send.body)).toBe(202);
    expect(broadcasts).toHaveLength(1);
    expect(units).toBe(1);
    await expectResumedInTime(broadcasts[0]!.id, returnedAt);
  }
}

/** Output lines from a given offset on, to look at one scenario's logs. */
function outputSince(running: RunningProcess, offset: number): string {
  return running.output().slice(offset);
}

function expectCleanLogs(running: RunningProcess, from: number, scenario: Scenario) {
  const output = outputSince(running, from);
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  // Everything goes through the JSON logger: no raw stacks on stderr (BullMQ prints those without a listener).
  expect(lines.filter((line) => !line.startsWith('{')).slice(0, 5)).toEqual([]);
  // No SQL parameters: drizzle's "params: …", the admin's email (a login query parameter).
  expect(output).not.toContain('params:');
  expect(output).not.toContain(scenario.email);
}

/** The outage is one warning and the recovery one line in each process, not a line per request or retry. */
function outageLines(running: RunningProcess, from: number, connection: string) {
  const records = logRecords(outputSince(running, from));
  return {
    lost: records.filter((r) => r.msg === `${connection}: connection lost`).length,
    restored: records.filter((r) => r.msg === `${connection}: connection restored`).length,
    errors: records.filter((r) => (r.level as number) >= 50).map((r) => r.msg),
    /**
     * Warnings besides the outage's own lines (the connection's, and /readyz's once per outage): each request or
     * job that failed meanwhile would add one.
     */
    otherWarnings: records
      .filter((r) => r.level === 40 && !String(r.msg).endsWith(': connection lost') && !String(r.msg).startsWith('readiness: '))
      .map((r) => r.msg),
  };
}

describe.sequential('outages of PostgreSQL and Redis during a fan-out', () => {
  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    const databaseUrl = postgres.url('oa_faults');
    await runMigrations(databaseUrl);
    database = createDatabase({ url: databaseUrl, poolMax: 4, applicationName: 'oa-faults-test' });
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${apiPort}`;
    workerHealthUrl = `http://127.0.0.1:${workerPort}`;
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'faults',
      JWT_SECRET: 'fault-suite-secret-that-is-long-enough-for-hs256',
      ...processSettings,
    };
    api = startEntryPoint('src/server.ts', { ...env, PORT: String(apiPort) });
    worker = startEntryPoint('src/worker.ts', { ...env, PORT: '0', WORKER_HEALTH_PORT: String(workerPort) });
    await waitFor(async () => (await fetch(`${apiUrl}/healthz`).catch(() => undefined))?.ok, { timeoutMs: 60_000, intervalMs: 100, what: 'the API to listen' });
    await waitFor(async () => worker!.output().includes('worker started'), { timeoutMs: 60_000, intervalMs: 100, what: 'the worker to start' });
  }, 150_000);

  // A scenario that failed half-way may have left a server down: the next one starts from both running.
  beforeEach(async () => {
    await Promise.all([postgres?.ensureRunning(), redis?.ensureRunning()]);
  });

  afterAll(async () => {
    // FAULT_LOGS=<dir> keeps both processes' logs for a post-mortem.
    if (process.env.FAULT_LOGS) {
      mkdirSync(process.env.FAULT_LOGS, { recursive: true });
      for (const [name, running] of [['api', api], ['worker', worker]] as const) {
        if (running) writeFileSync(join(process.env.FAULT_LOGS, `${name}.log`), running.output());
      }
    }
    // Whatever failed above: stop the processes, then the servers, and remove their directories.
    for (const running of [api, worker]) {
      if (running && running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill('SIGKILL');
        await running.exited;
      }
    }
    await database?.close().catch(() => {});
    await Promise.allSettled([postgres?.destroy(), redis?.destroy()]);
  }, 60_000);

  it('PostgreSQL fast restart: requests meanwhile get a success or 503 DATABASE_UNAVAILABLE, the broadcast resumes, delivered exactly once', async () => {
    const scenario = await startBroadcast('pg-restart');
    const [apiFrom, workerFrom] = [api!.output().length, worker!.output().length];

    // A client keeps calling while the server restarts: each answer is a success or a 503, never a 500.
    const answers: Answer[] = [];
    let restarting = true;
    const client = (async () => {
      while (restarting) answers.push(...(await requestsDuringOutage(scenario, { send: false })));
    })();
    const send = sendOnIdleAccount(scenario, 'sent during a restart');
    try {
      await postgres!.restartFast();
    } finally {
      restarting = false;
    }
    const returnedAt = Date.now();
    await client;
    expectSuccessOr503([...answers, await send], 'DATABASE_UNAVAILABLE');

    await expectResumedInTime(scenario.broadcastId, returnedAt);
    await expectDeliveredExactlyOnce(scenario);
    await expectSendAllOrNothing(scenario, await send, returnedAt);
    expectBothRunning();
    for (const [running, from] of [[api!, apiFrom], [worker!, workerFrom]] as const) {
      expectCleanLogs(running, from, scenario);
      const lines = outageLines(running, from, 'postgres');
      expect(lines.lost).toBeLessThanOrEqual(1);
      expect(lines.restored).toBe(lines.lost);
    }
    expect(outageLines(api!, apiFrom, 'postgres').errors).toEqual([]);
  }, 60_000);

  it('PostgreSQL crash (immediate shutdown) for 10 s: every request gets 503 DATABASE_UNAVAILABLE, the send used no quota, the broadcast resumes within 10 s', async () => {
    const scenario = await startBroadcast('pg-crash');
    const [apiFrom, workerFrom] = [api!.output().length, worker!.output().length];

    await postgres!.crash();
    const crashedAt = Date.now();
    const answers = await requestsDuringOutage(scenario, { send: true });
    for (const answer of answers) {
      expect(answer.status, `${answer.name}: ${JSON.stringify(answer.body)}`).toBe(503);
    }
    expectSuccessOr503(answers, 'DATABASE_UNAVAILABLE');
    expect(await readiness()).toEqual({ api: 503, worker: 503 });
    // Still down, still answering the same way a few seconds on (pool timeouts, retries, probes all under way).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, crashedAt + 5_000 - Date.now())));
    expectSuccessOr503(await requestsDuringOutage(scenario, { send: false }), 'DATABASE_UNAVAILABLE');
    // A user who keeps trying to log in meanwhile (more times than the lockout allows) is told 503 each time...
    const retries: Answer[] = [];
    for (let attempt = 0; attempt < LOGIN_MAX_FAILURES + 1; attempt++) {
      retries.push(await call('login retry', 'POST', '/v1/auth/login', { body: { email: scenario.email, password: PASSWORD } }));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, crashedAt + 10_000 - Date.now())));
    await postgres!.start();
    const returnedAt = Date.now();

    await expectResumedInTime(scenario.broadcastId, returnedAt);
    await expectDeliveredExactlyOnce(scenario);
    await expectSendAllOrNothing(scenario, answers.find((a) => a.name === 'send')!, returnedAt);
    await readyAgain();
    expectBothRunning();
    for (const [running, from] of [[api!, apiFrom], [worker!, workerFrom]] as const) {
      expectCleanLogs(running, from, scenario);
      expect(outageLines(running, from, 'postgres')).toMatchObject({ lost: 1, restored: 1, otherWarnings: [] });
    }
    expect(outageLines(api!, apiFrom, 'postgres').errors).toEqual([]);
    // (checked last, so that the outage's other outcomes are checked whatever happens here)
    expect(retries.map((answer) => answer.status)).toEqual(retries.map(() => 503));
    // ...and is not locked out once PostgreSQL is back: a login the database could not check was no failed guess.
    await ok(call('login after the outage', 'POST', '/v1/auth/login', { body: { email: scenario.email, password: PASSWORD } }), 200);
  }, 90_000);

  for (const keepData of [false, true]) {
    const what = keepData ? 'Redis killed and restarted from its append-only file' : 'Redis killed and restarted empty';
    it(`${what}: logins get 503 QUEUE_UNAVAILABLE, a send either happens or uses no quota, the broadcast resumes within 10 s`, async () => {
      const scenario = await startBroadcast(keepData ? 'redis-aof' : 'redis-empty');
      const [apiFrom, workerFrom] = [api!.output().length, worker!.output().length];

      await redis!.kill();
      const answers = await requestsDuringOutage(scenario, { send: true });
      expectSuccessOr503(answers, 'QUEUE_UNAVAILABLE');
      const byName = Object.fromEntries(answers.map((a) => [a.name, a]));
      // Logging in needs Redis (rate limit, lockout counter); reading a broadcast does not.
      expect(byName.login!.status).toBe(503);
      expect(byName['read broadcast']!.status).toBe(200);
      expect(await readiness()).toEqual({ api: 503, worker: 503 });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await redis!.start({ keepData });
      const returnedAt = Date.now();

      await expectResumedInTime(scenario.broadcastId, returnedAt);
      await expectDeliveredExactlyOnce(scenario);
      await expectSendAllOrNothing(scenario, byName.send!, returnedAt);
      await readyAgain();
      expectBothRunning();
      expectCleanLogs(api!, apiFrom, scenario);
      expectCleanLogs(worker!, workerFrom, scenario);
      expect(outageLines(api!, apiFrom, 'postgres').errors).toEqual([]);
    }, 60_000);
  }
});
