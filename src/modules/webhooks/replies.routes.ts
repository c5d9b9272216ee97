import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { PageOf, problems, Timestamp } from '../../http/schemas.js';
import { MsgId } from '../broadcasts/broadcasts.schemas.js';
import { Appid } from '../client/client.schemas.js';
import { Cursor } from '../followers/followers.schemas.js';
import type { RepliesService } from './replies.service.js';

const RepliesQuery = Type.Object(
  { appid: Appid, cursor: Type.Optional(Cursor), limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
  { additionalProperties: false },
);

const ReplyItem = Type.Object({
  inReplyToMsgId: Type.Union([MsgId, Type.Null()], { description: 'the MsgId of your message it answers; null for a reply to an event (e.g. your follow)' }),
  receivedAt: Timestamp,
  message: Type.Object(
    { type: Type.Enum(['text', 'image', 'voice', 'video', 'music', 'news']) },
    { additionalProperties: true, description: "as the developer's server sent it: {type:'text', content} | {type:'image', mediaId} | … | {type:'news', articles}" },
  ),
});

/** Part of the simulated WeChat app (/client/v1), registered in its scope with its rate limits. */
export const repliesRoutes: FastifyPluginAsyncTypebox<{ replies: RepliesService }> = async (app, { replies }) => {
  app.get('/client/v1/inbox/replies', {
    onRequest: app.authenticateClient,
    schema: {
      tags: ['client'],
      security: [{ clientBearer: [] }],
      summary: "Replies from the account's developer server to your messages and events, newest first",
      querystring: RepliesQuery,
      response: { 200: PageOf(ReplyItem), ...problems(400, 401, 404) },
    },
    handler: async (request) => replies.list(request.wechatUserId, request.query),
  });
};
