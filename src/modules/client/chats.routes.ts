import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { PageOf, problems } from '../../http/schemas.js';
import { AccountChat, ChatParams, ChatsQuery, ReadMark, SubscriptionsChat } from './chats.schemas.js';
import type { ChatsService } from './chats.service.js';

/** The follower's chat list (issue 11): where an account's messages appear, and what is unread. */
export const chatsRoutes: FastifyPluginAsyncTypebox<{ chats: ChatsService }> = async (app, { chats }) => {
  const tags = ['client'];
  const security = [{ clientBearer: [] }];

  app.get('/client/v1/chats', {
    onRequest: app.authenticateClient,
    schema: {
      tags,
      security,
      summary: 'Your chat list, newest first: each service account, and one entry folding every subscription account ("订阅号")',
      description: 'Only accounts that sent you something are listed. Unread counts what arrived after you last marked the chat read (POST /client/v1/chats/:appid/read).',
      querystring: ChatsQuery,
      response: { 200: PageOf(Type.Union([AccountChat, SubscriptionsChat])), ...problems(400, 401) },
    },
    handler: async (request) => chats.list(request.wechatUserId, request.query),
  });

  app.get('/client/v1/chats/subscriptions', {
    onRequest: app.authenticateClient,
    schema: {
      tags,
      security,
      summary: 'The Subscriptions folder: each subscription account that sent you something, newest first',
      querystring: ChatsQuery,
      response: { 200: PageOf(AccountChat), ...problems(400, 401) },
    },
    handler: async (request) => chats.listSubscriptions(request.wechatUserId, request.query),
  });

  app.get('/client/v1/chats/:appid', {
    onRequest: app.authenticateClient,
    schema: {
      tags,
      security,
      summary: 'One conversation: its last message, unread count, and whether the account is typing',
      params: ChatParams,
      response: { 200: AccountChat, ...problems(400, 401, 404) },
    },
    handler: async (request) => chats.get(request.wechatUserId, request.params.appid),
  });

  app.post('/client/v1/chats/:appid/read', {
    onRequest: app.authenticateClient,
    schema: {
      tags,
      security,
      summary: 'Mark a conversation read up to now (opening it in the app); what arrives later is unread',
      params: ChatParams,
      response: { 200: ReadMark, ...problems(400, 401, 404) },
    },
    handler: async (request) => chats.markRead(request.wechatUserId, request.params.appid),
  });
};
