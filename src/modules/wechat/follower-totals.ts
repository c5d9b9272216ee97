import type { Redis } from 'ioredis';
import type { Clock } from '../../clock.js';
import { redisKey } from '../../redis.js';

/** How old user/get's total may be. */
export const FOLLOWER_TOTAL_MAX_AGE_MS = 60_000;

export type FollowerTotals = ReturnType<typeof createFollowerTotals>;

/**
 * user/get's `total`, on every page. Counting an account's current followers walks its whole range of
 * followers_subscribed_idx: for a million followers that costs as much as dozens of the 10,000-row pages it rides
 * on, and a full pass makes 100 of them. So the first page of a pass (no next_openid) counts afresh, and the pages
 * after it reuse that count (kept per account in Redis, shared by the API processes) while it is less than a minute
 * old by the clock: a pass sees one total, and a listing started anew sees the followers of now. WeChat documents
 * total only as the number of followers; the list itself (the openids) is always read live.
 */
export function createFollowerTotals(deps: { redis: Redis; redisPrefix: string; clock: Clock; count: (accountId: number) => Promise<number> }) {
  const { redis, clock } = deps;
  const keyOf = (accountId: number) => redisKey(deps.redisPrefix, 'wx', 'followers-total', String(accountId));

  return {
    async total(accountId: number, options: { fresh: boolean }): Promise<number> {
      const remembered = options.fresh ? null : await redis.get(keyOf(accountId));
      if (remembered !== null) {
        const [total, countedAt] = remembered.split(':').map(Number) as [number, number];
        const age = clock.now().getTime() - countedAt;
        if (age >= 0 && age < FOLLOWER_TOTAL_MAX_AGE_MS) return total;
      }
      const countedAt = clock.now().getTime();
      const total = await deps.count(accountId);
      // The key's own expiry only clears out accounts nobody pages; freshness is judged by the clock above.
      await redis.set(keyOf(accountId), `${total}:${countedAt}`, 'EX', 3_600);
      return total;
    },
  };
}
