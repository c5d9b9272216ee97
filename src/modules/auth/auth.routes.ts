import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Id, problems, Timestamp } from '../../http/schemas.js';
import { Credentials, RegisterBody } from './auth.schemas.js';
import type { AuthService } from './auth.service.js';

export const authRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService; rateLimitPerMinute: number }> = async (app, { auth, rateLimitPerMinute }) => {
  const rateLimit = { max: rateLimitPerMinute, timeWindow: '1 minute' };

  app.post('/v1/auth/register', {
    config: { rateLimit },
    schema: {
      tags: ['auth'],
      summary: 'Register an admin user',
      body: RegisterBody,
      response: { 201: Type.Object({ id: Id, email: Type.String(), createdAt: Timestamp }), ...problems(400, 409, 429) },
    },
    handler: async (request, reply) => reply.code(201).send(await auth.register(request.body)),
  });

  app.post('/v1/auth/login', {
    config: { rateLimit },
    schema: {
      tags: ['auth'],
      summary: 'Log in and receive an admin JWT',
      body: Credentials,
      response: {
        200: Type.Object({ token: Type.String(), tokenType: Type.Literal('Bearer'), expiresIn: Type.Integer({ description: 'seconds' }) }),
        ...problems(400, 401, 429),
      },
    },
    handler: async (request) => {
      const userId = await auth.verifyCredentials(request.body);
      return { ...app.signAdminToken(userId), tokenType: 'Bearer' as const };
    },
  });
};
