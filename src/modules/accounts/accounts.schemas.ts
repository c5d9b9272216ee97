import { Type } from 'typebox';
import { Id, Timestamp } from '../../http/schemas.js';

export const AccountTypeSchema = Type.Enum(['subscription', 'service']);
export const RoleSchema = Type.Enum(['owner', 'admin', 'analyst']);

export const AccountSchema = Type.Object({
  id: Id,
  name: Type.String(),
  appid: Type.String(),
  originalId: Type.String(),
  type: AccountTypeSchema,
  typeLocked: Type.Boolean(),
  verified: Type.Boolean({ description: 'WeChat verification (微信认证), granted by a platform operator (npm run account:verify)' }),
  verifiedAt: Type.Union([Timestamp, Type.Null()]),
  broadcastSpeed: Type.Union([Type.Integer(), Type.Null()]),
  role: RoleSchema,
  createdAt: Timestamp,
});

export const AccountDetailSchema = Type.Object({
  ...AccountSchema.properties,
  capabilities: Type.Array(Type.String(), {
    description: 'What the account may do by its type and verification (capability_policies); the WeChat API answers 48001 outside them',
  }),
});

export const CreatedAccountSchema = Type.Object({
  ...AccountSchema.properties,
  appsecret: Type.String({ description: 'Shown only in this response; store it now' }),
});

export const CreateAccountBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' }) }, { additionalProperties: false });
export const ChooseTypeBody = Type.Object({ type: AccountTypeSchema }, { additionalProperties: false });

export const QuotaSchema = Type.Object({
  type: AccountTypeSchema,
  period: Type.Enum(['day', 'month']),
  limit: Type.Integer(),
  used: Type.Integer(),
  remaining: Type.Integer(),
  periodStart: Timestamp,
  resetsAt: Timestamp,
});

export const MemberSchema = Type.Object({ userId: Id, email: Type.String(), role: RoleSchema });
export const MemberListSchema = Type.Object({
  items: Type.Array(Type.Object({ ...MemberSchema.properties, addedAt: Timestamp })),
});
export const SetMemberBody = Type.Object(
  { email: Type.String({ format: 'email', maxLength: 254 }), role: RoleSchema },
  { additionalProperties: false },
);
export const MemberParams = Type.Object({ id: Id, userId: Id }, { additionalProperties: false });
