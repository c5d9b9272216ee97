import { isIP, isIPv4 } from 'node:net';
import path from 'node:path';
import envSchema from 'env-schema';
import { Type, type Static } from 'typebox';

/**
 * The service's whole configuration. This module is the only place that reads process.env; everything else
 * receives a Config. Validation happens once, at start-up, and names the offending variable.
 */
const ConfigSchema = Type.Object({
  NODE_ENV: Type.Enum(['development', 'test', 'production'], { default: 'development' }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  WORKER_HEALTH_PORT: Type.Integer({ default: 3001, minimum: 0, maximum: 65535 }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),

  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/oa_platform', pattern: '^postgres(ql)?://' }),
  DATABASE_POOL_MAX: Type.Integer({ default: 10, minimum: 1, maximum: 500 }),
  // Group commit of follower-side events (follows, messages, engagements): rows per statement, statements in flight
  // per kind, and how long a group waits to fill (0: it takes what arrived in the same event-loop turn).
  EVENTS_GROUP_MAX_ROWS: Type.Integer({ default: 500, minimum: 1, maximum: 5_000 }),
  EVENTS_GROUP_CONCURRENCY: Type.Integer({ default: 2, minimum: 1, maximum: 64 }),
  EVENTS_GROUP_LINGER_MS: Type.Integer({ default: 0, minimum: 0, maximum: 1_000 }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379', pattern: '^rediss?://' }),
  REDIS_PREFIX: Type.String({ default: 'oa', pattern: '^[A-Za-z0-9_.-]{1,64}$' }),

  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_EXPIRES_IN: Type.String({ default: '1h', pattern: '^[0-9]+[smhd]$' }),
  CLIENT_TOKEN_EXPIRES_IN: Type.String({ default: '30d', pattern: '^[0-9]+[smhd]$' }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 1_048_576, minimum: 1024, maximum: 104_857_600 }),
  HTTP_COMPRESSION: Type.Boolean({ default: true }),

  LOGIN_MAX_FAILURES: Type.Integer({ default: 5, minimum: 1 }),
  LOGIN_LOCKOUT_SECONDS: Type.Integer({ default: 900, minimum: 1 }),
  AUTH_RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 30, minimum: 1 }),
  // Empty: X-Forwarded-For is ignored, because without a proxy in front it is whatever the client wrote.
  TRUST_PROXY: Type.String({ default: '' }),

  CLIENT_API_ENABLED: Type.Boolean({ default: true }),
  CLIENT_RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 120, minimum: 1 }),
  CLIENT_IP_RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 1200, minimum: 1 }),
  CLIENT_SIGNUP_RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 30, minimum: 1 }),

  QUOTA_TIMEZONE: Type.String({ default: 'Asia/Shanghai', minLength: 1 }),
  // Developers' servers on loopback or private networks are reachable from development and test set-ups only by
  // default: in production such a URL would let an account owner make the platform call its internal services.
  WEBHOOK_ALLOW_PRIVATE: Type.Optional(Type.Boolean()),
  // WeChat's own limit for a push or a URL verification: the developer's server answers within 5 s or it failed.
  WEBHOOK_TIMEOUT_MS: Type.Integer({ default: 5_000, minimum: 100, maximum: 60_000 }),
  WEBHOOK_LOG_RETENTION_DAYS: Type.Integer({ default: 7, minimum: 1, maximum: 3650 }),
  // Uploaded media (WeChat's temporary media and article images): a directory, created if missing.
  MEDIA_DIR: Type.String({ default: './data/media', minLength: 1 }),
  // The public origin of this server (https://mp.example.com) for the URLs it hands out (media, QR codes); empty:
  // the origin each request came to.
  PUBLIC_URL: Type.String({ default: '', pattern: '^(https?://[^/?#]+)?$' }),
  // WeChat's daily call limits per interface, overridden where given: JSON such as {"/cgi-bin/user/get": 1000}.
  WECHAT_CALL_LIMITS: Type.String({ default: '{}' }),
  /** How often the worker folds new events into the statistics rollups (the figures' freshness). */
  STATS_FOLD_INTERVAL_MS: Type.Integer({ default: 1000, minimum: 50, maximum: 60_000 }),
  // 20,000 measured best for a million followers on 2 cores (bench:fanout): fewer commits, short transactions still.
  FANOUT_BATCH_SIZE: Type.Integer({ default: 20_000, minimum: 1, maximum: 100_000 }),
  FANOUT_BATCH_CONCURRENCY: Type.Integer({ default: 2, minimum: 1, maximum: 64 }),
  FANOUT_PLAN_CONCURRENCY: Type.Integer({ default: 2, minimum: 1, maximum: 64 }),
  // Failed attempts (counted in PostgreSQL) after which a batch's followers count as errors; retries back off from
  // FANOUT_RETRY_DELAY_MS, doubling: the defaults give up after about two minutes of failures.
  FANOUT_MAX_ATTEMPTS: Type.Integer({ default: 8, minimum: 1, maximum: 100 }),
  FANOUT_RETRY_DELAY_MS: Type.Integer({ default: 1000, minimum: 0, maximum: 600_000 }),
  WORKER_LOCK_DURATION_MS: Type.Integer({ default: 30_000, minimum: 1000 }),
  SWEEP_INTERVAL_MS: Type.Integer({ default: 30_000, minimum: 100 }),
  SHUTDOWN_GRACE_MS: Type.Integer({ default: 25_000, minimum: 0 }),
});

