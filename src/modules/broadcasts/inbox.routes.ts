import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PageOf, problems } from '../../http/schemas.js';
import type { BroadcastsService } from './broadcasts.service.js';
import { InboxItem, InboxMessage, InboxMessageParams, InboxMessageQuery, InboxQuery } from './inbox.schemas.js';

/**
 * The follower's side of broadcasts, part of the simulated WeChat app (/client/v1): registered in its scope, so
 * its rate limits and CLIENT_API_ENABLED apply here too.
 */
export const inboxRoutes: FastifyPluginAsyncTypebox<{ broadcasts: BroadcastsService }> = async (app, { broadcasts }) => {
  const tags = ['client'];
  const security = [{ clientBearer: [] }];

  app.get('/client/v1/inbox', {
    onRequest: app.authenticateClient,
    schema: {
      tags,
      security,
      summary: 'What you received from an account, newest first; news articles as summaries (the body is on the message)',
      description:
        'A page looks at a bounded number of the account\'s broadcasts, so it may hold fewer items than `limit` (even none) while nextCursor is not null; the inbox ends when nextCursor is null.',
      querystring: InboxQuery,
      response: { 200: PageOf(InboxItem), ...problems(400, 401, 404) },
    },
    handler: async (request) => broadcasts.inbox(request.wechatUserId, request.query),
  });

  app.get('/client/v1/inbox/:msgId', {
    onRequest: app.authenticateClient,
    schema: {
      tags,
      security,
      summary: 'One message you received, news articles with their HTML body',
      params: InboxMessageParams,
      querystring: InboxMessageQuery,
      response: { 200: InboxMessage, ...problems(400, 401, 404) },
    },
    handler: async (request) => broadcasts.inboxMessage(request.wechatUserId, { appid: request.query.appid, msgId: request.params.msgId }),
  });
};
