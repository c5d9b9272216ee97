import { describe, expect, it } from 'vitest';
import { planRestart, type RestartPolicy } from '../../src/supervisor.js';

const policy: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, resetAfterMs: 60_000 };

describe('restart backoff', () => {
  it('doubles the delay with each crash in a row, up to the maximum', () => {
    let crashesInARow = 0;
    const delays: number[] = [];
    for (let crash = 0; crash < 7; crash++) {
      const next = planRestart(policy, crashesInARow, 500);
      delays.push(next.delayMs);
      crashesInARow = next.crashesInARow;
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('starts over from the first delay once a child stayed up long enough', () => {
    expect(planRestart(policy, 5, 59_999)).toEqual({ delayMs: 30_000, crashesInARow: 6 });
    expect(planRestart(policy, 5, 60_000)).toEqual({ delayMs: 1_000, crashesInARow: 1 });
  });
});
