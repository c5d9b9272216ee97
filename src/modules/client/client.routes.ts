import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Id, problems } from '../../http/schemas.js';
import { Appid, CreateUserBody, EngagementBody, FollowBody, MessageBody } from './client.schemas.js';
import type { ClientService } from './client.service.js';

/**
 * The simulated WeChat app: users are created here and act with their own token. Everything they do is recorded
 * and drives statistics, broadcasts and webhooks.
 */
export const clientRoutes: FastifyPluginAsyncTypebox<{ client: ClientService }> = async (app, { client }) => {
  const tags = ['client'];
  const security = [{ clientBearer: [] }];

  app.post('/client/v1/users', {
    schema: {
      tags,
      summary: 'Create a WeChat user and receive the token that acts as them',
      body: CreateUserBody,
      response: { 201: Type.Object({ userId: Id, token: Type.String() }), ...problems(400) },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const userId = await client.createUser({
        nickname: body.nickname,
        gender: body.gender ?? 0,
        language: body.language ?? 'zh_CN',
        country: body.country ?? '',
        province: body.province ?? '',
        city: body.city ?? '',
      });
      return reply.code(201).send({ userId, token: app.signClientToken(userId) });
    },
  });

  const authenticateClient = app.authenticateClient;

  app.post('/client/v1/follows', {
    onRequest: authenticateClient,
    schema: {
      tags,
      security,
      summary: 'Follow an official account (idempotent)',
      body: FollowBody,
      response: { 200: Type.Object({ openid: Type.String(), alreadyFollowing: Type.Boolean() }), 201: Type.Object({ openid: Type.String(), alreadyFollowing: Type.Boolean() }), ...problems(400, 401, 404) },
    },
    handler: async (request, reply) => {
      const result = await client.follow(request.wechatUserId, request.body);
      return reply.code(result.alreadyFollowing ? 200 : 201).send(result);
    },
  });

  app.delete('/client/v1/follows/:appid', {
    onRequest: authenticateClient,
    schema: {
      tags,
      security,
      summary: 'Unfollow an official account',
      params: Type.Object({ appid: Appid }, { additionalProperties: false }),
      response: { 200: Type.Object({ openid: Type.String() }), ...problems(400, 401, 404, 409) },
    },
    handler: async (request) => client.unfollow(request.wechatUserId, request.params.appid),
  });

  app.post('/client/v1/messages', {
    onRequest: authenticateClient,
    schema: {
      tags,
      security,
      summary: 'Send a message to an account you follow',
      body: MessageBody,
      response: { 201: Type.Object({ msgId: Type.String({ description: '64-bit MsgId, as a string' }) }), ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => reply.code(201).send(await client.sendMessage(request.wechatUserId, request.body)),
  });

  app.post('/client/v1/engagements', {
    onRequest: authenticateClient,
    schema: {
      tags,
      security,
      summary: 'Read, open the original link of, share or favourite a broadcast article',
      body: EngagementBody,
      response: { 201: Type.Object({ engagementId: Id, follower: Type.Boolean() }), ...problems(400, 401, 404) },
    },
    handler: async (request, reply) => reply.code(201).send(await client.engage(request.wechatUserId, request.body)),
  });
};
