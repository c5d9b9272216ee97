import { Type } from 'typebox';
import { Id, INT4_MAX, Timestamp } from '../../http/schemas.js';
import { FOLLOWER_LIMITS } from './wechat-constants.js';

export const Openid = Type.String({ minLength: 1, maxLength: 64 });
export const Cursor = Type.String({ maxLength: 128, description: 'nextCursor of the previous page' });
/** A tag id: tags.id is an int4 column; WeChat reserves 0, 1 and 2 for its own tags. */
export const TagId = Type.Integer({ minimum: 0, maximum: INT4_MAX });

export const FollowerSchema = Type.Object({
  subscribe: Type.Integer({ description: '1 while following, 0 after unfollowing' }),
  openid: Type.String(),
  nickname: Type.String(),
  sex: Type.Integer({ description: '0 unknown, 1 male, 2 female' }),
  language: Type.String(),
  city: Type.String(),
  province: Type.String(),
  country: Type.String(),
  subscribeTime: Type.Integer({ description: 'Unix seconds of the last follow' }),
  unionid: Type.Union([Type.String(), Type.Null()]),
  remark: Type.String(),
  tagidList: Type.Array(Type.Integer()),
  subscribeScene: Type.String(),
  qrScene: Type.Integer(),
  qrSceneStr: Type.String(),
  blacklisted: Type.Boolean(),
});

/** WeChat's user/info of someone who unfollowed: no profile, remark, tags or scene. */
export const UnfollowedSchema = Type.Object(
  {
    subscribe: Type.Literal(0),
    openid: Type.String(),
    unionid: Type.Optional(Type.String({ description: 'present when the user has a unionid for this owner' })),
  },
  { additionalProperties: false },
);

/** One follower by openid: the profile while following, the bare identifiers after an unfollow. */
export const UserInfoSchema = Type.Union([FollowerSchema, UnfollowedSchema]);

export const FollowerListQuery = Type.Object(
  {
    cursor: Type.Optional(Cursor),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    tagId: Type.Optional(TagId),
  },
  { additionalProperties: false },
);

export const BlacklistQuery = Type.Object(
  { cursor: Type.Optional(Cursor), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) },
  { additionalProperties: false },
);

export const FollowerParams = Type.Object({ id: Id, openid: Openid }, { additionalProperties: false });
export const RemarkBody = Type.Object({ remark: Type.String({ maxLength: FOLLOWER_LIMITS.remarkLength }) }, { additionalProperties: false });

export const TagSchema = Type.Object({ id: Type.Integer(), name: Type.String(), count: Type.Integer() });
export const TagNameBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: FOLLOWER_LIMITS.tagNameLength, pattern: '\\S' }) },
  { additionalProperties: false },
);
export const TagParams = Type.Object({ id: Id, tagId: TagId }, { additionalProperties: false });

export function openidBatch(maxItems: number) {
  return Type.Object({ openids: Type.Array(Openid, { minItems: 1, maxItems }) }, { additionalProperties: false });
}

export const BlacklistEntry = Type.Object({ openid: Type.String(), blacklistedAt: Timestamp });
