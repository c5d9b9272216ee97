import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';

export interface ClientRateLimits {
  perUserPerMinute: number;
  perIpPerMinute: number;
  /** Unauthenticated requests (creating a WeChat user) per IP: each one writes a row and hands out a token. */
  signupPerIpPerMinute: number;
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * Rate limits of the /client/v1 simulator, in one-minute windows kept in Redis by @fastify/rate-limit (registered
 * in app.ts). Register it inside the encapsulated scope that holds the client routes: its hooks then apply to
 * those routes and to nothing else.
 * - every request, per IP, on arrival: ahead of the routes' own token check, so a flood of forged tokens is
 *   throttled before any signature is verified;
 * - then, once the route has authenticated (preValidation runs after the routes' onRequest), per WeChat user
 *   whatever address they come from, or per IP at the lower sign-up rate for a request that is not authenticated.
 */
export const clientRateLimitPlugin = fp(async function clientRateLimitPlugin(app: FastifyInstance, limits: ClientRateLimits) {
  const limiter = (max: number, kind: string, key: (request: FastifyRequest) => string | number): Limiter =>
    app.createRateLimit({ max, timeWindow: 60_000, keyGenerator: (request) => `client-${kind}:${key(request)}` });
  const clientIp = (request: FastifyRequest) => normalizeIP(request.ip);

  const perIp = limiter(limits.perIpPerMinute, 'ip', clientIp);
  const perUser = limiter(limits.perUserPerMinute, 'user', (request) => request.wechatUserId);
  const signupPerIp = limiter(limits.signupPerIpPerMinute, 'signup-ip', clientIp);

  app.addHook('onRequest', async (request) => enforce(perIp, request));
  app.addHook('preValidation', async (request) => enforce(request.wechatUserId > 0 ? perUser : signupPerIp, request));
});

async function enforce(limiter: Limiter, request: FastifyRequest): Promise<void> {
  const result = await limiter(request);
  if (result.isAllowed || !result.isExceeded) return;
  throw new AppError('RATE_LIMITED', `Rate limit of ${result.max} requests per minute exceeded`, {
    retryAfterSeconds: Math.max(1, result.ttlInSeconds),
  });
}
