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
      kind: Type.Literal('broadcast'),
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

/** A passive reply of the account's developer server to one of the follower's messages or events (webhooks). */
export const InboxReply = Type.Object(
  {
    kind: Type.Literal('reply'),
    inReplyToMsgId: Type.Union([MsgId, Type.Null()], { description: 'the MsgId of your message it answers; null for a reply to an event (e.g. your follow)' }),
    deliveredAt: Timestamp,
    message: Type.Object(
      { type: Type.Enum(['text', 'image', 'voice', 'video', 'music', 'news']) },
      { additionalProperties: true, description: "as the developer's server sent it: {type:'text', content} | {type:'image', mediaId} | … | {type:'news', articles}" },
    ),
  },
  { additionalProperties: false },
);

/** A customer-service message of the account (/cgi-bin/message/custom/send, or its admin API equivalent). */
export const InboxCustom = Type.Object(
  {
    kind: Type.Literal('custom'),
    deliveredAt: Timestamp,
    message: Type.Object(
      { type: Type.Enum(['text', 'image', 'news', 'msgmenu']) },
      {
        additionalProperties: true,
        description: "{type:'text', content} | {type:'image', mediaId} | {type:'news', articles: [{title, description, url, picUrl}]} | {type:'msgmenu', headContent, list: [{id, content}], tailContent}",
      },
    ),
  },
  { additionalProperties: false },
);

/** A template message of the account (/cgi-bin/message/template/send, or its admin API equivalent), as delivered. */
export const InboxTemplate = Type.Object(
  {
    kind: Type.Literal('template'),
    msgId: MsgId,
    deliveredAt: Timestamp,
    templateId: Type.String(),
    title: Type.String(),
    content: Type.String({ description: "the template's content with the values filled in" }),
    url: Type.Union([Type.String(), Type.Null()], { description: 'where tapping the message leads; null for none' }),
    miniprogram: Type.Union([Type.Object({ appid: Type.String(), pagepath: Type.String() }), Type.Null()], { description: 'a mini program page, which WeChat opens rather than url' }),
    data: Type.Record(Type.String(), Type.Object({ value: Type.String(), color: Type.Optional(Type.String()) }), { description: 'the values as sent, by placeholder key' }),
  },
  { additionalProperties: false },
);

/** An inbox entry: a broadcast (news articles as summaries, without their HTML body), a passive reply, a customer-service or a template message. */
export const InboxItem = Type.Union([inboxItemOf(Type.Object(articleSummaryFields)), InboxReply, InboxCustom, InboxTemplate]);
/** One received message in full: news articles with their (sanitised) HTML body. */
export const InboxMessage = inboxItemOf(Type.Object({ ...articleSummaryFields, content: Type.String({ description: 'sanitised HTML' }) }));
