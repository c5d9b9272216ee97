import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../../clock.js';
import { luaScript, redisKey } from '../../redis.js';
import { callCountKeyParts } from './call-limits.js';
import { wechatError } from './errcodes.js';

/**
 * WeChat access tokens (../shared/wechat-protocol.md §1). A token lives in Redis under the SHA-256 of its text (the
 * text itself is never stored), with the account, the AppSecret version it was issued under and how long it is
 * valid. Validity is judged by the service clock, so tests can move time; Redis expiry only collects the garbage.
 *
 * - `/cgi-bin/token` issues a new token on every call. The account's previous one stays valid for 5 more minutes
 *   (WeChat's overlap), so SDK instances that race on a refresh all keep working.
 * - `/cgi-bin/stable_token` is separate: a call inside the validity returns the same token (derived, not stored:
 *   an HMAC of the account, the AppSecret version and a generation number), and a new one in the last 5 minutes;
 *   `force_refresh` rotates at once, at most 20 times a day and 30 s apart, as WeChat limits it. The token it
 *   replaces keeps its 5 minutes too.
 * - Resetting the AppSecret revokes every token issued under the old one: each token names the secret version it
 *   was issued under, and the account's current version is checked on every call.
 *
 * Every token ends with its expiry (Unix seconds, base 36, 7 characters), so a token Redis no longer knows can be
 * told apart: 42001 once that time has passed, 40001 before (superseded or revoked), 40014 for anything else.
 */

export const TOKEN_TTL_SECONDS = 7_200;
/** How long a replaced token stays valid, and how close to its expiry a stable token is renewed. */
export const TOKEN_OVERLAP_MS = 5 * 60_000;
const FORCE_REFRESH_PER_DAY = 20;
const FORCE_REFRESH_GAP_MS = 30_000;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}[0-9a-z]{7}$/;

export type TokenKind = 'token' | 'stable';

