import { randomBytes } from 'node:crypto';

/** 28 characters like WeChat's openids ("o" + 27 URL-safe characters), unguessable. */
export function newOpenid(): string {
  return `o${randomBytes(20).toString('base64url')}`;
}

/** Same shape as an openid; WeChat's unionids are indistinguishable from openids by eye. */
export function newUnionid(): string {
  return `o${randomBytes(20).toString('base64url')}`;
}

export function newMediaId(): string {
  return randomBytes(30).toString('base64url');
}
