/** WeChat's subscribe_scene values (user/info), i.e. where a follow came from. */
export const SUBSCRIBE_SCENES = [
  'ADD_SCENE_SEARCH',
  'ADD_SCENE_ACCOUNT_MIGRATION',
  'ADD_SCENE_PROFILE_CARD',
  'ADD_SCENE_QR_CODE',
  'ADD_SCENE_PROFILE_LINK',
  'ADD_SCENE_PROFILE_ITEM',
  'ADD_SCENE_PAID',
  'ADD_SCENE_WECHAT_ADVERTISEMENT',
  'ADD_SCENE_REPRINT',
  'ADD_SCENE_LIVESTREAM',
  'ADD_SCENE_CHANNELS',
  'ADD_SCENE_OTHERS',
] as const;
export type SubscribeScene = (typeof SUBSCRIBE_SCENES)[number];

/** Where an article page was opened from; the user_source dimension of datacube's getuserread. */
export const READ_SOURCES = ['session', 'friends', 'moments', 'history', 'kanyikan', 'souyisou', 'other'] as const;
export type ReadSource = (typeof READ_SOURCES)[number];

export const SHARE_SCENES = ['friend', 'moments', 'other'] as const;
export const ENGAGEMENT_ACTIONS = ['read', 'original', 'share', 'favorite'] as const;
export type EngagementAction = (typeof ENGAGEMENT_ACTIONS)[number];

export const MESSAGE_TYPES = ['text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/**
 * WeChat's upstream msg_type codes that count two of our types together (getupstreammsg: 4 video and short video,
 * 6 link and location), under the keys the statistics keep them by. Their senders are distinct across both types,
 * so they are not the sum of the two types' senders.
 */
export const WECHAT_COMBINED_TYPES = { 'wechat:4': ['video', 'shortvideo'], 'wechat:6': ['link', 'location'] } as const satisfies Record<string, readonly MessageType[]>;
export type WechatCombinedType = keyof typeof WECHAT_COMBINED_TYPES;

/** Limits WeChat documents for user management (tags, remarks, blacklist). */
export const FOLLOWER_LIMITS = {
  tagsPerAccount: 100,
  tagsPerFollower: 20,
  tagNameLength: 30,
  openidsPerTagBatch: 50,
  openidsPerBlacklistBatch: 20,
  remarkLength: 30,
  /** A tag with more followers than this cannot be deleted directly (WeChat's 45057). */
  maxFollowersOfDeletableTag: 100_000,
} as const;
