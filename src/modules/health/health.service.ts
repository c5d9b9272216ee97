import type { Redis } from 'ioredis';
import type { Database } from '../../db/client.js';
import { describeError } from '../../errors.js';
import type { OutageLogger } from '../../redis.js';
import { pingDatabase } from './health.repo.js';

/**
 * Readiness of a process: can it reach what it needs to serve? Shared by the API's /readyz and the worker's.
 * Answers carry stable words, never a driver's message (which can name hosts, users or queries): the detail goes to
 * the log, once when a dependency starts failing and once when it is back, however often the probe is polled.
 */
export type CheckFailure = 'unreachable' | 'timeout' | 'stopped';
export type Check = { status: 'ok' } | { status: 'fail'; error: CheckFailure };

export interface Readiness {
  status: 'ok' | 'fail';
  checks: { postgres: Check; redis: Check; consumers?: Check };
}

export type ReadinessCheck = () => Promise<Readiness>;

export interface ReadinessDeps {
  db: Database;
  redis: Redis;
  logger: OutageLogger;
  /** The worker's queue consumers: ready only while every one of them runs. */
  consumersRunning?: () => boolean;
  /** A dependency slower than this is reported as 'timeout' (an orchestrator's probe must not hang). */
  timeoutMs?: number;
}

export const READINESS_TIMEOUT_MS = 2_000;

class CheckTimedOut extends Error {}

export function createReadinessCheck(deps: ReadinessDeps): ReadinessCheck {
  const timeoutMs = deps.timeoutMs ?? READINESS_TIMEOUT_MS;
  /** When each failing dependency started failing. */
  const failingSince = new Map<string, number>();

  function record(name: string, check: Check, error?: unknown): Check {
    const since = failingSince.get(name);
    if (check.status === 'fail' && since === undefined) {
      failingSince.set(name, Date.now());
      deps.logger.warn({ dependency: name, reason: check.error, detail: error === undefined ? undefined : describeError(error) }, `readiness: ${name} ${check.error}`);
    } else if (check.status === 'ok' && since !== undefined) {
      failingSince.delete(name);
      deps.logger.info({ dependency: name, downMs: Date.now() - since }, `readiness: ${name} ok again`);
    }
    return check;
  }

  async function probe(name: string, work: () => Promise<unknown>): Promise<Check> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CheckTimedOut(`no answer in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([work(), timeout]);
      return record(name, { status: 'ok' });
    } catch (error) {
      return record(name, { status: 'fail', error: error instanceof CheckTimedOut ? 'timeout' : 'unreachable' }, error);
    } finally {
      clearTimeout(timer);
    }
  }

  return async () => {
    const [postgres, redis] = await Promise.all([probe('postgres', () => pingDatabase(deps.db)), probe('redis', () => deps.redis.ping())]);
    const checks: Readiness['checks'] = { postgres, redis };
    if (deps.consumersRunning) {
      checks.consumers = record('consumers', deps.consumersRunning() ? { status: 'ok' } : { status: 'fail', error: 'stopped' });
    }
    const ready = Object.values(checks).every((check) => check.status === 'ok');
    return { status: ready ? 'ok' : 'fail', checks };
  };
}
