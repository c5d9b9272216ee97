import type { Redis } from 'ioredis';
import type { Clock } from '../../clock.js';
import { redisKey } from '../../redis.js';
import { calendarDayIn } from '../accounts/quota-window.js';
import { wechatError } from './errcodes.js';

/**
 * WeChat's daily call limits per account and interface (../shared/wechat-protocol.md §7.2: the values for newly
 * registered accounts). Overridable per interface with WECHAT_CALL_LIMITS (JSON, e.g. `{"/cgi-bin/user/get": 1000}`);
 * an interface not listed has no limit. Calls are counted in Redis (one hash per account and day, a field per
 * interface, incremented in the same round trip as the token lookup), never in PostgreSQL.
 */
export const DEFAULT_CALL_LIMITS: Record<string, number> = {
  '/cgi-bin/token': 2_000,
  '/cgi-bin/stable_token': 500_000,
  '/cgi-bin/menu/create': 1_000,
  '/cgi-bin/menu/get': 10_000,
  '/cgi-bin/menu/delete': 1_000,
  '/cgi-bin/menu/addconditional': 2_000,
  '/cgi-bin/menu/delconditional': 2_000,
  '/cgi-bin/menu/trymatch': 20_000,
  '/cgi-bin/tags/create': 1_000,
  '/cgi-bin/tags/get': 1_000,
  '/cgi-bin/tags/update': 1_000,
  '/cgi-bin/tags/delete': 1_000,
  '/cgi-bin/tags/members/batchtagging': 100_000,
  '/cgi-bin/tags/members/batchuntagging': 100_000,
  '/cgi-bin/media/upload': 100_000,
  '/cgi-bin/media/uploadimg': 100_000,
  '/cgi-bin/media/get': 200_000,
  '/cgi-bin/message/custom/send': 500_000,
  // Template messages (§10.3): 100,000 sends a day; WeChat documents no limit for the template management interfaces.
  '/cgi-bin/message/template/send': 100_000,
  '/cgi-bin/message/mass/sendall': 100,
  '/cgi-bin/message/mass/send': 100,
  '/cgi-bin/media/uploadnews': 10,
  '/cgi-bin/message/mass/delete': 10,
  '/cgi-bin/qrcode/create': 100_000,
  '/cgi-bin/user/get': 500,
  '/cgi-bin/user/info': 5_000_000,
  '/cgi-bin/user/info/batchget': 5_000_000,
  '/cgi-bin/user/info/updateremark': 10_000,
};

/** Quota resets (`/cgi-bin/clear_quota`) an account may make in a calendar month. */
export const CLEARS_PER_MONTH = 10;

/** The Redis key of an account's call counts on a day, as the two pieces around the account id (for Lua). */
export function callCountKeyParts(redisPrefix: string, day: string): [string, string] {
  return [`${redisKey(redisPrefix, 'wx', 'calls')}:`, `:${day}`];
}

export type CallLimits = ReturnType<typeof createCallLimits>;

export function createCallLimits(deps: { redis: Redis; redisPrefix: string; clock: Clock; timeZone: string; limits: Record<string, number> }) {
  const { redis } = deps;
  const limits = { ...DEFAULT_CALL_LIMITS, ...deps.limits };
  const today = () => calendarDayIn(deps.clock.now(), deps.timeZone);
  const countKey = (accountId: number, day: string) => callCountKeyParts(deps.redisPrefix, day).join(String(accountId));

  return {
    /** Today in the quota time zone: the day calls are counted in. */
    today,
    limitOf: (path: string): number | undefined => limits[path],
    /**
     * Enforces the limit on a call already counted (`calls` is the count including it): over the limit, the count
     * is taken back and the call refused with 45009.
     */
    async enforce(accountId: number, path: string, calls: number, day: string): Promise<void> {
      const limit = limits[path];
      if (limit === undefined || calls <= limit) return;
      await this.takeBack(accountId, path, day);
      throw wechatError(45009);
    },
    /** Takes back a call counted for a request refused after all (over the limit, or a revoked token). */
    async takeBack(accountId: number, path: string, day: string): Promise<void> {
      await redis.hincrby(countKey(accountId, day), path, -1);
    },
    /** Counts a call made without a token (`/cgi-bin/token`, `/cgi-bin/stable_token`) and enforces its limit. */
    async count(accountId: number, path: string): Promise<void> {
      const day = today();
      const key = countKey(accountId, day);
      const [[, calls]] = (await redis.multi().hincrby(key, path, 1).expire(key, 259_200).exec()) as [[null, number], [null, number]];
      await this.enforce(accountId, path, calls, day);
    },
    /** `/cgi-bin/openapi/quota/get`: today's limit, calls and what remains for one interface. */
    async quotaOf(accountId: number, path: string) {
      const limit = limits[path];
      if (limit === undefined) throw wechatError(76021);
      const used = Number((await redis.hget(countKey(accountId, today()), path)) ?? 0);
      return { daily_limit: limit, used, remain: Math.max(0, limit - used) };
    },
    /** `/cgi-bin/clear_quota`: zeroes today's counts of every interface, 10 times a month at most (48006). */
    async clear(accountId: number): Promise<void> {
      const month = today().slice(0, 7);
      const clears = redisKey(deps.redisPrefix, 'wx', 'clears', String(accountId), month);
      const [[, used]] = (await redis.multi().incr(clears).expire(clears, 40 * 86_400).exec()) as [[null, number], [null, number]];
      if (used > CLEARS_PER_MONTH) {
        await redis.decr(clears);
        throw wechatError(48006);
      }
      await redis.del(countKey(accountId, today()));
    },
  };
}
