import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Database } from '../../db/client.js';
import { AppError, isUniqueViolation } from '../../errors.js';
import { redisKey } from '../../redis.js';
import { findUserByEmail, insertUser } from '../users/users.repo.js';
import { decoyPasswordHash, hashPassword, verifyPassword } from './password.js';

export interface AuthServiceDeps {
  db: Database;
  redis: Redis;
  redisPrefix: string;
  maxFailures: number;
  lockoutSeconds: number;
}

export type AuthService = ReturnType<typeof createAuthService>;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function createAuthService(deps: AuthServiceDeps) {
  // Keyed by a digest so that emails do not sit in Redis in clear text.
  const failureKey = (email: string) =>
    redisKey(deps.redisPrefix, 'login-failures', createHash('sha256').update(email).digest('hex'));

  /** Counts one login attempt; the window starts at the first attempt and is not extended by later ones. */
  async function countAttempt(key: string): Promise<{ attempts: number; ttlSeconds: number }> {
    const replies = await deps.redis.multi().incr(key).expire(key, deps.lockoutSeconds, 'NX').ttl(key).exec();
    if (!replies) throw new Error('Redis aborted the login-attempt transaction');
    const [incr, , ttl] = replies.map(([error, value]) => {
      if (error) throw error;
      return Number(value);
    });
    return { attempts: incr!, ttlSeconds: ttl! };
  }

  return {
    async register(input: { email: string; password: string }) {
      const email = normaliseEmail(input.email);
      try {
        const user = await insertUser(deps.db, { email, passwordHash: await hashPassword(input.password) });
        return { id: user.id, email: user.email, createdAt: user.createdAt };
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('EMAIL_TAKEN', 'An account with this email already exists');
        throw error;
      }
    },

    /**
     * Checks credentials and returns the user id. Unknown email and wrong password give the same error after the
     * same work. After maxFailures consecutive failures for an email, further attempts are refused until the
     * lockout window passes, even with the right password, so guessing cannot continue in the background.
     *
     * The attempt is counted before the password is checked, in one atomic Redis round trip, and the lockout is
     * decided from the count that round trip returns: of any number of concurrent guesses, at most maxFailures
     * reach the hash. A successful login clears the count.
     */
    async verifyCredentials(input: { email: string; password: string }): Promise<number> {
      const email = normaliseEmail(input.email);
      const key = failureKey(email);
      const { attempts, ttlSeconds } = await countAttempt(key);
      if (attempts > deps.maxFailures) {
        throw new AppError('TOO_MANY_LOGIN_ATTEMPTS', 'Too many failed logins for this email; try again later', {
          retryAfterSeconds: Math.max(1, ttlSeconds),
        });
      }
      let user: Awaited<ReturnType<typeof findUserByEmail>>;
      try {
        user = await findUserByEmail(deps.db, email);
      } catch (error) {
        // The password was never checked (PostgreSQL did not answer): this attempt must not count towards a
        // lockout, or a client retrying through an outage would be locked out once the database is back.
        await deps.redis.decr(key).catch(() => {});
        throw error;
      }
      const valid = await verifyPassword(input.password, user?.passwordHash ?? (await decoyPasswordHash()));
      if (!user || !valid) throw new AppError('INVALID_CREDENTIALS', 'The email or password is incorrect');
      await deps.redis.del(key);
      return user.id;
    },
  };
}
