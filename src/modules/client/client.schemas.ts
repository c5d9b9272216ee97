import { Type, type Static, type TSchema } from 'typebox';
import { HttpUrl, Id, INT4_MAX } from '../../http/schemas.js';
import { ENGAGEMENT_ACTIONS, READ_SOURCES, SHARE_SCENES, SUBSCRIBE_SCENES } from '../followers/wechat-constants.js';
import type { UpstreamMessage } from './client.service.js';

export const Appid = Type.String({ pattern: '^wx[0-9a-f]{16}$', description: 'The AppID of the official account' });

export const CreateUserBody = Type.Object(
  {
    nickname: Type.String({ minLength: 1, maxLength: 64 }),
    gender: Type.Optional(Type.Integer({ minimum: 0, maximum: 2, default: 0, description: '0 unknown, 1 male, 2 female' })),
    language: Type.Optional(Type.String({ pattern: '^[a-z]{2}(_[A-Z]{2})?$', default: 'zh_CN' })),
    country: Type.Optional(Type.String({ maxLength: 64, default: '' })),
    province: Type.Optional(Type.String({ maxLength: 64, default: '' })),
    city: Type.Optional(Type.String({ maxLength: 64, default: '' })),
  },
  { additionalProperties: false },
);

/**
 * The scene_id of a QR code: WeChat's is a non-zero 32-bit integer; here positive, as followers.qr_scene (int4)
 * holds it. A scene string (scene_str) covers anything else.
 */
const QrSceneId = Type.Integer({ minimum: 1, maximum: INT4_MAX });

export const FollowBody = Type.Object(
  {
    appid: Appid,
    scene: Type.Enum([...SUBSCRIBE_SCENES]),
    qrScene: Type.Optional(Type.Union([QrSceneId, Type.String({ minLength: 1, maxLength: 64 })])),
  },
  { additionalProperties: false },
);

function messageVariant<Fields extends Record<string, TSchema>>(msgType: string, fields: Fields) {
  return Type.Object({ appid: Appid, msgType: Type.Literal(msgType), ...fields }, { additionalProperties: false });
}

/**
 * One schema per message type, chosen by msgType (ajv's discriminator), so a bad field is reported against the
 * type the client meant rather than as "matches none of seven schemas".
 */
export const MessageBody = Type.Unsafe<{ appid: string } & UpstreamMessage>({
  type: 'object',
  required: ['msgType'],
  discriminator: { propertyName: 'msgType' },
  oneOf: [
    messageVariant('text', { content: Type.String({ minLength: 1, maxLength: 2048 }) }),
    messageVariant('image', { picUrl: HttpUrl }),
    messageVariant('voice', {
      format: Type.Enum(['amr', 'speex', 'mp3', 'silk']),
      recognition: Type.Optional(Type.String({ maxLength: 2048 })),
    }),
    messageVariant('video', { videoUrl: HttpUrl, thumbUrl: HttpUrl }),
    messageVariant('shortvideo', { videoUrl: HttpUrl, thumbUrl: HttpUrl }),
    messageVariant('location', {
      latitude: Type.Number({ minimum: -90, maximum: 90 }),
      longitude: Type.Number({ minimum: -180, maximum: 180 }),
      scale: Type.Integer({ minimum: 1, maximum: 30 }),
      label: Type.String({ maxLength: 256 }),
    }),
    messageVariant('link', {
      title: Type.String({ minLength: 1, maxLength: 256 }),
      description: Type.String({ maxLength: 1024 }),
      url: HttpUrl,
    }),
  ],
});

export const EngagementBody = Type.Object(
  {
    appid: Appid,
    msgDataId: Id,
    articleIndex: Type.Integer({ minimum: 1, maximum: 8, description: '1-based index of the article in the broadcast' }),
    action: Type.Enum([...ENGAGEMENT_ACTIONS]),
    source: Type.Optional(Type.Enum([...READ_SOURCES], { description: 'where the article was opened from; default session' })),
    shareScene: Type.Optional(Type.Enum([...SHARE_SCENES], { description: 'required with action "share"' })),
  },
  { additionalProperties: false },
);

export type EngagementInput = Static<typeof EngagementBody>;
