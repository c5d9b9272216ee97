import { Type } from 'typebox';
import { HttpUrl, Id, Timestamp } from '../../http/schemas.js';
import { Cursor, Openid, TagId } from '../followers/followers.schemas.js';
import type { BroadcastMessage, BroadcastTargetInput } from './broadcasts.service.js';

/** WeChat's msg_id is a 64-bit integer: it travels as decimal digits in a string, never as a JS number. */
export const MsgId = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: '64-bit msg_id, as a string' });

const Article = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 64 }),
    author: Type.Optional(Type.String({ maxLength: 64 })),
    digest: Type.Optional(Type.String({ maxLength: 120 })),
    content: Type.String({ minLength: 1, maxLength: 100_000, description: 'HTML; scripts and event handlers are removed' }),
    contentSourceUrl: Type.Optional(HttpUrl),
    thumbUrl: HttpUrl,
    showCoverPic: Type.Optional(Type.Boolean()),
    needOpenComment: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const MessageSchema = Type.Unsafe<BroadcastMessage>({
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [
    Type.Object({ type: Type.Literal('news'), articles: Type.Array(Article, { minItems: 1, maxItems: 8 }) }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('text'), content: Type.String({ minLength: 1, maxLength: 2048 }) }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('image'), imageUrl: HttpUrl }, { additionalProperties: false }),
  ],
});

/** Exactly one of all, tagId or openids; one object rather than oneOf, so errors name the offending field. */
export const TargetSchema = Type.Unsafe<BroadcastTargetInput>(
  Type.Object(
    {
      all: Type.Optional(Type.Literal(true)),
      tagId: Type.Optional(TagId),
      openids: Type.Optional(Type.Array(Openid, { minItems: 2, maxItems: 10_000, uniqueItems: true })),
    },
    { additionalProperties: false, minProperties: 1, maxProperties: 1, description: '{all: true}, {tagId}, or {openids: [2..10000]}' },
  ),
);

export const SendBody = Type.Object(
  {
    target: TargetSchema,
    message: MessageSchema,
    clientMsgId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'repeat within 24 h returns the first broadcast' })),
  },
  { additionalProperties: false },
);

export const PreviewBody = Type.Object(
  { openids: Type.Array(Openid, { minItems: 1, maxItems: 100 }), message: MessageSchema },
  { additionalProperties: false },
);

export const BroadcastSchema = Type.Object({
  id: Id,
  msgId: MsgId,
  msgDataId: Type.Union([Type.Integer(), Type.Null()]),
  status: Type.Enum(['queued', 'SENDING', 'SEND_SUCCESS', 'SEND_FAIL']),
  preview: Type.Boolean(),
  target: Type.Object({ all: Type.Optional(Type.Boolean()), tagId: Type.Optional(Type.Union([Type.Integer(), Type.Null()])), openids: Type.Optional(Type.Boolean()) }),
  clientMsgId: Type.Union([Type.String(), Type.Null()]),
  failReason: Type.Union([Type.String(), Type.Null()]),
  counts: Type.Object({
    total: Type.Integer({ description: 'followers in the target, plus unknown openids' }),
    filtered: Type.Integer({ description: 'left out because unsubscribed, blacklisted, or already sent their monthly limit of mass messages (service accounts: 4)' }),
    sent: Type.Integer(),
    errors: Type.Integer({ description: 'openids that are not followers, or undeliverable batches' }),
  }),
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  message: Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true }),
  createdAt: Timestamp,
  startedAt: Type.Union([Timestamp, Type.Null()]),
  finishedAt: Type.Union([Timestamp, Type.Null()]),
  deletedAt: Type.Union([Timestamp, Type.Null()]),
  duplicate: Type.Optional(Type.Boolean()),
});

/** What a list shows of a news article, to admins and in inboxes alike: everything but the HTML body. */
export const articleSummaryFields = {
  index: Type.Integer(),
  title: Type.String(),
  author: Type.String(),
  digest: Type.String(),
  contentSourceUrl: Type.String(),
  thumbUrl: Type.String(),
};

/** A news article in a list: no HTML body (up to 100 KB each, 8 per broadcast); GET …/broadcasts/:bid has it. */
const ArticleSummary = Type.Object({ ...articleSummaryFields, deleted: Type.Boolean() }, { additionalProperties: false });

export const BroadcastSummarySchema = Type.Object({
  ...BroadcastSchema.properties,
  message: Type.Object(
    {
      type: Type.Enum(['news', 'text', 'image']),
      articles: Type.Optional(Type.Array(ArticleSummary)),
      content: Type.Optional(Type.String({ description: 'the text of a text broadcast' })),
      imageUrl: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
});

export const BroadcastParams = Type.Object({ id: Id, bid: Id }, { additionalProperties: false });
export const ListQuery = Type.Object(
  { cursor: Type.Optional(Cursor), limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }), includePreviews: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export const DeleteQuery = Type.Object({ articleIndex: Type.Optional(Type.Integer({ minimum: 0, maximum: 8 })) }, { additionalProperties: false });
export const SpeedBody = Type.Object(
  { speed: Type.Union([Type.Integer({ minimum: 0, maximum: 4 }), Type.Null()], { description: '0 (800k/min) … 4 (100k/min); null for no limit' }) },
  { additionalProperties: false },
);
export const SpeedSchema = Type.Object({ speed: Type.Union([Type.Integer(), Type.Null()]), recipientsPerMinute: Type.Union([Type.Integer(), Type.Null()]) });

