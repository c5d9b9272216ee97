import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { deleteKeysWithPrefix } from '../../src/redis.js';
import { TestClock } from './clock.js';
import { createDatabaseFromTemplate, dropDatabase, testRedisUrl, testServerUrl } from './databases.js';

export interface TestContext {
  app: FastifyInstance;
  deps: Deps;
  config: Config;
  clock: TestClock;
  databaseUrl: string;
  redisPrefix: string;
}

const depsOfApp = new WeakMap<FastifyInstance, Deps>();

/**
 * The dependencies an app from useTestContext was built over: for helpers that take only the app but must act as a
 * platform operator would (e.g. verify an account), through the same services.
 */
export function depsOf(app: FastifyInstance): Deps {
  const deps = depsOfApp.get(app);
  if (!deps) throw new Error('depsOf: this app was not built by useTestContext');
  return deps;
}

/**
 * Registers beforeAll/afterAll hooks that give the calling test file a database of its own (cloned from the
 * run's migrated template), a Redis prefix of its own, a media directory of its own, and the real app built over them. Returns an object whose
 * fields are filled in by the time the tests run.
 */
export function useTestContext(env: Record<string, string> = {}): TestContext {
  const context = {} as TestContext;
  const suffix = randomBytes(4).toString('hex');
  const databaseName = `${inject('runId')}_${suffix}`;
  const mediaDir = path.join(tmpdir(), `oa-media-${databaseName}`);

  beforeAll(async () => {
    await createDatabaseFromTemplate(databaseName, inject('templateDatabase'));
    context.databaseUrl = testServerUrl(databaseName);
    context.redisPrefix = `${inject('runId')}_${suffix}`;
    context.config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: context.databaseUrl,
      DATABASE_POOL_MAX: '60',
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: context.redisPrefix,
      JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-signing',
      // Tests register many admins from one address; the rate-limit test sets its own, lower limit.
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      // Likewise many WeChat users from one address; security.test.ts sets low client limits of its own.
      CLIENT_RATE_LIMIT_PER_MINUTE: '100000',
      CLIENT_IP_RATE_LIMIT_PER_MINUTE: '100000',
      CLIENT_SIGNUP_RATE_LIMIT_PER_MINUTE: '100000',
      MEDIA_DIR: mediaDir,
      ...env,
    });
    context.clock = new TestClock();
    context.deps = await createDeps(context.config, { role: 'test', clock: context.clock });
    context.app = await buildApp(context.deps);
    depsOfApp.set(context.app, context.deps);
    await context.app.ready();
  });

  afterAll(async () => {
    await context.app?.close();
    if (context.deps) {
      await deleteKeysWithPrefix(context.deps.redis, context.redisPrefix);
      await context.deps.close();
    }
    await dropDatabase(databaseName);
    await rm(mediaDir, { recursive: true, force: true });
  });

  return context;
}
