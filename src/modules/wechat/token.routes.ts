import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findAccountByAppid } from '../accounts/accounts.repo.js';
import type { Database } from '../../db/client.js';
import type { CallLimits } from './call-limits.js';
import { wechatError } from './errcodes.js';
import type { WechatAuth } from './wechat-auth.js';
import { OK } from './wechat.plugin.js';

const tags = ['wechat'];
const TokenAnswer = Type.Object({ access_token: Type.String(), expires_in: Type.Integer() });
const Okay = Type.Object({ errcode: Type.Literal(0), errmsg: Type.String() });
// No body schemas: a body may come with any Content-Type or none (see speakWechat), and a missing one is WeChat's
// 44002, so handlers read the fields they need and answer WeChat's codes themselves.

/** Access tokens and call quotas, under /cgi-bin. */
export const tokenRoutes: FastifyPluginAsyncTypebox<{ auth: WechatAuth; callLimits: CallLimits; db: Database }> = async (app, { auth, callLimits, db }) => {
  app.get('/token', {
    config: { wechatPublic: true },
    schema: {
      tags,
      summary: 'An access token for an AppID and AppSecret (2 hours; the previous one stays valid for 5 minutes)',
      querystring: Type.Object({ grant_type: Type.Optional(Type.String()), appid: Type.Optional(Type.String()), secret: Type.Optional(Type.String()) }),
      response: { 200: TokenAnswer },
    },
    handler: async (request) => auth.token(request.query),
  });

  app.post('/stable_token', {
    config: { wechatPublic: true },
    schema: {
      tags,
      summary: 'The stable access token: the same one until its last 5 minutes; force_refresh rotates it (20 a day, 30 s apart)',
      response: { 200: TokenAnswer },
    },
    handler: async (request) => {
      if (typeof request.body !== 'object' || request.body === null) throw wechatError(44002);
      return auth.stableToken(request.body);
    },
  });

  app.post('/clear_quota', {
    schema: {
      tags,
      summary: "Zero today's call counts of every interface (10 times a month)",
      querystring: Type.Object({ access_token: Type.Optional(Type.String()) }),
      response: { 200: Okay },
    },
    handler: async (request) => {
      const appid = (request.body as { appid?: unknown } | undefined)?.appid;
      if (typeof appid !== 'string' || appid === '') throw wechatError(41002);
      const account = await findAccountByAppid(db, appid);
      if (!account || account.id !== request.wechatAccount.id) throw wechatError(40013);
      await callLimits.clear(account.id);
      return OK;
    },
  });

  app.post('/openapi/quota/get', {
    schema: {
      tags,
      summary: "One interface's daily limit, today's calls and what remains",
      querystring: Type.Object({ access_token: Type.Optional(Type.String()) }),
      response: { 200: Type.Object({ errcode: Type.Literal(0), errmsg: Type.String(), quota: Type.Object({ daily_limit: Type.Integer(), used: Type.Integer(), remain: Type.Integer() }) }) },
    },
    handler: async (request) => {
      const path = (request.body as { cgi_path?: unknown } | undefined)?.cgi_path;
      if (typeof path !== 'string' || !path.startsWith('/')) throw wechatError(76021);
      return { ...OK, quota: await callLimits.quotaOf(request.wechatAccount.id, path) };
    },
  });
};
