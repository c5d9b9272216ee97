import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { objectOf, type JsonObject } from '../../http/json-fields.js';
import { CUSTOM_MESSAGE_TYPES, type CustomMessage, type TypingCommand } from '../messages/custom.service.js';
import { wechatError } from './errcodes.js';
import { requireBody, requireTouser } from './users.wechat.js';
import { OK } from './wechat.plugin.js';

const tags = ['wechat'];
const query = Type.Object({ access_token: Type.Optional(Type.String()) });
type Body = JsonObject;
/** A string field; numbers are taken as their digits (ids), anything else as empty, which the checks refuse. */
const textOf = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : '');
const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const TYPING_COMMANDS = ['Typing', 'CancelTyping'] as const satisfies readonly TypingCommand[];

/**
 * WeChat's body (§10.2: `{touser, msgtype, <msgtype>: {...}}`, snake_case) as the service's message. Only the shape
 * is read here; what is missing or of the wrong type becomes empty, so the service's checks answer WeChat's code.
 */
function messageOf(body: Body): CustomMessage {
  const type = body.msgtype;
  if (typeof type !== 'string' || !(CUSTOM_MESSAGE_TYPES as readonly string[]).includes(type)) throw wechatError(40008);
  const part = objectOf(body[type]) ?? {};
  switch (type as CustomMessage['type']) {
    case 'text':
      return { type: 'text', content: textOf(part.content) };
    case 'image':
      return { type: 'image', mediaId: textOf(part.media_id) };
    case 'news':
      return {
        type: 'news',
        articles: listOf(part.articles).map((value) => {
          const article = objectOf(value) ?? {};
          return { title: textOf(article.title), description: textOf(article.description), url: textOf(article.url), picUrl: textOf(article.picurl) };
        }),
      };
    case 'msgmenu':
      return {
        type: 'msgmenu',
        headContent: textOf(part.head_content),
        list: listOf(part.list).map((value) => {
          const item = objectOf(value) ?? {};
          return { id: textOf(item.id), content: textOf(item.content) };
        }),
        tailContent: textOf(part.tail_content),
      };
  }
}

/** Customer-service messages under /cgi-bin (§10.2), over the messages module's service. */
export const customRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const custom = deps.services.customMessages;

  app.post('/message/custom/send', {
    schema: {
      tags,
      summary: "Send a customer-service message (text, image, news, msgmenu): up to 20 within 48 hours of each of the follower's messages, menu clicks, scans and follows",
      querystring: query,
    },
    handler: async (request: FastifyRequest) => {
      const body = requireBody(request.body);
      const message = messageOf(body);
      const touser = requireTouser(body);
      // A refusal carries WeChat's errcode and errmsg (§10.2.3), which the scope's error handler answers as they are.
      await custom.send({ id: request.wechatAccount.id, type: request.wechatAccount.type }, touser, message);
      return OK;
    },
  });

  app.post('/message/custom/typing', {
    schema: {
      tags,
      summary: 'Show the follower "typing…" for 15 seconds (command Typing), or stop showing it (CancelTyping)',
      querystring: query,
    },
    handler: async (request: FastifyRequest) => {
      const body = requireBody(request.body);
      if (!(TYPING_COMMANDS as readonly unknown[]).includes(body.command)) throw wechatError(45072);
      await custom.typing(request.wechatAccount.id, requireTouser(body), body.command as TypingCommand);
      return OK;
    },
  });
};
