import type { Redis } from 'ioredis';
import type { Clock } from '../../clock.js';
import { luaScript, redisKey } from '../../redis.js';

/**
 * The "typing…" state an account shows a follower (/cgi-bin/message/custom/typing, ../shared/wechat-protocol.md
 * §10.2.2): a Redis key per (account, follower) holding when it ends. It lasts 15 seconds; a message sent to the
 * follower ends it sooner. The end is judged by the service clock, so tests can move time; Redis expiry only collects
 * the garbage, as for access tokens.
 */
export const TYPING_MS = 15_000;

/** Starts the state unless it is on. KEYS: the state. ARGV: now ms, end ms, TTL ms. Returns 1 if started, 0 if on. */
const START = luaScript(
  `
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`,
  1,
);

export interface TypingPair {
  accountId: number;
  openid: string;
}

export type TypingState = ReturnType<typeof createTypingState>;

export function createTypingState(deps: { redis: Redis; redisPrefix: string; clock: Clock }) {
  const { redis, clock } = deps;
  const keyOf = (pair: TypingPair) => redisKey(deps.redisPrefix, 'typing', String(pair.accountId), pair.openid);

  return {
    /** Turns the state on for 15 seconds; false if it is already on (WeChat refuses to send it again: 45081). */
    async start(pair: TypingPair): Promise<boolean> {
      const now = clock.now().getTime();
      return (await START(redis, keyOf(pair), now, now + TYPING_MS, TYPING_MS)) === 1;
    },

    async cancel(pair: TypingPair): Promise<void> {
      await redis.unlink(keyOf(pair));
    },

    /** When the state of each pair ends, in order; null where it is off. */
    async endsOf(pairs: TypingPair[]): Promise<Array<Date | null>> {
      if (pairs.length === 0) return [];
      const now = clock.now().getTime();
      const values = await redis.mget(...pairs.map(keyOf));
      return values.map((value) => (value !== null && Number(value) > now ? new Date(Number(value)) : null));
    },
  };
}
