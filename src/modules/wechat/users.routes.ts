import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { isAppError } from '../../errors.js';
import type { FollowersService } from '../followers/followers.service.js';
import { FOLLOWER_LIMITS } from '../followers/wechat-constants.js';
import { wechatError } from './errcodes.js';
import { createFollowerTotals } from './follower-totals.js';
import {
  CountedOpenidPageSchema,
  OPENIDS_PER_PAGE,
  openidPage,
  OpenidPageSchema,
  optionalOpenid,
  parseLang,
  parseModifiableTagId,
  parseOpenidList,
  parseRemark,
  parseTagId,
  parseTagName,
  parseUserList,
  requireBody,
  requireOpenid,
  requireTagObject,
  USERS_PER_BATCHGET,
  UserInfoSchema,
  wechatUserInfo,
} from './users.wechat.js';
import { OK } from './wechat.plugin.js';

const tags = ['wechat'];
const TokenQuery = Type.Object({ access_token: Type.Optional(Type.String()) });
const Okay = Type.Object({ errcode: Type.Literal(0), errmsg: Type.String() });
// No body schemas: a body may come with any Content-Type or none (see speakWechat), and a missing one is WeChat's
// 44002, so handlers read the fields they need through users.wechat.ts and answer WeChat's codes themselves.

/**
 * Runs a call that names openids of the account; where one is not the account's follower, tells WeChat's two cases
 * apart as the tagging, getidlist and blacklist interfaces do: 49003 when the openid is another account's,
 * 40003 when no account has it.
 */
async function namingOpenids<T>(followers: FollowersService, openids: string[], call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!isAppError(error) || (error.code !== 'INVALID_OPENIDS' && error.code !== 'FOLLOWER_NOT_FOUND')) throw error;
    const invalid = (error.details.invalidOpenids as string[] | undefined) ?? openids;
    if ((await followers.openidsUnknownToAnyAccount(invalid)).length === 0) throw wechatError(49003);
    throw wechatError(40003);
  }
}

