import { Queue, type DefaultJobOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/** Every queue, and the payload its jobs carry: ids and ranges only, never followers or article bodies. */
export const QUEUES = {
  broadcastFanout: 'broadcast-fanout',
  broadcastBatch: 'broadcast-batch',
  webhookEvents: 'webhook-events',
} as const;

export interface QueuePayloads {
  [QUEUES.broadcastFanout]: { broadcastId: number };
  [QUEUES.broadcastBatch]: { broadcastId: number; seq: number };
  /** Events for the developer's server; the webhooks module renders and signs them. */
  [QUEUES.webhookEvents]: { kind: 'MASSSENDJOBFINISH'; accountId: number; broadcastId: number };
}

export type QueueName = keyof QueuePayloads;

/** Keep Redis lean: finished jobs are trimmed, failed ones kept a week for inspection. */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000, age: 3600 },
  removeOnFail: { count: 5000, age: 7 * 86_400 },
};

export type Producers = { [Name in QueueName]: Queue<QueuePayloads[Name], unknown, string> } & { close(): Promise<void> };

/**
 * Producers over the fail-fast command connection, so an enqueue during a Redis outage errors at once instead of
 * hanging a request. Queue names live under the deployment's REDIS_PREFIX.
 */
export function createProducers(connection: Redis, prefix: string): Producers {
  const make = <Name extends QueueName>(name: Name) =>
    new Queue<QueuePayloads[Name], unknown, string>(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  const queues = {
    [QUEUES.broadcastFanout]: make(QUEUES.broadcastFanout),
    [QUEUES.broadcastBatch]: make(QUEUES.broadcastBatch),
    [QUEUES.webhookEvents]: make(QUEUES.webhookEvents),
  };
  return {
    ...queues,
    async close() {
      await Promise.all(Object.values(queues).map((queue) => queue.close()));
    },
  };
}
