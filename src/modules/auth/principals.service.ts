import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { adminUserExists, wechatUserExists } from './principals.repo.js';

export type PrincipalsService = ReturnType<typeof createPrincipalsService>;

/**
 * Whether the user a correctly signed token names exists. A token can outlive its user's row: the database was
 * restored or re-created, or another deployment shares JWT_SECRET. Such a token is refused at authentication
 * instead of failing deep inside a request on a foreign key.
 *
 * Users are never deleted, so a "yes" is remembered for a while (the client API's hot path then costs no query);
 * a "no" is not remembered, so a user created a moment ago is found at once.
 */
export function createPrincipalsService(deps: { db: Database; clock: Clock; rememberMs?: number; maxRemembered?: number }) {
  const rememberMs = deps.rememberMs ?? 5 * 60_000;
  const maxRemembered = deps.maxRemembered ?? 100_000;

  function remembering(lookup: (id: number) => Promise<boolean>) {
    const knownUntil = new Map<number, number>();
    return async (id: number): Promise<boolean> => {
      const now = deps.clock.now().getTime();
      if ((knownUntil.get(id) ?? 0) > now) return true;
      const exists = await lookup(id);
      if (exists) {
        if (knownUntil.size >= maxRemembered) knownUntil.clear();
        knownUntil.set(id, now + rememberMs);
      }
      return exists;
    };
  }

  return {
    adminUserExists: remembering((userId) => adminUserExists(deps.db, userId)),
    wechatUserExists: remembering((wechatUserId) => wechatUserExists(deps.db, wechatUserId)),
  };
}
