import { Type } from 'typebox';
import { Timestamp } from '../../http/schemas.js';
import { Appid } from '../client/client.schemas.js';
import { Cursor } from '../followers/followers.schemas.js';
import { articleSummaryFields, MsgId } from './broadcasts.schemas.js';


export const InboxQuery = Type.Object(
  { appid: Appid, cursor: Type.Optional(Cursor), limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
  { additionalProperties: false },
);
export const InboxMessageParams = Type.Object({ msgId: MsgId }, { additionalProperties: false });
export const InboxMessageQuery = Type.Object({ appid: Appid }, { additionalProperties: false });

function inboxItemOf<Article extends ReturnType<typeof Type.Object>>(article: Article) {
  return Type.Object(
    {
      msgId: MsgId,
      msgDataId: Type.Union([Type.Integer(), Type.Null()]),
      preview: Type.Boolean(),
      deliveredAt: Timestamp,
      type: Type.Enum(['news', 'text', 'image']),
      content: Type.Optional(Type.String()),
      imageUrl: Type.Optional(Type.String()),
      articles: Type.Optional(Type.Array(article)),
    },
    { additionalProperties: false },
  );
}

/** An inbox entry: news articles as summaries, without their HTML body. */
export const InboxItem = inboxItemOf(Type.Object(articleSummaryFields));
/** One received message in full: news articles with their (sanitised) HTML body. */
export const InboxMessage = inboxItemOf(Type.Object({ ...articleSummaryFields, content: Type.String({ description: 'sanitised HTML' }) }));
