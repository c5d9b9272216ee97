import type { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createDatabase, type DatabaseHandle } from './db/client.js';
import { createAccountsService, type AccountsService } from './modules/accounts/accounts.service.js';
import { createQuotaService, type QuotaService } from './modules/accounts/quota.service.js';
import { createAuthService, type AuthService } from './modules/auth/auth.service.js';
import { createClientService, type ClientService } from './modules/client/client.service.js';
import { createFollowersService, type FollowersService } from './modules/followers/followers.service.js';
import { createBroadcastJobs, type BroadcastJobs } from './modules/broadcasts/broadcasts.jobs.js';
import { createBroadcastsService, type BroadcastsService } from './modules/broadcasts/broadcasts.service.js';
import { createFanout, type Fanout } from './modules/broadcasts/fanout.js';
import { createProducers, type Producers } from './queues/queues.js';
import { createRedis } from './redis.js';

/**
 * The one composition root. The API process, the worker process, tests and benchmarks all build their
 * dependencies here, so they run the same services over the same connections.
 */
export interface Deps {
  config: Config;
  logger: Logger;
  clock: Clock;
  database: DatabaseHandle;
  /** Fail-fast connection for request-path commands (rate limits, login lockouts, queue producers). */
  redis: Redis;
  producers: Producers;
  services: {
    auth: AuthService;
    accounts: AccountsService;
    quota: QuotaService;
    followers: FollowersService;
    client: ClientService;
    broadcasts: BroadcastsService;
    broadcastJobs: BroadcastJobs;
    /** The fan-out steps; run by the worker's consumers (and by tests directly). */
    fanout: Fanout;
  };
  close(): Promise<void>;
}

export interface DepsOptions {
  role: 'api' | 'worker' | 'test' | 'cli';
  clock?: Clock;
  logger?: Logger;
}

export async function createDeps(config: Config, options: DepsOptions): Promise<Deps> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { role: options.role } });
  const clock = options.clock ?? systemClock;
  const database = createDatabase({ url: config.databaseUrl, poolMax: config.databasePoolMax, applicationName: `oa-platform-${options.role}` });
  const redis = createRedis(config.redisUrl, 'command', `oa-platform-${options.role}`);
  try {
    await redis.connect();
  } catch (error) {
    await database.close();
    redis.disconnect();
    throw new Error(`Cannot connect to Redis at ${config.redisUrl}: ${(error as Error).message}`);
  }

  const { db } = database;
  const producers = createProducers(redis, config.redisPrefix);
  const quota = createQuotaService({ db, clock, timeZone: config.quotaTimeZone });
  const broadcastJobs = createBroadcastJobs(producers);
  const broadcasts = createBroadcastsService({ db, clock, quota, jobs: broadcastJobs, timeZone: config.quotaTimeZone, log: logger });
  const services = {
    auth: createAuthService({
      db,
      redis,
      redisPrefix: config.redisPrefix,
      maxFailures: config.login.maxFailures,
      lockoutSeconds: config.login.lockoutSeconds,
    }),
    accounts: createAccountsService({ db, clock }),
    quota,
    followers: createFollowersService({ db, clock }),
    client: createClientService({ db, clock, articles: { articleExists: broadcasts.articleExists } }),
    broadcasts,
    broadcastJobs,
    fanout: createFanout({ db, clock, quota, jobs: broadcastJobs, batchSize: config.fanout.batchSize, logger }),
  };

  return {
    config,
    logger,
    clock,
    database,
    redis,
    producers,
    services,
    async close() {
      await producers.close().catch(() => {});
      await Promise.allSettled([database.close(), redis.quit()]);
    },
  };
}
