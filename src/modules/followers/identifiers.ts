import { randomBytes } from 'node:crypto';

/** "o" + 27 URL-safe characters (160 random bits): the length and alphabet of WeChat's openids and unionids. */
function wechatUserIdentifier(): string {
  return `o${randomBytes(20).toString('base64url')}`;
}

/** Unguessable, and stable for a (user, account) pair because the follower row that holds it outlives unfollows. */
export const newOpenid = wechatUserIdentifier;

/** WeChat's unionids look like openids; this one is stable for a user across accounts of the same owner. */
export const newUnionid = wechatUserIdentifier;

export function newMediaId(): string {
  return randomBytes(30).toString('base64url');
}
