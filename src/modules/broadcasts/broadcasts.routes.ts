import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AccountParams, adminSecurity, PageOf, problems } from '../../http/schemas.js';
import {
  BroadcastParams,
  BroadcastSchema,
  BroadcastSummarySchema,
  DeleteQuery,
  ListQuery,
  PreviewBody,
  SendBody,
  SpeedBody,
  SpeedSchema,
} from './broadcasts.schemas.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { BroadcastsService } from './broadcasts.service.js';

export const broadcastsRoutes: FastifyPluginAsyncTypebox<{ broadcasts: BroadcastsService; accounts: AccountsService }> = async (app, { broadcasts, accounts }) => {
  const tags = ['broadcasts'];
  const security = adminSecurity;
  const write = { onRequest: app.authenticate, preHandler: app.authorizeAccount('broadcasts:write') };
  const read = { onRequest: app.authenticate, preHandler: app.authorizeAccount('broadcasts:read') };

  app.post('/v1/accounts/:id/broadcasts', {
    ...write,
    schema: {
      tags,
      security,
      summary: 'Send a broadcast to all followers, a tag or a list of openids (a list: verified service accounts only; uses one quota unit)',
      params: AccountParams,
      body: SendBody,
      response: { 200: BroadcastSchema, 202: BroadcastSchema, ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      // Only mass/send picks recipients one by one: a verified service account's privilege, in the console too.
      if ('openids' in request.body.target) await accounts.requireOnConsole(request.accountAccess, 'mass_send_openids');
      const result = await broadcasts.send(request.accountAccess.account.id, request.adminUserId, request.body);
      return reply.code(result.duplicate ? 200 : 202).send(result);
    },
  });

  app.post('/v1/accounts/:id/broadcasts/preview', {
    ...write,
    schema: {
      tags,
      security,
      summary: 'Preview to up to 100 followers a day (no quota used)',
      params: AccountParams,
      body: PreviewBody,
      response: { 201: BroadcastSchema, ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => reply.code(201).send(await broadcasts.preview(request.accountAccess.account.id, request.adminUserId, request.body)),
  });

  app.get('/v1/accounts/:id/broadcasts', {
    ...read,
    schema: {
      tags,
      security,
      summary: 'Broadcasts, newest first; articles without their HTML body (the broadcast itself has it)',
      params: AccountParams,
      querystring: ListQuery,
      response: { 200: PageOf(BroadcastSummarySchema), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => broadcasts.list(request.accountAccess.account.id, request.query),
  });

  app.get('/v1/accounts/:id/broadcasts/:bid', {
    ...read,
    schema: { tags, security, summary: 'Status, counters and progress of a broadcast', params: BroadcastParams, response: { 200: BroadcastSchema, ...problems(401, 403, 404) } },
    handler: async (request) => broadcasts.get(request.accountAccess.account.id, request.params.bid),
  });

  app.delete('/v1/accounts/:id/broadcasts/:bid', {
    ...write,
    schema: {
      tags,
      security,
      summary: 'Delete a sent broadcast, or one article of it (articleIndex, 1-based)',
      params: BroadcastParams,
      querystring: DeleteQuery,
      response: { 200: BroadcastSchema, ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request) => broadcasts.remove(request.accountAccess.account.id, request.params.bid, request.query.articleIndex),
  });

  app.get('/v1/accounts/:id/broadcast-speed', {
    ...read,
    schema: { tags, security, summary: 'Fan-out speed level', params: AccountParams, response: { 200: SpeedSchema, ...problems(401, 403, 404) } },
    handler: async (request) => accounts.getBroadcastSpeed(request.accountAccess.account.id),
  });

  app.put('/v1/accounts/:id/broadcast-speed', {
    ...write,
    schema: { tags, security, summary: "Set WeChat's speed level 0..4, or null for as fast as possible", params: AccountParams, body: SpeedBody, response: { 200: SpeedSchema, ...problems(400, 401, 403, 404) } },
    handler: async (request) => accounts.setBroadcastSpeed(request.accountAccess.account.id, request.body.speed),
  });
};
