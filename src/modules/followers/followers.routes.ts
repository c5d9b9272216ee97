import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AccountParams, adminSecurity, PageOf, problems } from '../../http/schemas.js';
import {
  BlacklistEntry,
  BlacklistQuery,
  FollowerListQuery,
  FollowerParams,
  FollowerSchema,
  openidBatch,
  RemarkBody,
  TagNameBody,
  TagParams,
  TagSchema,
  UserInfoSchema,
} from './followers.schemas.js';
import type { FollowersService } from './followers.service.js';
import { FOLLOWER_LIMITS } from './wechat-constants.js';

/** Follower management for an account's admins and owners: followers, remarks, tags and the blacklist. */
export const followersRoutes: FastifyPluginAsyncTypebox<{ followers: FollowersService }> = async (app, { followers }) => {
  app.addHook('onRequest', app.authenticate);
  app.addHook('preHandler', app.authorizeAccount('followers:manage'));
  const security = adminSecurity;

  app.get('/v1/accounts/:id/followers', {
    schema: { tags: ['followers'], security, summary: 'Current followers, in follow order', params: AccountParams, querystring: FollowerListQuery, response: { 200: PageOf(FollowerSchema), ...problems(400, 401, 403, 404) } },
    handler: async (request) => followers.list(request.accountAccess.account.id, request.query),
  });

  app.get('/v1/accounts/:id/followers/:openid', {
    schema: { tags: ['followers'], security, summary: "A follower's profile (WeChat's user/info fields)", params: FollowerParams, response: { 200: UserInfoSchema, ...problems(400, 401, 403, 404) } },
    handler: async (request) => followers.get(request.accountAccess.account.id, request.params.openid),
  });

  app.put('/v1/accounts/:id/followers/:openid/remark', {
    schema: { tags: ['followers'], security, summary: 'Set the remark (up to 30 characters)', params: FollowerParams, body: RemarkBody, response: { 200: UserInfoSchema, ...problems(400, 401, 403, 404) } },
    handler: async (request) => followers.setRemark(request.accountAccess.account.id, request.params.openid, request.body.remark),
  });

  app.get('/v1/accounts/:id/tags', {
    schema: { tags: ['tags'], security, summary: 'Tags with their follower counts', params: AccountParams, response: { 200: Type.Object({ items: Type.Array(TagSchema) }), ...problems(401, 403, 404) } },
    handler: async (request) => ({ items: await followers.listTags(request.accountAccess.account.id) }),
  });

  app.post('/v1/accounts/:id/tags', {
    schema: { tags: ['tags'], security, summary: `Create a tag (at most ${FOLLOWER_LIMITS.tagsPerAccount} per account)`, params: AccountParams, body: TagNameBody, response: { 201: TagSchema, ...problems(400, 401, 403, 404, 409) } },
    handler: async (request, reply) => reply.code(201).send(await followers.createTag(request.accountAccess.account.id, request.body.name.trim())),
  });

  app.patch('/v1/accounts/:id/tags/:tagId', {
    schema: { tags: ['tags'], security, summary: 'Rename a tag', params: TagParams, body: TagNameBody, response: { 200: TagSchema, ...problems(400, 401, 403, 404, 409) } },
    handler: async (request) => followers.renameTag(request.accountAccess.account.id, request.params.tagId, request.body.name.trim()),
  });

  app.delete('/v1/accounts/:id/tags/:tagId', {
    schema: { tags: ['tags'], security, summary: 'Delete a tag', params: TagParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } },
    handler: async (request, reply) => {
      await followers.deleteTag(request.accountAccess.account.id, request.params.tagId);
      return reply.code(204).send(null);
    },
  });

  const TagBatch = openidBatch(FOLLOWER_LIMITS.openidsPerTagBatch);
  app.post('/v1/accounts/:id/tags/:tagId/members', {
    schema: { tags: ['tags'], security, summary: `Tag up to ${FOLLOWER_LIMITS.openidsPerTagBatch} followers (all or none)`, params: TagParams, body: TagBatch, response: { 200: Type.Object({ tagged: Type.Integer() }), ...problems(400, 401, 403, 404, 409) } },
    handler: async (request) => followers.tagFollowers(request.accountAccess.account.id, request.params.tagId, request.body.openids),
  });

  app.delete('/v1/accounts/:id/tags/:tagId/members', {
    schema: { tags: ['tags'], security, summary: `Untag up to ${FOLLOWER_LIMITS.openidsPerTagBatch} followers`, params: TagParams, body: TagBatch, response: { 200: Type.Object({ untagged: Type.Integer() }), ...problems(400, 401, 403, 404) } },
    handler: async (request) => followers.untagFollowers(request.accountAccess.account.id, request.params.tagId, request.body.openids),
  });

  const BlacklistBatch = openidBatch(FOLLOWER_LIMITS.openidsPerBlacklistBatch);
  app.get('/v1/accounts/:id/blacklist', {
    schema: { tags: ['blacklist'], security, summary: 'Blacklisted followers', params: AccountParams, querystring: BlacklistQuery, response: { 200: PageOf(BlacklistEntry), ...problems(400, 401, 403, 404) } },
    handler: async (request) => followers.listBlacklist(request.accountAccess.account.id, request.query),
  });

  app.post('/v1/accounts/:id/blacklist', {
    schema: { tags: ['blacklist'], security, summary: `Blacklist up to ${FOLLOWER_LIMITS.openidsPerBlacklistBatch} followers: no broadcasts, no messages`, params: AccountParams, body: BlacklistBatch, response: { 200: Type.Object({ changed: Type.Integer() }), ...problems(400, 401, 403, 404) } },
    handler: async (request) => followers.setBlacklist(request.accountAccess.account.id, request.body.openids, true),
  });

  app.delete('/v1/accounts/:id/blacklist', {
    schema: { tags: ['blacklist'], security, summary: `Take up to ${FOLLOWER_LIMITS.openidsPerBlacklistBatch} followers off the blacklist`, params: AccountParams, body: BlacklistBatch, response: { 200: Type.Object({ changed: Type.Integer() }), ...problems(400, 401, 403, 404) } },
    handler: async (request) => followers.setBlacklist(request.accountAccess.account.id, request.body.openids, false),
  });
};
