import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { runMigrations } from '../src/db/migrate.js';
import { deleteKeysWithPrefix } from '../src/redis.js';
import { dropDatabasesWithPrefix, testRedisUrl, testServerUrl } from './helpers/databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    runId: string;
    templateDatabase: string;
  }
}

/**
 * Once per run: a run id that names every database and Redis prefix this run creates, and a template database
 * with all migrations applied, which each test file clones. Everything is removed at the end, so a developer's
 * own oa_platform database and Redis keys are never touched and the suite can run twice in a row.
 */
export default async function setup(project: TestProject) {
  const runId = `oa_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const templateDatabase = `${runId}_template`;
  await runMigrations(testServerUrl(templateDatabase));
  project.provide('runId', runId);
  project.provide('templateDatabase', templateDatabase);

  return async function teardown() {
    await dropDatabasesWithPrefix(runId);
    const redis = new Redis(testRedisUrl(), { lazyConnect: true });
    await redis.connect();
    await deleteKeysWithPrefix(redis, runId);
    await redis.quit();
  };
}
