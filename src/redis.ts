import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections, following BullMQ's production checklist:
 * - command connections (API-side reads/writes and queue producers) fail fast, so a request errors instead of
 *   hanging while Redis is down;
 * - worker connections block on BRPOPLPUSH-style commands and must retry forever (maxRetriesPerRequest: null).
 */
export type RedisRole = 'command' | 'worker';

export function createRedis(url: string, role: RedisRole, connectionName: string, logger?: OutageLogger): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true, connectionName };
  const redis = new Redis(url, options);
  // ioredis reconnects by itself; without a listener an 'error' event would crash the process. With a logger, an
  // outage is one line when it starts and one when it ends, not one per reconnection attempt.
  if (logger) watchConnection(redis, logger, `redis ${connectionName}`);
  else redis.on('error', () => {});
  return redis;
}

/**
 * A Lua script run by its SHA-1 (EVALSHA), so the script's text crosses the wire once per Redis server rather than
 * on every call; after a Redis restart (NOSCRIPT) it is sent again.
 */
export function luaScript(source: string, keyCount: number) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis: Redis, ...keysAndArgs: Array<string | number>): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keyCount, ...keysAndArgs);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(source, keyCount, ...keysAndArgs);
    }
  };
}

/** Namespaces an application key under the deployment's REDIS_PREFIX, as BullMQ does for queues. */
export function redisKey(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join(':');
}

/** Deletes every key under a prefix; used by tests and benchmarks to leave Redis as they found it. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** The little of a logger that connection watching needs; pino's Logger fits. */
export interface OutageLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

// Errors some watcher has logged. BullMQ Queues and Workers re-emit their connection's errors (the same objects),
// so a Queue over an already-watched client would otherwise log the same outage a second time.
const reportedErrors = new WeakSet<object>();

/**
 * Logs a connection's outage once and its recovery once, instead of one line (or a raw stack on stderr) per retry.
 * Works for ioredis clients and for BullMQ Queue/Worker objects, which re-emit their connection's errors: without
 * an 'error' listener those would be printed raw or crash the process. `recoveredOn` names the event that means
 * the connection is back ('ready' for ioredis; BullMQ Workers and Queues have none, so pass the ioredis client too).
 * An outage whose error another watcher already logged (a Queue over a watched client) is not logged again.
 */
export function watchConnection(emitter: EventEmitter, logger: OutageLogger, name: string, recovery?: { emitter: EventEmitter; event: string }): void {
  let down = false;
  let logged = false;
  let since = 0;
  emitter.on('error', (error: Error) => {
    // BullMQ's scripts fail with a numeric code (-1: a job's key is missing, as after Redis came back empty; -2: a
    // lock lost): a job's trouble, not the connection's, and it says nothing of an outage or of its end.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') {
      logger.warn({ connection: name, err: { message: error.message, code } }, `${name}: ${error.message}`);
      return;
    }
    const seenElsewhere = reportedErrors.has(error);
    if (typeof error === 'object' && error !== null) reportedErrors.add(error);
    if (down) return;
    down = true;
    since = Date.now();
    logged = !seenElsewhere;
    if (logged) logger.warn({ connection: name, err: { message: error.message, code: (error as NodeJS.ErrnoException).code } }, `${name}: connection lost`);
  });
  const back = recovery ?? { emitter, event: 'ready' };
  back.emitter.on(back.event, () => {
    if (!down) return;
    down = false;
    if (logged) logger.info({ connection: name, downMs: Date.now() - since }, `${name}: connection restored`);
  });
}
