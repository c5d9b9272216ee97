import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AccountParams, adminSecurity, problems } from '../../http/schemas.js';
import {
  AccountDetailSchema,
  AccountSchema,
  ChooseTypeBody,
  CreateAccountBody,
  CreatedAccountSchema,
  MemberListSchema,
  MemberParams,
  MemberSchema,
  QuotaSchema,
  SetMemberBody,
} from './accounts.schemas.js';
import type { AccountsService } from './accounts.service.js';
import type { QuotaService } from './quota.service.js';

export const accountsRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountsService; quota: QuotaService }> = async (
  app,
  { accounts, quota },
) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['accounts'];
  const security = adminSecurity;

  app.post('/v1/accounts', {
    schema: { tags, security, summary: 'Create an official account (you become its owner)', body: CreateAccountBody, response: { 201: CreatedAccountSchema, ...problems(400, 401) } },
    handler: async (request, reply) => reply.code(201).send(await accounts.create(request.adminUserId, request.body)),
  });

  app.get('/v1/accounts', {
    schema: { tags, security, summary: 'List the accounts you are a member of', response: { 200: Type.Object({ items: Type.Array(AccountSchema) }), ...problems(401) } },
    handler: async (request) => ({ items: await accounts.list(request.adminUserId) }),
  });

  app.get('/v1/accounts/:id', {
    preHandler: app.authorizeAccount('account:read'),
    schema: {
      tags,
      security,
      summary: 'Get an account, with whether it is verified and the capabilities its type and verification give it',
      params: AccountParams,
      response: { 200: AccountDetailSchema, ...problems(401, 404) },
    },
    handler: async (request) => accounts.detail(request.accountAccess),
  });

  app.put('/v1/accounts/:id/type', {
    preHandler: app.authorizeAccount('account:manage'),
    schema: {
      tags,
      security,
      summary: 'Choose the account type, once; the choice is final',
      params: AccountParams,
      body: ChooseTypeBody,
      response: { 200: AccountSchema, ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request) => accounts.chooseType(request.accountAccess, request.body.type),
  });

  app.post('/v1/accounts/:id/secret', {
    preHandler: app.authorizeAccount('account:manage'),
    schema: {
      tags,
      security,
      summary: 'Reset the AppSecret; the old one stops working at once',
      params: AccountParams,
      response: { 200: Type.Object({ appid: Type.String(), appsecret: Type.String() }), ...problems(401, 403, 404) },
    },
    handler: async (request) => accounts.resetSecret(request.accountAccess),
  });

  app.get('/v1/accounts/:id/quota', {
    preHandler: app.authorizeAccount('quota:read'),
    schema: { tags, security, summary: 'Broadcast quota of the current period', params: AccountParams, response: { 200: QuotaSchema, ...problems(401, 404) } },
    handler: async (request) => quota.status(request.accountAccess.account.id),
  });

  app.get('/v1/accounts/:id/members', {
    preHandler: app.authorizeAccount('account:read'),
    schema: { tags, security, summary: 'List members and their roles', params: AccountParams, response: { 200: MemberListSchema, ...problems(401, 404) } },
    handler: async (request) => ({ items: await accounts.listMembers(request.accountAccess.account.id) }),
  });

  app.post('/v1/accounts/:id/members', {
    preHandler: app.authorizeAccount('account:manage'),
    schema: {
      tags,
      security,
      summary: 'Add a registered user as a member, or change their role',
      params: AccountParams,
      body: SetMemberBody,
      response: { 200: MemberSchema, 201: MemberSchema, ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const { created, member } = await accounts.setMember(request.accountAccess.account.id, request.body);
      return reply.code(created ? 201 : 200).send(member);
    },
  });

  app.delete('/v1/accounts/:id/members/:userId', {
    preHandler: app.authorizeAccount('account:manage'),
    schema: { tags, security, summary: 'Remove a member', params: MemberParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } },
    handler: async (request, reply) => {
      await accounts.removeMember(request.accountAccess.account.id, request.params.userId);
      return reply.code(204).send(null);
    },
  });
};
