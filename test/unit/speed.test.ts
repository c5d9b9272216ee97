import { describe, expect, it } from 'vitest';
import { batchPriority } from '../../src/modules/broadcasts/broadcasts.jobs.js';
import { batchDelayMs, recipientsPerMinute } from '../../src/modules/broadcasts/speed.js';

describe('speed levels', () => {
  it('maps WeChat levels to recipients per minute, null to no limit', () => {
    expect([0, 1, 2, 3, 4].map(recipientsPerMinute)).toEqual([800_000, 600_000, 450_000, 300_000, 100_000]);
    expect(recipientsPerMinute(null)).toBeNull();
  });

  it('spaces batches so the account stays at its level', () => {
    expect(batchDelayMs(0, 20_000, 0)).toBe(0);
    expect(batchDelayMs(4, 20_000, 0)).toBe(6_000); // 80,000 recipients at 800,000 a minute
    expect(batchDelayMs(3, 20_000, 4)).toBe(36_000); // 60,000 at 100,000 a minute
    expect(batchDelayMs(1_000, 20_000, null)).toBe(0);
  });
});

describe('batch priority', () => {
  it('is the batch number plus one, capped at the largest priority BullMQ accepts', () => {
    expect([0, 1, 41].map(batchPriority)).toEqual([1, 2, 42]);
    expect(batchPriority(10_000_000)).toBe(2 ** 21 - 1);
  });
});
