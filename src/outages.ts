import { causeChain, isDatabaseUnavailable } from './db/client.js';
import { AppError } from './errors.js';

/**
 * Telling "a dependency is down" apart from "this request went wrong". A request that fails because PostgreSQL or
 * Redis is unreachable is answered 503 with a stable code and Retry-After, and logged as a warning without a stack:
 * the outage itself is logged once by the connection watchers, not once per request.
 */
export type Dependency = 'postgres' | 'redis';

/** Clients are told to come back after this long; outages that matter last seconds (restart, failover). */
export const RETRY_AFTER_SECONDS = 5;

// ioredis and BullMQ errors of a connection that is closed, reconnecting, or not yet usable.
const REDIS_UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'ConnectionClosedError']);
const REDIS_UNAVAILABLE_MESSAGES = [
  /^Connection is closed\.$/,
  /^Stream isn't writeable/,
  /^None of startup nodes is available/,
  // Server replies while it cannot serve: loading its AOF/RDB after a restart, a replica promoted mid-failover.
  /^(LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY) /,
];
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function isRedisUnavailable(error: unknown): boolean {
  return causeChain(error).some((e) => {
    const { name, message, code } = e as { name?: unknown; message?: unknown; code?: unknown };
    if (typeof name === 'string' && REDIS_UNAVAILABLE_NAMES.has(name)) return true;
    if (typeof message === 'string' && REDIS_UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
    // Every PostgreSQL connection error is recognised above (isDatabaseUnavailable is asked first), so a bare
    // socket error that reaches here came from the other connection a request uses: Redis.
    return typeof code === 'string' && NETWORK_ERRNOS.has(code);
  });
}

/** Which dependency's outage made this error, if any. */
export function unavailableDependency(error: unknown): Dependency | undefined {
  if (isDatabaseUnavailable(error)) return 'postgres';
  if (isRedisUnavailable(error)) return 'redis';
  return undefined;
}

/** The service error for a request that failed because a dependency is down, or undefined for any other error. */
export function toUnavailableError(error: unknown): AppError | undefined {
  const dependency = unavailableDependency(error);
  if (!dependency) return undefined;
  return dependency === 'postgres'
    ? new AppError('DATABASE_UNAVAILABLE', 'The database is unavailable; retry shortly', { retryAfterSeconds: RETRY_AFTER_SECONDS })
    : new AppError('QUEUE_UNAVAILABLE', 'The queue service is unavailable; retry shortly', { retryAfterSeconds: RETRY_AFTER_SECONDS });
}
