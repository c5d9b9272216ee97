import { afterAll, beforeAll } from 'vitest';
import { startConsumers, type Consumers } from '../../src/queues/consumers.js';
import type { TestContext } from './context.js';

/** Runs the real BullMQ consumers in the test process, over the test's database and Redis prefix. */
export async function startWorker(ctx: TestContext): Promise<Consumers> {
  return startConsumers(ctx.deps);
}

/** Runs the consumers for the whole test file (started before its tests, closed after them); call the result to reach them. */
export function useWorker(ctx: TestContext): () => Consumers {
  let worker: Consumers | undefined;
  beforeAll(async () => {
    worker = await startWorker(ctx);
  });
  afterAll(async () => {
    await worker?.close();
  });
  return () => {
    if (!worker) throw new Error('the worker starts in beforeAll: reach it from a test or a hook');
    return worker;
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, { timeoutMs = 20_000, intervalMs = 50, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
