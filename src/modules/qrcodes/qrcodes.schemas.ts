import { Type, type Static } from 'typebox';
import { Id, INT4_MAX, Timestamp } from '../../http/schemas.js';
import { Cursor } from '../followers/followers.schemas.js';
import { QR_ACTIONS, QRCODE_LIMITS } from './qrcodes.rules.js';

/** The admin API's qrcode/create: WeChat's fields in camelCase. Cross-field rules (which scene, its range) are the service's. */
export const CreateQrcodeBody = Type.Object(
  {
    actionName: Type.Enum([...QR_ACTIONS], { description: 'QR_SCENE / QR_STR_SCENE expire; QR_LIMIT_SCENE / QR_LIMIT_STR_SCENE are permanent' }),
    expireSeconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: QRCODE_LIMITS.maxExpireSeconds,
        description: `temporary codes: lifetime in seconds, default ${QRCODE_LIMITS.defaultExpireSeconds}; ignored for permanent ones`,
      }),
    ),
    actionInfo: Type.Object(
      {
        scene: Type.Object(
          {
            sceneId: Type.Optional(Type.Integer({ minimum: 1, maximum: INT4_MAX, description: `QR_SCENE; QR_LIMIT_SCENE: 1–${QRCODE_LIMITS.maxPermanentSceneId}` })),
            sceneStr: Type.Optional(Type.String({ minLength: 1, maxLength: QRCODE_LIMITS.sceneStrMaxChars, description: 'QR_STR_SCENE, QR_LIMIT_STR_SCENE' })),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type CreateQrcodeInput = Static<typeof CreateQrcodeBody>;

export const QrcodeSchema = Type.Object({
  id: Id,
  ticket: Type.String(),
  actionName: Type.Enum([...QR_ACTIONS]),
  kind: Type.Enum(['temporary', 'permanent']),
  sceneId: Type.Union([Type.Integer(), Type.Null()]),
  sceneStr: Type.Union([Type.String(), Type.Null()]),
  url: Type.String({ description: 'what the QR image encodes: <this server>/q/<ticket>' }),
  imageUrl: Type.String({ description: 'the PNG: /cgi-bin/showqrcode?ticket=<ticket>' }),
  expireSeconds: Type.Union([Type.Integer(), Type.Null()]),
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
});

export const QrcodeListQuery = Type.Object(
  { cursor: Type.Optional(Cursor), limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
  { additionalProperties: false },
);
