import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AccountParams, adminSecurity, problems } from '../../http/schemas.js';
import { DeliveryListQuery, DeliveryPageSchema, DeliveryParams, DeliverySchema } from './deliveries.schemas.js';
import { WebhookConfigBody, WebhookConfigSchema, WebhookConfigWithHealthSchema } from './webhooks.schemas.js';
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
    schema: {
      tags,
      security,
      summary: 'The developer server, token and key masked, with its delivery health over the last hour',
      params: AccountParams,
      response: { 200: WebhookConfigWithHealthSchema, ...problems(401, 403, 404) },
    },
    handler: async (request) => webhooks.show(request.accountAccess.account.id),
  });

  app.get('/v1/accounts/:id/webhook/deliveries', {
    preHandler: app.authorizeAccount('account:manage'),
    schema: {
      tags,
      security,
      summary: 'The delivery log: pushes to the developer server, newest first, each with its attempts',
      params: AccountParams,
      querystring: DeliveryListQuery,
      response: { 200: DeliveryPageSchema, ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => webhooks.listDeliveries(request.accountAccess.account.id, request.query),
  });

  app.post('/v1/accounts/:id/webhook/deliveries/:did/replay', {
    preHandler: app.authorizeAccount('account:manage'),
    schema: {
      tags,
      security,
      summary: 'Push a delivery again, as a new push with the same MsgId and CreateTime',
      description: 'The replay is queued behind any pending push of the same follower; it is answered at once (202), before it is sent.',
      params: DeliveryParams,
      response: { 202: DeliverySchema, ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) => reply.code(202).send(await webhooks.replayDelivery(request.accountAccess.account.id, request.params.did)),
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