/** Followers, tags and the blacklist under /cgi-bin (user/*, tags/*), over the followers service. */
export const userRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const { followers } = deps.services;
  const totals = createFollowerTotals({ redis: deps.redis, redisPrefix: deps.config.redisPrefix, clock: deps.clock, count: followers.countSubscribed });

  app.get('/user/get', {
    schema: {
      tags,
      summary: `Openids of current followers, ${OPENIDS_PER_PAGE} per page in follow order; next_openid continues after the given one (total: counted on the first page, reused by the pages after it for up to a minute)`,
      querystring: Type.Object({ access_token: Type.Optional(Type.String()), next_openid: Type.Optional(Type.String()) }),
      response: { 200: CountedOpenidPageSchema },
    },
    handler: async (request) => {
      const accountId = request.wechatAccount.id;
      const afterOpenid = optionalOpenid(request.query.next_openid);
      const [openids, total] = await Promise.all([
        followers.subscribedOpenids(accountId, { afterOpenid, limit: OPENIDS_PER_PAGE }),
        totals.total(accountId, { fresh: afterOpenid === undefined }),
      ]);
      return { total, ...openidPage(openids) };
    },
  });

  app.get('/user/info', {
    schema: {
      tags,
      summary: "A follower's basic information (lang: zh_CN, zh_TW or en); after an unfollow only subscribe 0 and the identifiers",
      querystring: Type.Object({ access_token: Type.Optional(Type.String()), openid: Type.Optional(Type.String()), lang: Type.Optional(Type.String()) }),
      response: { 200: UserInfoSchema },
    },
    handler: async (request) => {
      const openid = requireOpenid(request.query.openid);
      parseLang(request.query.lang);
      return wechatUserInfo(await followers.get(request.wechatAccount.id, openid));
    },
  });

  app.post('/user/info/batchget', {
    schema: {
      tags,
      summary: `user/info for up to ${USERS_PER_BATCHGET} followers: {user_list: [{openid, lang}]}`,
      querystring: TokenQuery,
      response: { 200: Type.Object({ user_info_list: Type.Array(UserInfoSchema) }) },
    },
    handler: async (request) => {
      const openids = parseUserList(requireBody(request.body));
      const views = await followers.getMany(request.wechatAccount.id, openids);
      return { user_info_list: views.map(wechatUserInfo) };
    },
  });

  app.post('/user/info/updateremark', {
    schema: { tags, summary: `Set a follower's remark (shorter than ${FOLLOWER_LIMITS.remarkLength} characters): {openid, remark}`, querystring: TokenQuery, response: { 200: Okay } },
    handler: async (request) => {
      const body = requireBody(request.body);
      const openid = requireOpenid(body.openid);
      await followers.setRemark(request.wechatAccount.id, openid, parseRemark(body.remark));
      return OK;
    },
  });

  app.post('/tags/create', {
    schema: {
      tags,
      summary: `Create a tag (at most ${FOLLOWER_LIMITS.tagsPerAccount}, names up to ${FOLLOWER_LIMITS.tagNameLength} characters): {tag: {name}}`,
      querystring: TokenQuery,
      response: { 200: Type.Object({ tag: Type.Object({ id: Type.Integer(), name: Type.String() }) }) },
    },
    handler: async (request) => {
      const name = parseTagName(requireTagObject(requireBody(request.body)).name);
      const tag = await followers.createTag(request.wechatAccount.id, name);
      return { tag: { id: tag.id, name: tag.name } };
    },
  });

  app.get('/tags/get', {
    schema: {
      tags,
      summary: "The account's tags, each with its number of current followers",
      querystring: TokenQuery,
      response: { 200: Type.Object({ tags: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), count: Type.Integer() })) }) },
    },
    handler: async (request) => ({ tags: await followers.listTags(request.wechatAccount.id) }),
  });

  app.post('/tags/update', {
    schema: { tags, summary: 'Rename a tag: {tag: {id, name}}', querystring: TokenQuery, response: { 200: Okay } },
    handler: async (request) => {
      const tag = requireTagObject(requireBody(request.body));
      const tagId = parseModifiableTagId(tag.id);
      await followers.renameTag(request.wechatAccount.id, tagId, parseTagName(tag.name));
      return OK;
    },
  });

  app.post('/tags/delete', {
    schema: {
      tags,
      summary: `Delete a tag (not one with more than ${FOLLOWER_LIMITS.maxFollowersOfDeletableTag} followers): {tag: {id}}`,
      querystring: TokenQuery,
      response: { 200: Okay },
    },
    handler: async (request) => {
      const tagId = parseModifiableTagId(requireTagObject(requireBody(request.body)).id);
      await followers.deleteTag(request.wechatAccount.id, tagId);
      return OK;
    },
  });

  app.post('/tags/members/batchtagging', {
    schema: {
      tags,
      summary: `Tag up to ${FOLLOWER_LIMITS.openidsPerTagBatch} followers, all or none (a follower carries at most ${FOLLOWER_LIMITS.tagsPerFollower} tags): {openid_list, tagid}`,
      querystring: TokenQuery,
      response: { 200: Okay },
    },
    handler: async (request) => {
      const body = requireBody(request.body);
      const openids = parseOpenidList(body, FOLLOWER_LIMITS.openidsPerTagBatch);
      const tagId = parseTagId(body.tagid);
      await namingOpenids(followers, openids, () => followers.tagFollowers(request.wechatAccount.id, tagId, openids));
      return OK;
    },
  });

  app.post('/tags/members/batchuntagging', {
    schema: { tags, summary: `Untag up to ${FOLLOWER_LIMITS.openidsPerTagBatch} followers: {openid_list, tagid}`, querystring: TokenQuery, response: { 200: Okay } },
    handler: async (request) => {
      const body = requireBody(request.body);
      const openids = parseOpenidList(body, FOLLOWER_LIMITS.openidsPerTagBatch);
      const tagId = parseTagId(body.tagid);
      await namingOpenids(followers, openids, () => followers.untagFollowers(request.wechatAccount.id, tagId, openids));
      return OK;
    },
  });

  app.post('/tags/getidlist', {
    schema: {
      tags,
      summary: 'The tag ids a follower carries: {openid}',
      querystring: TokenQuery,
      response: { 200: Type.Object({ tagid_list: Type.Array(Type.Integer()) }) },
    },
    handler: async (request) => {
      const openid = requireOpenid(requireBody(request.body).openid);
      return { tagid_list: await namingOpenids(followers, [openid], () => followers.tagIdsOf(request.wechatAccount.id, openid)) };
    },
  });

  app.post('/user/tag/get', {
    schema: {
      tags,
      summary: `Openids of a tag's current followers, ${OPENIDS_PER_PAGE} per page (no total): {tagid, next_openid}`,
      querystring: TokenQuery,
      response: { 200: OpenidPageSchema },
    },
    handler: async (request) => {
      const body = requireBody(request.body);
      const tagId = parseTagId(body.tagid);
      const afterOpenid = optionalOpenid(body.next_openid);
      return openidPage(await followers.tagMemberOpenids(request.wechatAccount.id, tagId, { afterOpenid, limit: OPENIDS_PER_PAGE }));
    },
  });

  app.post('/tags/members/getblacklist', {
    schema: {
      tags,
      summary: `Openids on the blacklist, ${OPENIDS_PER_PAGE} per page: {begin_openid} (empty: from the start)`,
      querystring: TokenQuery,
      response: { 200: CountedOpenidPageSchema },
    },
    handler: async (request) => {
      // The body is optional here: no begin_openid (or no body) lists from the start.
      const body = request.body === undefined ? {} : requireBody(request.body);
      const afterOpenid = optionalOpenid(body.begin_openid);
      const { total, openids } = await followers.blacklistedOpenids(request.wechatAccount.id, { afterOpenid, limit: OPENIDS_PER_PAGE });
      return { total, ...openidPage(openids) };
    },
  });

  for (const [path, blacklisted] of [
    ['/tags/members/batchblacklist', true],
    ['/tags/members/batchunblacklist', false],
  ] as const) {
    app.post(path, {
      schema: {
        tags,
        summary: `${blacklisted ? 'Blacklist' : 'Take off the blacklist'} up to ${FOLLOWER_LIMITS.openidsPerBlacklistBatch} followers: {openid_list}`,
        querystring: TokenQuery,
        response: { 200: Okay },
      },
      handler: async (request) => {
        const openids = parseOpenidList(requireBody(request.body), FOLLOWER_LIMITS.openidsPerBlacklistBatch);
        await namingOpenids(followers, openids, () => followers.setBlacklist(request.wechatAccount.id, openids, blacklisted));
        return OK;
      },
    });
  }
};
