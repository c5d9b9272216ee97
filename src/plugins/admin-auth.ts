import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import type { AccountsService } from '../modules/accounts/accounts.service.js';
import type { AccountAccess } from '../modules/accounts/accounts.service.js';
import type { Permission } from '../modules/accounts/permissions.js';

/**
 * Admin tokens carry `aud: admin`, so no other kind of token signed by this service is accepted in their place.
 * `aud`, `exp` and `sub` are required: a token without an audience or an expiry is refused, not taken as unlimited.
 */
export const ADMIN_AUDIENCE = 'oa-platform:admin';

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string };
    user: { sub: string; aud: string; iat: number; exp: number };
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: requires a valid admin JWT and sets request.adminUserId. */
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>;
    /** preHandler factory: requires membership of the :id account with the permission; sets request.accountAccess. */
    authorizeAccount(permission: Permission): (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    signAdminToken(userId: number): { token: string; expiresIn: number };
  }
  interface FastifyRequest {
    adminUserId: number;
    accountAccess: AccountAccess;
  }
}

const JWT_ERRORS_EXPIRED = new Set(['FST_JWT_AUTHORIZATION_TOKEN_EXPIRED']);

function secondsOf(duration: string): number {
  const unit = duration.slice(-1);
  const amount = Number(duration.slice(0, -1));
  return amount * ({ s: 1, m: 60, h: 3600, d: 86400 }[unit] ?? 1);
}

export const adminAuthPlugin = fp(async function adminAuthPlugin(
  app: FastifyInstance,
  options: { secret: string; expiresIn: string; accounts: AccountsService; adminUserExists(userId: number): Promise<boolean> },
) {
  await app.register(fastifyJwt, {
    secret: options.secret,
    sign: { expiresIn: options.expiresIn, aud: ADMIN_AUDIENCE, algorithm: 'HS256' },
    verify: { allowedAud: ADMIN_AUDIENCE, algorithms: ['HS256'], requiredClaims: ['aud', 'exp', 'sub'] },
  });

  const expiresInSeconds = secondsOf(options.expiresIn);
  app.decorate('signAdminToken', (userId: number) => ({
    token: app.jwt.sign({ sub: String(userId) }),
    expiresIn: expiresInSeconds,
  }));

  app.decorateRequest('adminUserId', 0);
  app.decorateRequest('accountAccess', null as unknown as AccountAccess);

  app.decorate('authenticate', async function authenticate(request: FastifyRequest) {
    if (!request.headers.authorization) throw new AppError('UNAUTHORIZED', 'Send an admin token as "Authorization: Bearer <token>"');
    try {
      const claims = await request.jwtVerify<{ sub: string }>();
      request.adminUserId = Number(claims.sub);
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (JWT_ERRORS_EXPIRED.has(code)) throw new AppError('TOKEN_EXPIRED', 'The admin token has expired; log in again');
      throw new AppError('UNAUTHORIZED', 'The admin token is missing, malformed or not valid');
    }
    if (!Number.isSafeInteger(request.adminUserId) || request.adminUserId <= 0) {
      throw new AppError('UNAUTHORIZED', 'The admin token does not name a user');
    }
    if (!(await options.adminUserExists(request.adminUserId))) {
      throw new AppError('UNAUTHORIZED', 'The admin token names a user that does not exist; log in again');
    }
  });

  app.decorate('authorizeAccount', (permission: Permission) =>
    async function authorizeAccount(request: FastifyRequest) {
      const accountId = Number((request.params as { id?: unknown }).id);
      request.accountAccess = await options.accounts.authorize(request.adminUserId, accountId, permission);
    },
  );
});