type RawConfig = Static<typeof ConfigSchema>;

export interface Config {
  env: RawConfig['NODE_ENV'];
  host: string;
  port: number;
  workerHealthPort: number;
  logLevel: RawConfig['LOG_LEVEL'];
  databaseUrl: string;
  databasePoolMax: number;
  /** Group commit of follower-side events (src/db/group-commit.ts). */
  eventGroups: { maxRows: number; maxConcurrentGroups: number; lingerMs: number };
  redisUrl: string;
  redisPrefix: string;
  jwtSecret: string;
  jwtExpiresIn: string;
  clientTokenExpiresIn: string;
  bodyLimitBytes: number;
  /** Answers compressed when the client accepts it (src/http/compression.ts); off where a proxy in front does it. */
  httpCompression: boolean;
  login: { maxFailures: number; lockoutSeconds: number; rateLimitPerMinute: number };
  /** Fastify's trustProxy: false, or the proxy addresses/CIDRs whose X-Forwarded-For is believed. */
  trustProxy: false | string[];
  /** The /client/v1 simulator of the WeChat app: off where a real follower side exists; limits per minute. */
  client: { apiEnabled: boolean; rateLimitPerMinute: number; ipRateLimitPerMinute: number; signupRateLimitPerMinute: number };
  quotaTimeZone: string;
  /** Calls to developers' servers: private addresses allowed?, and the deadline of each call. */
  webhooks: { allowPrivateAddresses: boolean; timeoutMs: number; logRetentionDays: number };
  stats: { foldIntervalMs: number };
  /** Uploaded media: where files are kept. */
  media: { dir: string };
  /** The public origin of the URLs this server hands out (undefined: the request's own). */
  publicUrl: string | undefined;
  /** The WeChat-compatible API: daily call limits that differ from WeChat's defaults (src/modules/wechat/call-limits.ts). */
  wechat: { callLimits: Record<string, number> };
  fanout: { batchSize: number; batchConcurrency: number; planConcurrency: number; maxAttempts: number; retryDelayMs: number };
  worker: { lockDurationMs: number; sweepIntervalMs: number };
  shutdownGraceMs: number;
}

/** Thrown with a message that names every bad variable, so an operator can fix them in one go. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * A connection URL fit for logs and messages: its password (DATABASE_URL, REDIS_URL may carry one) masked. Every
 * place that prints such a URL goes through here.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Cannot tell the password apart in a URL that does not parse: print none of it.
    return '(unparseable URL)';
  }
}

/** Public (it is in the source), so it is only accepted while the API cannot be reached from another machine. */
export const DEVELOPMENT_JWT_SECRET = 'oa-platform-development-secret-do-not-use-in-production';

