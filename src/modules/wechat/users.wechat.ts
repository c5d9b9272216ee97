import { Type } from '@fastify/type-provider-typebox';
import { INT4_MAX } from '../../http/schemas.js';
import type { toUserInfo } from '../followers/followers.service.js';
import { FOLLOWER_LIMITS } from '../followers/wechat-constants.js';
import { wechatError } from './errcodes.js';

/**
 * What WeChat's user and tag interfaces read from a request and answer (../shared/wechat-protocol.md §3): the
 * checks that turn a body into WeChat's errcodes, and the snake_case shapes. Bodies arrive unvalidated (see
 * speakWechat), so every reader here takes `unknown`.
 */

/** Openids per page of user/get, user/tag/get and getblacklist: fixed by WeChat, not chosen by the caller. */
export const OPENIDS_PER_PAGE = 10_000;

/** user/info/batchget: at most 100 users per call (new doc api_batchuserinfo, wechatpy `get_batch`). */
export const USERS_PER_BATCHGET = 100;

/** WeChat's own tags 0, 1 and 2 (2 is 星标组): never the account's to rename or delete (45058). */
const SYSTEM_TAG_IDS = new Set([0, 1, 2]);

export const USER_INFO_LANGUAGES = ['zh_CN', 'zh_TW', 'en'] as const;
export type UserInfoLanguage = (typeof USER_INFO_LANGUAGES)[number];

/** The body as an object; an absent body (or JSON that is not an object) is WeChat's 44002 "empty post data". */
export function requireBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw wechatError(44002);
  return body as Record<string, unknown>;
}

/** An openid the caller must give: absent or empty is 41009 "missing openid". */
export function requireOpenid(value: unknown): string {
  if (value === undefined || value === null || value === '') throw wechatError(41009);
  if (typeof value !== 'string') throw wechatError(40003);
  return value;
}

/** The recipient of a message send (custom, typing, template): anything but a non-empty string is 40003, as WeChat answers. */
export function requireTouser(body: Record<string, unknown>): string {
  if (typeof body.touser !== 'string' || body.touser === '') throw wechatError(40003);
  return body.touser;
}

/** An optional openid cursor (next_openid, begin_openid): absent or empty starts at the beginning. */
export function optionalOpenid(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw wechatError(40003);
  return value;
}

/**
 * The lang of user/info (zh_CN when absent), also written with a hyphen (`zh-CN`) as some SDKs send it. WeChat uses
 * it to localise country, province and city, which it no longer returns; it is checked (40097) and otherwise
 * changes nothing.
 */
export function parseLang(value: unknown): UserInfoLanguage {
  if (value === undefined || value === null || value === '') return 'zh_CN';
  const normalised = typeof value === 'string' ? value.replace('-', '_') : value;
  if (!USER_INFO_LANGUAGES.includes(normalised as UserInfoLanguage)) throw wechatError(40097, `invalid args: lang must be one of ${USER_INFO_LANGUAGES.join(', ')}`);
  return normalised as UserInfoLanguage;
}

/**
 * user/info/batchget's user_list: 1 to 100 items of `{openid, lang}` (or `language`, which some SDKs send). Over
 * 100, or empty, is 40032 "invalid openid list size": WeChat documents no code of its own for this interface, and
 * 40032 is the one it gives for an oversized openid list on its siblings (batchtagging, batchblacklist, mass send).
 */
export function parseUserList(body: Record<string, unknown>): string[] {
  const list = body.user_list;
  if (!Array.isArray(list)) throw wechatError(40097, 'invalid args: user_list must be an array of {openid, lang}');
  if (list.length === 0 || list.length > USERS_PER_BATCHGET) throw wechatError(40032, `invalid openid list size: user_list takes 1 to ${USERS_PER_BATCHGET} users`);
  return list.map((item: unknown) => {
    if (typeof item !== 'object' || item === null) throw wechatError(40097, 'invalid args: each user_list item is {openid, lang}');
    const { openid, lang, language } = item as Record<string, unknown>;
    parseLang(lang ?? language);
    return requireOpenid(openid);
  });
}

/**
 * An openid_list of 1 to `max` openids (50 for tagging, 20 for the blacklist): any other size, or no list, is 40032
 * (wechat-protocol.md §3.5, §3.6); an item that is not an openid is 40003.
 */
export function parseOpenidList(body: Record<string, unknown>, max: number): string[] {
  const list = body.openid_list;
  if (!Array.isArray(list) || list.length === 0 || list.length > max) throw wechatError(40032, `invalid openid list size: openid_list takes 1 to ${max} openids`);
  for (const openid of list) if (typeof openid !== 'string' || openid === '') throw wechatError(40003);
  return list as string[];
}

