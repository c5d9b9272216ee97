import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections, following BullMQ's production checklist:
 * - command connections (API-side reads/writes and queue producers) fail fast, so a request errors instead of
 *   hanging while Redis is down;
 * - worker connections block on BRPOPLPUSH-style commands and must retry forever (maxRetriesPerRequest: null).
 */
export type RedisRole = 'command' | 'worker';

export function createRedis(url: string, role: RedisRole, connectionName: string): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true, connectionName };
  const redis = new Redis(url, options);
  // ioredis reconnects by itself; without a listener an 'error' event would crash the process.
  redis.on('error', () => {});
  return redis;
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