/** What a valid token resolves to. */
export interface TokenHolder {
  accountId: number;
  /** The AppSecret the token was issued under (the start of its hash: a reset changes it). */
  secretVersion: string;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const expirySuffix = (expiresAtMs: number) => Math.floor(expiresAtMs / 1000).toString(36).padStart(7, '0');
const ms = (n: number) => n.toFixed(0);

/**
 * Replaces the account's current token of a kind: stores the new one, points "current" at it, and cuts the previous
 * one down to the overlap. KEYS: new token, current pointer. ARGV: token value, Redis TTL ms, new hash, token key
 * prefix, now ms, overlap ms.
 */
const REPLACE_CURRENT = luaScript(`
local previous = redis.call('HGET', KEYS[2], 'hash')
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[2], 'hash', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if previous and previous ~= ARGV[3] then
  local key = ARGV[4] .. previous
  local value = redis.call('GET', key)
  if value then
    local account, secret, validUntil, expiresAt = string.match(value, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
    local limit = tonumber(ARGV[5]) + tonumber(ARGV[6])
    if tonumber(validUntil) > limit then
      redis.call('SET', key, account .. '|' .. secret .. '|' .. string.format('%.0f', limit) .. '|' .. expiresAt, 'KEEPTTL')
      if redis.call('PTTL', key) > tonumber(ARGV[6]) then redis.call('PEXPIRE', key, ARGV[6]) end
    end
  end
end
return previous`, 2);

/**
 * Decides the stable token: the current generation while it has more than the overlap left (and no allowed forced
 * refresh), else the next. KEYS: stable pointer, today's forced-refresh counter. ARGV: now ms, TTL ms, overlap ms,
 * secret version, force (0/1), force gap ms, forces a day. Returns generation, expiry ms, and whether it rotated.
 */
const STABLE_GENERATION = luaScript(`
local current = redis.call('HMGET', KEYS[1], 'generation', 'expiresAt', 'secretVersion', 'lastForce')
local generation = tonumber(current[1]) or 0
local expiresAt = tonumber(current[2]) or 0
local now = tonumber(ARGV[1])
local rotate = current[3] ~= ARGV[4] or expiresAt - now <= tonumber(ARGV[3])
if not rotate and ARGV[5] == '1' then
  local last = tonumber(current[4]) or 0
  if now - last >= tonumber(ARGV[6]) and tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[7]) then
    rotate = true
    redis.call('INCR', KEYS[2])
    redis.call('EXPIRE', KEYS[2], 172800)
    redis.call('HSET', KEYS[1], 'lastForce', ARGV[1])
  end
end
if rotate then
  generation = generation + 1
  expiresAt = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'generation', generation, 'expiresAt', string.format('%.0f', expiresAt), 'secretVersion', ARGV[4])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
end
return {generation, string.format('%.0f', expiresAt), rotate and 1 or 0}`, 2);

/**
 * Looks a token up and, when it is valid now, counts the call against the account's interface (one round trip for
 * both); a replaced or expired token counts nothing (calls 0). KEYS: token key. ARGV: call-count key prefix (the
 * account id is appended), ':' .. day, interface path, now ms.
 */
const LOOK_UP_AND_COUNT = luaScript(`
local value = redis.call('GET', KEYS[1])
if not value then return nil end
local account, secret, validUntil, expiresAt = string.match(value, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
local now = tonumber(ARGV[4])
if now >= tonumber(validUntil) or now >= tonumber(expiresAt) then return {value, 0} end
local key = ARGV[1] .. account .. ARGV[2]
local calls = redis.call('HINCRBY', key, ARGV[3], 1)
if calls == 1 then redis.call('EXPIRE', key, 259200) end
return {value, calls}`, 1);

export type AccessTokens = ReturnType<typeof createAccessTokens>;

export function createAccessTokens(deps: { redis: Redis; redisPrefix: string; clock: Clock; signingSecret: string }) {
  const { redis, clock } = deps;
  const tokenKey = (hash: string) => redisKey(deps.redisPrefix, 'wx', 'token', hash);
  const tokenKeyPrefix = tokenKey('');
  const currentKey = (kind: TokenKind, accountId: number) => redisKey(deps.redisPrefix, 'wx', 'current', kind, String(accountId));
  const stableKey = createHmac('sha256', deps.signingSecret).update('oa-platform stable access tokens').digest();
  const ttlMs = TOKEN_TTL_SECONDS * 1000;

  const valueOf = (holder: TokenHolder, validUntil: number, expiresAt: number) => `${holder.accountId}|${holder.secretVersion}|${ms(validUntil)}|${ms(expiresAt)}`;
  const answer = (token: string, expiresAt: number) => ({ access_token: token, expires_in: Math.max(0, Math.floor((expiresAt - clock.now().getTime()) / 1000)) });

  return {
    /** A new token for `/cgi-bin/token`; the account's previous one stays valid for 5 minutes. */
    async issue(holder: TokenHolder): Promise<{ access_token: string; expires_in: number }> {
      const expiresAt = clock.now().getTime() + ttlMs;
      const token = `${randomBytes(32).toString('base64url')}${expirySuffix(expiresAt)}`;
      const hash = hashOf(token);
      await REPLACE_CURRENT(redis, tokenKey(hash), currentKey('token', holder.accountId), valueOf(holder, expiresAt, expiresAt), ttlMs, hash, tokenKeyPrefix, ms(clock.now().getTime()), TOKEN_OVERLAP_MS);
      return answer(token, expiresAt);
    },

    /** The stable token for `/cgi-bin/stable_token`: the same one until its last 5 minutes, unless forced. */
    async stable(holder: TokenHolder, forceRefresh: boolean): Promise<{ access_token: string; expires_in: number }> {
      const now = clock.now().getTime();
      const day = new Date(now).toISOString().slice(0, 10);
      const forces = redisKey(deps.redisPrefix, 'wx', 'forced', String(holder.accountId), day);
      const [generation, expiresAtText, rotated] = (await STABLE_GENERATION(
        redis,
        currentKey('stable', holder.accountId),
        forces,
        ms(now),
        ttlMs,
        TOKEN_OVERLAP_MS,
        holder.secretVersion,
        forceRefresh ? '1' : '0',
        FORCE_REFRESH_GAP_MS,
        FORCE_REFRESH_PER_DAY,
      )) as [number, string, number];
      const expiresAt = Number(expiresAtText);
      const mac = createHmac('sha256', stableKey).update(`${holder.accountId}|${holder.secretVersion}|${generation}`).digest('base64url');
      const token = `${mac}${expirySuffix(expiresAt)}`;
      const hash = hashOf(token);
      const value = valueOf(holder, expiresAt, expiresAt);
      if (rotated === 1) {
        await REPLACE_CURRENT(redis, tokenKey(hash), currentKey('stable', holder.accountId), value, ttlMs, hash, tokenKeyPrefix, ms(now), TOKEN_OVERLAP_MS);
      } else {
        // The rotating call may not have stored it yet; storing the same value again is harmless.
        await redis.set(tokenKey(hash), value, 'PX', Math.max(1, expiresAt - now), 'NX');
      }
      return answer(token, expiresAt);
    },

    /**
     * The holder of a token, counting the call against `path` for the day (only a valid token's calls count):
     * throws 41001 (none), 40014 (not a token), 42001 (expired), 40001 (replaced more than 5 minutes ago, or
     * unknown). The caller checks the secret version against the account's.
     */
    async resolve(token: string | undefined, path: string, day: string): Promise<TokenHolder & { calls: number }> {
      if (token === undefined || token === '') throw wechatError(41001);
      if (!TOKEN_SHAPE.test(token)) throw wechatError(40014);
      const now = clock.now().getTime();
      const expiredBySuffix = Number.parseInt(token.slice(-7), 36) * 1000 <= now;
      const [head, tail] = callCountKeyParts(deps.redisPrefix, day);
      const found = (await LOOK_UP_AND_COUNT(redis, tokenKey(hashOf(token)), head, tail, path, ms(now))) as [string, number] | null;
      if (!found) throw wechatError(expiredBySuffix ? 42001 : 40001);
      const [accountId, secretVersion, validUntil, expiresAt] = found[0].split('|') as [string, string, string, string];
      if (now >= Number(expiresAt)) throw wechatError(42001);
      if (now >= Number(validUntil)) throw wechatError(40001);
      return { accountId: Number(accountId), secretVersion, calls: found[1] };
    },
  };
}
