import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { adminSecurity, problems, Timestamp } from '../../http/schemas.js';
import { FollowerParams } from '../followers/followers.schemas.js';
import { CUSTOM_LIMITS, type CustomMessage, type CustomMessagesService } from './custom.service.js';

/** Shapes only: the limits are the service's, so both APIs refuse the same messages with the same errcodes. */
const CustomMessageBody = Type.Union(
  [
    Type.Object({ type: Type.Literal('text'), content: Type.String({ maxLength: 100_000 }) }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('image'), mediaId: Type.String({ maxLength: 128 }) }, { additionalProperties: false }),
    Type.Object(
      {
        type: Type.Literal('news'),
        articles: Type.Array(
          Type.Object(
            {
              title: Type.String({ maxLength: 1024 }),
              description: Type.Optional(Type.String({ maxLength: 4096 })),
              url: Type.Optional(Type.String({ maxLength: 4096 })),
              picUrl: Type.Optional(Type.String({ maxLength: 4096 })),
            },
            { additionalProperties: false },
          ),
          { maxItems: 8, description: `${CUSTOM_LIMITS.newsArticles} article (WeChat's limit since 2018)` },
        ),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal('msgmenu'),
        headContent: Type.Optional(Type.String({ maxLength: 100_000 })),
        list: Type.Array(Type.Object({ id: Type.String({ maxLength: 256 }), content: Type.String({ maxLength: 100_000 }) }, { additionalProperties: false }), {
          maxItems: 100,
          description: `1 to ${CUSTOM_LIMITS.menuItems} items; service accounts only`,
        }),
        tailContent: Type.Optional(Type.String({ maxLength: 100_000 })),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      "WeChat's customer-service message (message/custom/send) in camelCase. Refusals carry WeChat's errcode and errmsg beside the problem's code: 400 VALIDATION_FAILED (44004, 45002, 40007, 45008, 45098, 40200, …), 404 FOLLOWER_NOT_FOUND (40003), 403 BLACKLISTED (43019), 409 NOT_FOLLOWING (45015: unfollowed), REPLY_WINDOW_CLOSED (45015: no message, menu click, scan or follow in the last 48 hours) or CUSTOM_MESSAGE_QUOTA_EXCEEDED (45047: the 20 messages each of those actions allows are used up).",
  },
);

/** The body with its optional fields filled in (defaults inside a union are not applied by the validator). */
function messageOf(body: Static<typeof CustomMessageBody>): CustomMessage {
  switch (body.type) {
    case 'text':
    case 'image':
      return body;
    case 'news':
      return { type: 'news', articles: body.articles.map((a) => ({ title: a.title, description: a.description ?? '', url: a.url ?? '', picUrl: a.picUrl ?? '' })) };
    case 'msgmenu':
      return { type: 'msgmenu', headContent: body.headContent ?? '', list: body.list, tailContent: body.tailContent ?? '' };
  }
}

const SentSchema = Type.Object({
  openid: Type.String(),
  sentAt: Timestamp,
  message: Type.Object({ type: Type.String() }, { additionalProperties: true }),
});

/** Customer-service messages on the admin API: the console's "reply to a follower within 48 hours". */
export const customMessagesRoutes: FastifyPluginAsyncTypebox<{ custom: CustomMessagesService }> = async (app, { custom }) => {

  app.post('/v1/accounts/:id/followers/:openid/messages', {
    onRequest: app.authenticate,
    // Speaking for the account to a follower, as a broadcast does: owners and admins.
    preHandler: app.authorizeAccount('broadcasts:write'),
    schema: {
      tags: ['followers'],
      security: adminSecurity,
      summary: "Send a customer-service message to a follower (up to 20 within 48 hours of each message, menu click, scan or follow of theirs); it shows in the follower's inbox",
      params: FollowerParams,
      body: CustomMessageBody,
      response: { 201: SentSchema, ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const { account } = request.accountAccess;
      return reply.code(201).send(await custom.send({ id: account.id, type: account.type }, request.params.openid, messageOf(request.body)));
    },
  });
};