/** A tag id, as a number or a numeric string (SDKs send either); anything else is 45159 "invalid tag id". */
export function parseTagId(value: unknown): number {
  const id = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0 || id > INT4_MAX) throw wechatError(45159);
  return id;
}

/** A tag id the account may rename or delete: WeChat's system tags are refused with 45058 even though none exist here. */
export function parseModifiableTagId(value: unknown): number {
  const id = parseTagId(value);
  if (SYSTEM_TAG_IDS.has(id)) throw wechatError(45058);
  return id;
}

/**
 * A tag name: trimmed, not empty (45157 "invalid tag name"), at most 30 characters (45158 "tag name too long").
 * WeChat's doc says 30 characters and its errmsg 30 bytes; the admin API allows 30 characters, so both APIs agree.
 */
export function parseTagName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw wechatError(45157);
  const name = value.trim();
  if ([...name].length > FOLLOWER_LIMITS.tagNameLength) throw wechatError(45158);
  return name;
}

/** The `tag` object of tags/create, update and delete; missing is 40097. */
export function requireTagObject(body: Record<string, unknown>): Record<string, unknown> {
  const tag = body.tag;
  if (typeof tag !== 'object' || tag === null || Array.isArray(tag)) throw wechatError(40097, 'invalid args: tag must be an object');
  return tag as Record<string, unknown>;
}

/**
 * A remark "shorter than 30 characters" (新的备注名，长度必须小于30字符: the doc and the SDKs quoting it). WeChat
 * documents no code for a longer one; 45002 "content size out of limit" is its code for text over a size limit
 * (our choice, not observed). Characters are counted as code points, as a person counts them.
 */
export function parseRemark(value: unknown): string {
  if (typeof value !== 'string') throw wechatError(40097, 'invalid args: remark must be a string');
  if ([...value].length >= FOLLOWER_LIMITS.remarkLength) throw wechatError(45002, `content size out of limit: a remark must be shorter than ${FOLLOWER_LIMITS.remarkLength} characters`);
  return value;
}

/**
 * A page of openids as WeChat answers it: next_openid is the page's last openid even when no page follows, and a
 * page past the end has count 0, no `data` key and an empty next_openid (§3.1; wechatpy's iter_followers stops on
 * either).
 */
export function openidPage(openids: string[]) {
  if (openids.length === 0) return { count: 0, next_openid: '' };
  return { count: openids.length, data: { openid: openids }, next_openid: openids[openids.length - 1]! };
}

/**
 * user/info as WeChat returns it since 2021-12-27 (new doc api_userinfo): no nickname, sex, city, province, country
 * or headimgurl; unionid only when there is one; groupid is the legacy group (always 0). After an unfollow, only
 * subscribe 0, the openid and the unionid.
 */
export function wechatUserInfo(view: ReturnType<typeof toUserInfo>) {
  // toUserInfo's two shapes: the profile of a follower, or the bare identifiers of someone who unfollowed.
  if (!('subscribeTime' in view)) return view;
  return {
    subscribe: 1 as const,
    openid: view.openid,
    language: view.language,
    subscribe_time: view.subscribeTime,
    ...(view.unionid === null ? {} : { unionid: view.unionid }),
    remark: view.remark,
    groupid: 0,
    tagid_list: view.tagidList,
    subscribe_scene: view.subscribeScene,
    qr_scene: view.qrScene,
    qr_scene_str: view.qrSceneStr,
  };
}

// Response schemas: each matches what the handlers send field for field (a 200 schema drops what it does not list).

const OpenidData = Type.Optional(Type.Object({ openid: Type.Array(Type.String()) }));
export const OpenidPageSchema = Type.Object({ count: Type.Integer(), data: OpenidData, next_openid: Type.String() });
export const CountedOpenidPageSchema = Type.Object({ total: Type.Integer(), count: Type.Integer(), data: OpenidData, next_openid: Type.String() });

const FollowingUserInfo = Type.Object({
  subscribe: Type.Literal(1),
  openid: Type.String(),
  language: Type.String(),
  subscribe_time: Type.Integer({ description: 'Unix seconds of the last follow' }),
  unionid: Type.Optional(Type.String()),
  remark: Type.String(),
  groupid: Type.Integer(),
  tagid_list: Type.Array(Type.Integer()),
  subscribe_scene: Type.String(),
  qr_scene: Type.Integer(),
  qr_scene_str: Type.String(),
});
const UnfollowedUserInfo = Type.Object({ subscribe: Type.Literal(0), openid: Type.String(), unionid: Type.Optional(Type.String()) });
export const UserInfoSchema = Type.Union([FollowingUserInfo, UnfollowedUserInfo]);
