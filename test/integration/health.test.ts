import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createDatabase } from '../../src/db/client.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { createReadinessCheck } from '../../src/modules/health/health.service.js';
import { createRedis } from '../../src/redis.js';
import { expectProblem, registerAdmin, uniqueEmail } from '../helpers/admin.js';
import { useTestContext } from '../helpers/context.js';
import { childEnv, freePort, logRecords, startEntryPoint, startPrivateRedis, type PrivateRedis } from '../helpers/processes.js';
import { waitFor } from '../helpers/worker.js';

const ctx = useTestContext();

/** Collects what the readiness check logs, to count lines per outage. */
function captureLogs() {
  const lines: Array<{ level: 'warn' | 'info'; obj: Record<string, unknown>; msg: string }> = [];
  return {
    lines,
    logger: {
      warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
      info: (obj: object, msg: string) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    },
  };
}

describe('the readiness check', () => {
  it('reports a PostgreSQL that never answers as "timeout" and a closed Redis port as "unreachable", logging each detail once', async () => {
    // A server that accepts connections and never says a word, like a host behind a dead link.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const silentPort = (silent.address() as { port: number }).port;
    const database = createDatabase({ url: `postgres://postgres:pw@127.0.0.1:${silentPort}/none`, poolMax: 1, applicationName: 'readiness-test' });
    const redis = createRedis(`redis://:pw@127.0.0.1:${await freePort()}`, 'command', 'readiness-test');
    const { lines, logger } = captureLogs();
    try {
      const readiness = createReadinessCheck({ db: database.db, redis, logger, timeoutMs: 300 });
      const expected = { status: 'fail', checks: { postgres: { status: 'fail', error: 'timeout' }, redis: { status: 'fail', error: 'unreachable' } } };
      expect(await readiness()).toEqual(expected);
      expect(await readiness()).toEqual(expected);
      // One line per failing dependency, however often the probe is polled, with the driver's words in the log.
      expect(lines.map((line) => [line.level, line.obj.dependency, line.obj.reason]).sort()).toEqual([
        ['warn', 'postgres', 'timeout'],
        ['warn', 'redis', 'unreachable'],
      ]);
      expect(lines.find((line) => line.obj.dependency === 'redis')!.obj.detail).toEqual(expect.any(String));
    } finally {
      redis.disconnect();
      for (const socket of sockets) socket.destroy();
      silent.close();
      await database.close();
    }
  });

  it('reports stopped consumers', async () => {
    const { logger } = captureLogs();
    const readiness = createReadinessCheck({ db: ctx.deps.database.db, redis: ctx.deps.redis, logger, consumersRunning: () => false });
    expect(await readiness()).toEqual({
      status: 'fail',
      checks: { postgres: { status: 'ok' }, redis: { status: 'ok' }, consumers: { status: 'fail', error: 'stopped' } },
    });
  });
});

describe('the API while Redis is down', () => {
  let redis: PrivateRedis;
  let deps: Deps;
  let app: FastifyInstance;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    deps = await createDeps({ ...ctx.config, redisUrl: redis.url() }, { role: 'test', logger: pino({ level: 'silent' }) });
    app = await buildApp(deps);
    await app.ready();
  });

  afterAll(async () => {
    await redis?.start().catch(() => {});
    await app?.close();
    await deps?.close();
    await redis?.stop();
  });

  it('/readyz answers 503 naming Redis with a stable word, login and register answer 503 QUEUE_UNAVAILABLE with Retry-After, and all recover', async () => {
    const admin = await registerAdmin(app);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);

    await redis.stop();
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ status: 'fail', checks: { postgres: { status: 'ok' }, redis: { status: 'fail', error: 'unreachable' } } });

    const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: admin.email, password: 'correct horse battery' } });
    expectProblem(login, 503, 'QUEUE_UNAVAILABLE');
    expect(Number(login.headers['retry-after'])).toBeGreaterThan(0);
    const register = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email: uniqueEmail(), password: 'correct horse battery' } });
    expectProblem(register, 503, 'QUEUE_UNAVAILABLE');
    expect(Number(register.headers['retry-after'])).toBeGreaterThan(0);

    await redis.start();
    await waitFor(async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { timeoutMs: 15_000, what: 'the API to see Redis again' });
    const again = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: admin.email, password: 'correct horse battery' } });
    expect(again.statusCode, again.body).toBe(200);
  });
});

describe('the worker process while Redis is down', () => {
  it('/readyz answers 503 naming Redis, logs the outage through the logger only, and is ready again once Redis is back', async () => {
    const redis = await startPrivateRedis();
    const healthPort = await freePort();
    const worker = startEntryPoint('src/worker.ts', childEnv(ctx, { REDIS_URL: redis.url(), WORKER_HEALTH_PORT: String(healthPort), LOG_LEVEL: 'info' }));
    const readyz = async () => {
      const response = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
      return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, unknown> } };
    };
    try {
      await waitFor(async () => (await readyz().catch(() => undefined))?.status === 200, { timeoutMs: 30_000, what: 'the worker to be ready' });
      expect((await readyz()).body).toEqual({ status: 'ok', checks: { postgres: { status: 'ok' }, redis: { status: 'ok' }, consumers: { status: 'ok' } } });

      await redis.stop();
      const down = await readyz();
      expect(down.status).toBe(503);
      expect(down.body.checks).toEqual({ postgres: { status: 'ok' }, redis: { status: 'fail', error: 'unreachable' }, consumers: { status: 'ok' } });
      // Let the reconnection attempts run until the worker's command connection (the one its queue producers share)
      // has logged the outage; then check that none of them reached stderr raw and each connection logged it once.
      await waitFor(async () => logRecords(worker.output()).some((record) => record.connection === 'redis oa-platform-worker'), {
        timeoutMs: 10_000,
        what: 'the outage to be logged',
      });
      await redis.start();
      await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 20_000, what: 'the worker to see Redis again' });

      const output = worker.output();
      const rawLines = output.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
      expect(rawLines, output).toEqual([]);
      const lost = logRecords(output).filter((record) => /connection lost/.test(String(record.msg)));
      const connections = lost.map((record) => record.connection);
      expect(new Set(connections).size, JSON.stringify(lost)).toBe(connections.length);
      // The producers' Queues re-emit their shared connection's errors: logged once, by the connection's watcher.
      expect(connections.filter((name) => String(name).startsWith('queue '))).toEqual([]);
    } finally {
      worker.child.kill('SIGKILL');
      await worker.exited;
      await redis.stop();
    }
  });
});