/** WECHAT_CALL_LIMITS: a JSON object from interface paths (`/cgi-bin/...`) to whole numbers of calls a day. */
function parseCallLimits(text: string): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError('Invalid configuration: WECHAT_CALL_LIMITS is not JSON (expected e.g. {"/cgi-bin/user/get": 1000})');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('Invalid configuration: WECHAT_CALL_LIMITS must be a JSON object of interface paths to daily limits');
  }
  for (const [path, limit] of Object.entries(parsed)) {
    if (!path.startsWith('/') || !Number.isSafeInteger(limit) || (limit as number) < 0) {
      throw new ConfigError(`Invalid configuration: WECHAT_CALL_LIMITS["${path}"] must be a path starting with / and a whole number of calls ≥ 0`);
    }
  }
  return parsed as Record<string, number>;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let raw: RawConfig;
  try {
    raw = envSchema<RawConfig>({ schema: ConfigSchema, data: { ...env }, env: false, dotenv: false });
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${describeEnvError(error)}`);
  }
  if (raw.NODE_ENV === 'production' && !raw.JWT_SECRET) {
    throw new ConfigError('Invalid configuration: JWT_SECRET is required when NODE_ENV=production (at least 32 characters)');
  }
  if ((raw.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET) === DEVELOPMENT_JWT_SECRET && (raw.NODE_ENV === 'production' || !isLoopbackHost(raw.HOST))) {
    throw new ConfigError(
      `Invalid configuration: JWT_SECRET must be set to a secret of your own (at least 32 characters) when HOST=${raw.HOST}: ` +
        'the development secret is public, so it is only accepted while the API listens on loopback (127.0.0.1, ::1, localhost)',
    );
  }
  const trustProxy = parseTrustProxy(raw.TRUST_PROXY);
  if (!isKnownTimeZone(raw.QUOTA_TIMEZONE)) {
    throw new ConfigError(`Invalid configuration: QUOTA_TIMEZONE "${raw.QUOTA_TIMEZONE}" is not an IANA time zone`);
  }
  return {
    env: raw.NODE_ENV,
    host: raw.HOST,
    port: raw.PORT,
    workerHealthPort: raw.WORKER_HEALTH_PORT,
    logLevel: raw.LOG_LEVEL,
    databaseUrl: raw.DATABASE_URL,
    databasePoolMax: raw.DATABASE_POOL_MAX,
    eventGroups: { maxRows: raw.EVENTS_GROUP_MAX_ROWS, maxConcurrentGroups: raw.EVENTS_GROUP_CONCURRENCY, lingerMs: raw.EVENTS_GROUP_LINGER_MS },
    redisUrl: raw.REDIS_URL,
    redisPrefix: raw.REDIS_PREFIX,
    jwtSecret: raw.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
    jwtExpiresIn: raw.JWT_EXPIRES_IN,
    clientTokenExpiresIn: raw.CLIENT_TOKEN_EXPIRES_IN,
    bodyLimitBytes: raw.BODY_LIMIT_BYTES,
    httpCompression: raw.HTTP_COMPRESSION,
    login: {
      maxFailures: raw.LOGIN_MAX_FAILURES,
      lockoutSeconds: raw.LOGIN_LOCKOUT_SECONDS,
      rateLimitPerMinute: raw.AUTH_RATE_LIMIT_PER_MINUTE,
    },
    trustProxy,
    client: {
      apiEnabled: raw.CLIENT_API_ENABLED,
      rateLimitPerMinute: raw.CLIENT_RATE_LIMIT_PER_MINUTE,
      ipRateLimitPerMinute: raw.CLIENT_IP_RATE_LIMIT_PER_MINUTE,
      signupRateLimitPerMinute: raw.CLIENT_SIGNUP_RATE_LIMIT_PER_MINUTE,
    },
    webhooks: { allowPrivateAddresses: raw.WEBHOOK_ALLOW_PRIVATE ?? raw.NODE_ENV !== 'production', timeoutMs: raw.WEBHOOK_TIMEOUT_MS, logRetentionDays: raw.WEBHOOK_LOG_RETENTION_DAYS },
    quotaTimeZone: raw.QUOTA_TIMEZONE,
    stats: { foldIntervalMs: raw.STATS_FOLD_INTERVAL_MS },
    wechat: { callLimits: parseCallLimits(raw.WECHAT_CALL_LIMITS) },
    media: { dir: path.resolve(raw.MEDIA_DIR) },
    publicUrl: raw.PUBLIC_URL || undefined,
    fanout: {
      batchSize: raw.FANOUT_BATCH_SIZE,
      batchConcurrency: raw.FANOUT_BATCH_CONCURRENCY,
      planConcurrency: raw.FANOUT_PLAN_CONCURRENCY,
      maxAttempts: raw.FANOUT_MAX_ATTEMPTS,
      retryDelayMs: raw.FANOUT_RETRY_DELAY_MS,
    },
    worker: { lockDurationMs: raw.WORKER_LOCK_DURATION_MS, sweepIntervalMs: raw.SWEEP_INTERVAL_MS },
    shutdownGraceMs: raw.SHUTDOWN_GRACE_MS,
  };
}

/** env-schema reports ajv paths such as "/PORT must be integer"; turn them into "PORT must be integer". */
function describeEnvError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/env\//g, '')
    .replace(/must have required property '([A-Z_]+)'/g, '$1 is required');
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));
}

/** Names proxy-addr (behind Fastify's trustProxy) gives to address ranges. */
const NAMED_PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: empty trusts no proxy; otherwise comma-separated addresses, CIDRs or proxy-addr range names of the
 * proxies in front of the API. `true` (trust every hop) is refused: the left-most X-Forwarded-For entry it would
 * believe is written by the client. So is a hop count: Fastify 5 ignores one (it cannot tell a proxy from a client
 * that reached the API directly), and silently trusting nothing would surprise whoever set it.
 */
function parseTrustProxy(value: string): Config['trustProxy'] {
  const text = value.trim();
  if (text === '') return false;
  if (/^[0-9]+$/.test(text)) {
    throw new ConfigError(`Invalid configuration: TRUST_PROXY must name the proxies' addresses or CIDRs, not a hop count (${text})`);
  }
  const entries = text.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !isProxyAddress(entry));
  if (bad.length > 0) {
    throw new ConfigError(
      `Invalid configuration: TRUST_PROXY must be a hop count or comma-separated proxy addresses/CIDRs (or loopback, linklocal, uniquelocal); ` +
        `not ${bad.map((entry) => JSON.stringify(entry)).join(', ')}`,
    );
  }
  return entries;
}

function isProxyAddress(entry: string): boolean {
  if (NAMED_PROXY_RANGES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
