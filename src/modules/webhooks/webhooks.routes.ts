import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AccountParams, adminSecurity, problems } from '../../http/schemas.js';
import { WebhookConfigBody, WebhookConfigSchema } from './webhooks.schemas.js';
import type { WebhooksService } from './webhooks.service.js';

/** The developer server of an account (WeChat's "服务器配置"): owners only, since its token signs what is pushed. */
export const webhooksRoutes: FastifyPluginAsyncTypebox<{ webhooks: WebhooksService }> = async (app, { webhooks }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['webhooks'];
  const security = adminSecurity;

  app.put('/v1/accounts/:id/webhook', {
    preHandler: app.authorizeAccount('account:manage'),
    schema: {
      tags,
      security,
      summary: "Set the developer server, after verifying it as WeChat does (GET with signature and echostr, answered within 5 s)",
      description: 'A server that does not answer the echostr exactly gets 422 WEBHOOK_VERIFICATION_FAILED with what it answered (`verification`).',
      params: AccountParams,
      body: WebhookConfigBody,
      response: { 200: WebhookConfigSchema, ...problems(400, 401, 403, 404, 422) },
    },
    handler: async (request) => webhooks.configure(request.accountAccess.account.id, request.body),
  });

  app.get('/v1/accounts/:id/webhook', {
    preHandler: app.authorizeAccount('account:manage'),
    schema: { tags, security, summary: 'The developer server, token and key masked', params: AccountParams, response: { 200: WebhookConfigSchema, ...problems(401, 403, 404) } },
    handler: async (request) => webhooks.show(request.accountAccess.account.id),
  });

  app.delete('/v1/accounts/:id/webhook', {
    preHandler: app.authorizeAccount('account:manage'),
    schema: { tags, security, summary: 'Remove the developer server', params: AccountParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } },
    handler: async (request, reply) => {
      await webhooks.remove(request.accountAccess.account.id);
      return reply.code(204).send(null);
    },
  });

  app.post('/v1/accounts/:id/webhook/aes-key', {
    preHandler: app.authorizeAccount('account:manage'),
    schema: {
      tags,
      security,
      summary: 'Make a new EncodingAESKey, in use at once; it is shown in full this once',
      params: AccountParams,
      response: { 200: WebhookConfigSchema, ...problems(401, 403, 404) },
    },
    handler: async (request) => webhooks.renewAesKey(request.accountAccess.account.id),
  });
};
