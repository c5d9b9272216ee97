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
     */
    async verifyCredentials(input: { email: string; password: string }): Promise<number> {
      const email = normaliseEmail(input.email);
      const key = failureKey(email);
      const failures = Number((await deps.redis.get(key)) ?? 0);
      if (failures >= deps.maxFailures) {
        const retryAfter = Math.max(1, await deps.redis.ttl(key));
        throw new AppError('TOO_MANY_LOGIN_ATTEMPTS', 'Too many failed logins for this email; try again later', {
          retryAfterSeconds: retryAfter,
        });
      }
      const user = await findUserByEmail(deps.db, email);
      const valid = await verifyPassword(input.password, user?.passwordHash ?? (await decoyPasswordHash()));
      if (!user || !valid) {
        await deps.redis.multi().incr(key).expire(key, deps.lockoutSeconds, 'NX').exec();
        throw new AppError('INVALID_CREDENTIALS', 'The email or password is incorrect');
      }
      if (failures > 0) await deps.redis.del(key);
      return user.id;
    },
  };
}
