import { Queue, type DefaultJobOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { watchConnection, type OutageLogger } from '../redis.js';
import type { QueuePayloads } from './payloads.js';

export type { QueuePayloads } from './payloads.js';

/** Every queue; the payload its jobs carry is in payloads.ts, checked before work. */
export const QUEUES = {
  broadcastFanout: 'broadcast-fanout',
  broadcastBatch: 'broadcast-batch',
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/**
 * One attempt per job: retries are decided in PostgreSQL (broadcast_batches.attempts, broadcasts.plan_attempts),
 * which survives what BullMQ forgets or fails on its own (a job stalled too often is failed without a retry). Keep
 * Redis lean: finished jobs are trimmed, failed ones kept a week for inspection.
 */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 1,
  removeOnComplete: { count: 1000, age: 3600 },
  removeOnFail: { count: 5000, age: 7 * 86_400 },
};

export type Producers = { [Name in QueueName]: Queue<QueuePayloads[Name], unknown, string> } & { close(): Promise<void> };

/**
 * Producers over the fail-fast command connection, so an enqueue during a Redis outage errors at once instead of
 * hanging a request. Queue names live under the deployment's REDIS_PREFIX. Each Queue re-emits its connection's
 * errors and, with no listener, BullMQ prints them raw to stderr: the watcher routes them through the logger.
 */
export function createProducers(connection: Redis, prefix: string, logger: OutageLogger): Producers {
  const make = <Name extends QueueName>(name: Name) => {
    const queue = new Queue<QueuePayloads[Name], unknown, string>(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
    watchConnection(queue, logger, `queue ${name}`, { emitter: connection, event: 'ready' });
    return queue;
  };
  const queues = {
    [QUEUES.broadcastFanout]: make(QUEUES.broadcastFanout),
    [QUEUES.broadcastBatch]: make(QUEUES.broadcastBatch),
    [QUEUES.maintenance]: make(QUEUES.maintenance),
  };
  return {
    ...queues,
    async close() {
      await Promise.all(Object.values(queues).map((queue) => queue.close()));
    },
  };
}
