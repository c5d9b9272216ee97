import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { redactUrl, type Config } from './config.js';
import { createDatabase, type DatabaseHandle } from './db/client.js';
import { describeError, StartupError } from './errors.js';
import { createLogger } from './logger.js';
import { createAccountsService, type AccountsService } from './modules/accounts/accounts.service.js';
import { createQuotaService, type QuotaService } from './modules/accounts/quota.service.js';
import { createAuthService, type AuthService } from './modules/auth/auth.service.js';
import { createPrincipalsService, type PrincipalsService } from './modules/auth/principals.service.js';
import { createClientService, type ClientService } from './modules/client/client.service.js';
import { createEventsService, type EventsService } from './modules/events/events.service.js';
import { createFollowersService, type FollowersService } from './modules/followers/followers.service.js';
import { pingDatabase } from './modules/health/health.repo.js';
import { createBroadcastJobs, type BroadcastJobs } from './modules/broadcasts/broadcasts.jobs.js';
import { createBroadcastsService, type BroadcastsService } from './modules/broadcasts/broadcasts.service.js';
import { createFanout, type Fanout } from './modules/broadcasts/fanout.service.js';
import { createOutboundHttp, type OutboundHttp } from './modules/webhooks/outbound-http.js';
import { createDatacube, type Datacube } from './modules/stats/datacube.js';
import { createMediaService, type MediaService } from './modules/media/media.service.js';
import { createQrcodesService, type QrcodesService } from './modules/qrcodes/qrcodes.service.js';
import { createTemplatesService, type TemplatesService } from './modules/templates/templates.service.js';
import { createMenusService, type MenusService } from './modules/menus/menus.service.js';
import { createCustomMessagesService, type CustomMessagesService } from './modules/messages/custom.service.js';
import { createTypingState } from './modules/messages/typing.js';
import { createChatsService, type ChatsService } from './modules/client/chats.service.js';
import { createLocalDiskStore } from './modules/media/media.store.js';
import { createAccessTokens } from './modules/wechat/access-tokens.js';
import { createCallLimits, type CallLimits } from './modules/wechat/call-limits.js';
import { createWechatAuth, type WechatAuth } from './modules/wechat/wechat-auth.js';
import { createStatsService, type StatsService } from './modules/stats/stats.service.js';
import { createWebhooksService, type WebhooksService } from './modules/webhooks/webhooks.service.js';
import { createProducers, type Producers } from './queues/queues.js';
import { createRedis, watchConnection } from './redis.js';

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
  /** Calls to developers' servers (URL verification, pushes): private addresses refused unless configured. */
  outboundHttp: OutboundHttp;
  services: {
    auth: AuthService;
    /** Whether the users that tokens name exist (admin and WeChat users). */
    principals: PrincipalsService;
    accounts: AccountsService;
    quota: QuotaService;
    followers: FollowersService;
    /** The follower side's append-only facts (follows, messages, engagements): group-committed writes, reads. */
    events: EventsService;
    client: ClientService;
    broadcasts: BroadcastsService;
    broadcastJobs: BroadcastJobs;
    /** The fan-out steps; run by the worker's consumers (and by tests directly). */
    fanout: Fanout;
    webhooks: WebhooksService;
    stats: StatsService;
    /** WeChat's /datacube views over the statistics, for the WeChat-compatible API to mount. */
    datacube: Datacube;
    /** Uploaded media: files on disk, rows in PostgreSQL. */
    media: MediaService;
    /** Custom menus: the account's menu, and the taps that push events. */
    menus: MenusService;
    /** Customer-service messages within the 48-hour window. */
    customMessages: CustomMessagesService;
    /** The follower's chat list: conversations, the Subscriptions folder, read markers, typing. */
    chats: ChatsService;
    /** Parametric QR codes: tickets, their images, and the follows and SCANs their scans make. */
    qrcodes: QrcodesService;
    /** Template messages: the account's industries and templates, sends that land in inboxes and push TEMPLATESENDJOBFINISH. */
    templates: TemplatesService;
    /** The WeChat-compatible API's callers: access tokens and daily call limits. */
    wechat: { auth: WechatAuth; callLimits: CallLimits };
  };
  close(): Promise<void>;
}

export interface DepsOptions {
  role: 'api' | 'worker' | 'test' | 'cli';
  clock?: Clock;
  logger?: Logger;
}

