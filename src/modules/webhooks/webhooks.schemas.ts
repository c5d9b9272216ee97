import { Type } from 'typebox';
import { HttpUrl, Timestamp } from '../../http/schemas.js';
import { DeliveryHealthSchema } from './deliveries.schemas.js';

const Token = Type.String({ pattern: '^[A-Za-z0-9]{3,32}$', description: '3 to 32 letters and digits; signs every push' });
const EncodingAesKey = Type.String({ pattern: '^[A-Za-z0-9]{43}$', description: '43 letters and digits; the AES key of compatible and safe mode' });
const Mode = Type.Enum(['plaintext', 'compatible', 'safe'], {
  description: 'plaintext (明文); compatible (兼容: plaintext fields and <Encrypt>); safe (安全: <Encrypt> only)',
});

export const WebhookConfigBody = Type.Object(
  {
    url: HttpUrl,
    token: Token,
    encodingAESKey: Type.Optional({ ...EncodingAesKey, description: '43 letters and digits; omitted: the current key is kept, or a new one is made' }),
    mode: Mode,
  },
  { additionalProperties: false },
);

export const WebhookConfigSchema = Type.Object({
  url: Type.String(),
  token: Type.String({ description: 'masked, except in the answer to the request that set it' }),
  encodingAESKey: Type.String({ description: 'masked, except in the answer to the request that set or made it' }),
  mode: Mode,
  verifiedAt: Timestamp,
  updatedAt: Timestamp,
});

/** The configuration as shown on its own, with how deliveries to it have gone lately. */
export const WebhookConfigWithHealthSchema = Type.Object({ ...WebhookConfigSchema.properties, health: DeliveryHealthSchema });

/** What the server answered, or failed to, when its URL was verified: in the 422 problem body. */
export const VerificationOutcomeSchema = Type.Object({
  status: Type.Optional(Type.Integer()),
  firstBytes: Type.Optional(Type.String()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  latencyMs: Type.Integer(),
});
