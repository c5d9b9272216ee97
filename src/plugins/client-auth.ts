import { createHmac } from 'node:crypto';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';

/**
 * Tokens of simulated WeChat users (the /client/v1 gateway). They are signed with a key derived from JWT_SECRET
 * but distinct from the admin key, and addressed to another audience, so an admin token is refused here and a
 * client token is refused on the admin API. `aud`, `exp` and `sub` are required, and the user must exist.
 */
export const CLIENT_AUDIENCE = 'oa-platform:client';

declare module 'fastify' {
  interface FastifyInstance {
    authenticateClient(request: FastifyRequest): Promise<void>;
    signClientToken(wechatUserId: number): string;
  }
  interface FastifyRequest {
    wechatUserId: number;
  }
}

export function clientSigningKey(jwtSecret: string): string {
  return createHmac('sha256', jwtSecret).update('oa-platform client tokens v1').digest('hex');
}

export interface ClientAuthOptions {
  jwtSecret: string;
  expiresIn: string;
  wechatUserExists(wechatUserId: number): Promise<boolean>;
}

export const clientAuthPlugin = fp(async function clientAuthPlugin(app: FastifyInstance, options: ClientAuthOptions) {
  const key = clientSigningKey(options.jwtSecret);
  const sign = createSigner({ key, aud: CLIENT_AUDIENCE, expiresIn: options.expiresIn, algorithm: 'HS256' });
  const verify = createVerifier({ key, allowedAud: CLIENT_AUDIENCE, algorithms: ['HS256'], requiredClaims: ['aud', 'exp', 'sub'], cache: 10_000 });

  app.decorate('signClientToken', (wechatUserId: number) => sign({ sub: String(wechatUserId) }));
  app.decorateRequest('wechatUserId', 0);
  app.decorate('authenticateClient', async function authenticateClient(request: FastifyRequest) {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (!token) throw new AppError('UNAUTHORIZED', 'Send the user token from POST /client/v1/users as "Authorization: Bearer <token>"');
    let claims: { sub?: string };
    try {
      claims = verify(token);
    } catch (error) {
      if (error instanceof TokenError && error.code === TokenError.codes.expired) throw new AppError('TOKEN_EXPIRED', 'The user token has expired');
      throw new AppError('UNAUTHORIZED', 'The user token is missing, malformed or not valid here');
    }
    const id = Number(claims.sub);
    if (!Number.isSafeInteger(id) || id <= 0) throw new AppError('UNAUTHORIZED', 'The user token does not name a user');
    if (!(await options.wechatUserExists(id))) throw new AppError('UNAUTHORIZED', 'The user token names a user that does not exist');
    request.wechatUserId = id;
  });
});
