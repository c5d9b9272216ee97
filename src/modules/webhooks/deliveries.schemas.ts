import { Type, type TSchema } from 'typebox';
import { Id, PageOf, Timestamp } from '../../http/schemas.js';
import { Cursor, Openid } from '../followers/followers.schemas.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const DeliveryStatus = Type.Enum(['pending', 'delivered', 'failed'], {
  description: 'pending (queued or between attempts); delivered (answered HTTP 200); failed (given up after 3 attempts)',
});

export const DeliveryListQuery = Type.Object(
  {
    status: Type.Optional(DeliveryStatus),
    openid: Type.Optional({ ...Openid, description: "only the pushes of this follower's messages and events" }),
    cursor: Type.Optional(Cursor),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  },
  { additionalProperties: false },
);

export const DeliveryParams = Type.Object({ id: Id, did: Id }, { additionalProperties: false });

export const AttemptSchema = Type.Object({
  attemptedAt: Timestamp,
  statusCode: Nullable(Type.Integer()),
  latencyMs: Type.Integer(),
  error: Nullable(Type.String({ description: 'why it failed, or why its passive reply was refused' })),
  responseFirstBytes: Nullable(Type.String({ description: 'the first 512 characters of the answer' })),
  succeeded: Type.Boolean(),
});

export const DeliverySchema = Type.Object({
  id: Type.Integer(),
  kind: Type.String({ description: "'message', 'subscribe', 'unsubscribe', 'SCAN', 'MASSSENDJOBFINISH', 'TEMPLATESENDJOBFINISH', or a menu event (CLICK, VIEW, scancode_push, pic_sysphoto, location_select, …)" }),
  openid: Nullable(Type.String()),
  msgId: Nullable(Type.String({ description: 'MsgId (64-bit, as a string); null for follow events' })),
  createTime: Type.Integer({ description: 'CreateTime of the push (Unix seconds); a retry or replay sends the same' }),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  createdAt: Timestamp,
  finishedAt: Nullable(Timestamp),
  attemptLog: Type.Array(AttemptSchema, { description: 'oldest first' }),
});

export const DeliveryPageSchema = PageOf(DeliverySchema);

export const DeliveryHealthSchema = Type.Object({
  windowMinutes: Type.Integer({ description: 'attempts, rates and latencies cover this many minutes up to now' }),
  attempts: Type.Integer(),
  succeeded: Type.Integer(),
  successRate: Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'succeeded / attempts; null without attempts' })),
  latencyP50Ms: Nullable(Type.Integer()),
  latencyP99Ms: Nullable(Type.Integer()),
  lastError: Nullable(
    Type.Object(
      { at: Timestamp, error: Type.String(), statusCode: Nullable(Type.Integer()) },
      { description: 'the latest failed attempt, however old' },
    ),
  ),
  pending: Type.Integer({ description: 'pushes waiting to be delivered now' }),
});
