import { Type } from 'typebox';
import { Timestamp } from '../../http/schemas.js';
import { Cursor } from '../followers/followers.schemas.js';
import { Appid } from './client.schemas.js';

export const ChatsQuery = Type.Object(
  { cursor: Type.Optional(Cursor), limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
  { additionalProperties: false },
);
export const ChatParams = Type.Object({ appid: Appid }, { additionalProperties: false });

const lastMessageFields = {
  kind: Type.String({ description: "the inbox item's kind: broadcast, reply (passive reply), custom (customer-service message) or template" }),
  type: Type.String({ description: 'text, image, news, … (template for a template message)' }),
  summary: Type.String({ description: "one line: the text, an article's title, or [Image], [Voice], …" }),
  at: Timestamp,
};

/** One account's conversation. */
export const AccountChat = Type.Object(
  {
    kind: Type.Literal('account'),
    appid: Type.String(),
    name: Type.String(),
    type: Type.Enum(['subscription', 'service']),
    following: Type.Boolean({ description: 'false once you unfollowed; what the account sent before stays' }),
    lastMessage: Type.Union([Type.Object(lastMessageFields, { additionalProperties: false }), Type.Null()]),
    unread: Type.Integer({ description: "what arrived after readAt, among the account's latest 100 broadcasts and 100 other messages" }),
    readAt: Type.Union([Timestamp, Type.Null()], { description: 'where POST /client/v1/chats/:appid/read last marked it; null: never' }),
    typing: Type.Boolean({ description: 'the account shows "typing…" (message/custom/typing; 15 s at most)' }),
  },
  { additionalProperties: false },
);

/** Every subscription account's conversation, folded into one entry ("订阅号"), as WeChat's chat list shows them. */
export const SubscriptionsChat = Type.Object(
  {
    kind: Type.Literal('subscriptions'),
    lastMessage: Type.Object({ appid: Type.String(), accountName: Type.String(), ...lastMessageFields }, { additionalProperties: false }),
    unread: Type.Integer({ description: 'the sum over the folded conversations' }),
    accounts: Type.Integer({ description: 'how many conversations it folds (GET /client/v1/chats/subscriptions lists them)' }),
  },
  { additionalProperties: false },
);

export const ReadMark = Type.Object({ appid: Type.String(), readAt: Timestamp, unread: Type.Integer() }, { additionalProperties: false });