export async function createDeps(config: Config, options: DepsOptions): Promise<Deps> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, role: options.role });
  const clock = options.clock ?? systemClock;
  const database = createDatabase({ url: config.databaseUrl, poolMax: config.databasePoolMax, applicationName: `oa-platform-${options.role}` });
  // A process that cannot reach PostgreSQL at boot stops with one clear line (its supervisor restarts it), rather
  // than passing for started; checked before the watcher, which would log the same failure a second time.
  try {
    await pingDatabase(database.db);
  } catch (error) {
    await database.close();
    throw new StartupError(`PostgreSQL at ${redactUrl(config.databaseUrl)} is unreachable: ${describeError(error)}`);
  }
  // One warning when PostgreSQL is lost, one line when it is back (the pool probes it meanwhile).
  watchConnection(database.connectivity, logger, 'postgres');
  const redis = createRedis(config.redisUrl, 'command', `oa-platform-${options.role}`);
  try {
    await redis.connect();
  } catch (error) {
    await database.close();
    redis.disconnect();
    throw new StartupError(`Redis at ${redactUrl(config.redisUrl)} is unreachable: ${describeError(error)}`);
  }
  // Watched once connected: a failure to connect at boot is reported by the StartupError alone, in one line.
  watchConnection(redis, logger, `redis oa-platform-${options.role}`);

  const { db } = database;
  const producers = createProducers(redis, config.redisPrefix, logger);
  const quota = createQuotaService({ db, clock, timeZone: config.quotaTimeZone });
  const broadcastJobs = createBroadcastJobs(producers);
  const broadcasts = createBroadcastsService({ db, clock, quota, jobs: broadcastJobs, timeZone: config.quotaTimeZone, log: logger });
  const events = createEventsService({ db, pool: database.pool, grouping: config.eventGroups });
  const outboundHttp = createOutboundHttp({
    allowPrivateAddresses: config.webhooks.allowPrivateAddresses,
    totalTimeoutMs: config.webhooks.timeoutMs,
    // WeChat gives a server 3 s to accept the connection, within the 5 s of the whole exchange.
    connectTimeoutMs: Math.min(3_000, config.webhooks.timeoutMs),
  });
  const stats = createStatsService({ db, clock, timeZone: config.quotaTimeZone });
  const media = createMediaService({ db, clock, store: createLocalDiskStore(config.media.dir), log: logger });
  const callLimits = createCallLimits({ redis, redisPrefix: config.redisPrefix, clock, timeZone: config.quotaTimeZone, limits: config.wechat.callLimits });
  const typing = createTypingState({ redis, redisPrefix: config.redisPrefix, clock });
  const accessTokens = createAccessTokens({ redis, redisPrefix: config.redisPrefix, clock, signingSecret: config.jwtSecret });
  const services = {
    auth: createAuthService({
      db,
      redis,
      redisPrefix: config.redisPrefix,
      maxFailures: config.login.maxFailures,
      lockoutSeconds: config.login.lockoutSeconds,
    }),
    principals: createPrincipalsService({ db, clock }),
    accounts: createAccountsService({ db, clock }),
    quota,
    followers: createFollowersService({ db, clock }),
    events,
    client: createClientService({ db, clock, events }),
    broadcasts,
    broadcastJobs,
    fanout: createFanout({
      db,
      clock,
      quota,
      jobs: broadcastJobs,
      batchSize: config.fanout.batchSize,
      timeZone: config.quotaTimeZone,
      maxAttempts: config.fanout.maxAttempts,
      retryDelayMs: config.fanout.retryDelayMs,
      logger,
    }),
    webhooks: createWebhooksService({ db, clock, http: outboundHttp }),
    stats,
    datacube: createDatacube({ stats }),
    media,
    menus: createMenusService({ db, clock, media }),
    customMessages: createCustomMessagesService({ db, clock, media, typing }),
    chats: createChatsService({ db, clock, typing }),
    qrcodes: createQrcodesService({ db, clock, events }),
    templates: createTemplatesService({ db, clock }),
    wechat: { auth: createWechatAuth({ db, tokens: accessTokens, callLimits }), callLimits },
  };

  return {
    config,
    logger,
    clock,
    database,
    redis,
    producers,
    outboundHttp,
    services,
    async close() {
      // Events still waiting for their group are written (and their callers answered) before the pool closes.
      await events.close().catch(() => {});
      await producers.close().catch(() => {});
      await outboundHttp.close().catch(() => {});
      await Promise.allSettled([database.close(), redis.quit()]);
    },
  };
}
