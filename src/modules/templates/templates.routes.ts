import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AccountParams, adminSecurity, problems } from '../../http/schemas.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import { CATALOGUE, INDUSTRIES, industryOf, type Industry } from './catalogue.js';
import {
  AddTemplateBody,
  IndustriesSchema,
  LibrarySchema,
  SendTemplateBody,
  SetIndustriesBody,
  TemplateIdParams,
  TemplateSchema,
  TemplateSentSchema,
} from './templates.schemas.js';
import type { TemplatesService } from './templates.service.js';

const industriesView = ({ primary, secondary }: { primary: Industry | null; secondary: Industry | null }) => ({ primaryIndustry: primary, secondaryIndustry: secondary });

/** The catalogue as the console lists it: what templateIdShort (and, for a category template, keywordNames) may name. */
const library = {
  templates: CATALOGUE.map((entry) => {
    if (entry.kind === 'industry') {
      const industry = industryOf(entry.industryId)!;
      return { templateIdShort: entry.templateIdShort, kind: entry.kind, title: entry.title, industryId: industry.id, primaryIndustry: industry.firstClass, deputyIndustry: industry.secondClass, content: entry.content, example: entry.example, keywords: [] };
    }
    return {
      templateIdShort: entry.templateIdShort,
      kind: entry.kind,
      title: entry.title,
      industryId: null,
      primaryIndustry: entry.category.firstClass,
      deputyIndustry: entry.category.secondClass,
      content: null,
      example: null,
      keywords: entry.keywords.map((keyword) => ({ ...keyword })),
    };
  }),
  industries: [...INDUSTRIES],
};

/**
 * Template messages on the admin API: the console's template plugin (industries, the account's templates, sending),
 * as /cgi-bin/template/* and message/template/send do them. For verified service accounts only, on the console as on
 * the API (CONSOLE_CHECKED_CAPABILITIES): others get 403 CAPABILITY_NOT_ALLOWED. Refusals carry WeChat's errcode.
 */
export const templatesRoutes: FastifyPluginAsyncTypebox<{ templates: TemplatesService; accounts: AccountsService }> = async (app, { templates, accounts }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['templates'];
  const security = adminSecurity;
  const manage = {
    preHandler: [
      app.authorizeAccount('templates:manage'),
      // Template messages are for verified service accounts, on WeChat's console as on its API.
      async (request: FastifyRequest) => accounts.requireOnConsole(request.accountAccess, 'template_message'),
    ],
  };

  app.get('/v1/template-library', {
    schema: {
      tags,
      security,
      summary: 'The templates an account may add (industry templates TM…/OPENTM…, category templates by number) and the industries',
      response: { 200: LibrarySchema, ...problems(401) },
    },
    handler: async () => library,
  });

  app.get('/v1/accounts/:id/template-industry', {
    ...manage,
    schema: { tags, security, summary: "The account's two industries (null until set)", params: AccountParams, response: { 200: IndustriesSchema, ...problems(401, 403, 404) } },
    handler: async (request) => industriesView(await templates.industries(request.accountAccess.account.id)),
  });

  app.put('/v1/accounts/:id/template-industry', {
    ...manage,
    schema: {
      tags,
      security,
      summary: "Set the account's two industries (different ones); its industry templates of other industries are deleted",
      params: AccountParams,
      body: SetIndustriesBody,
      response: { 200: Type.Object({ ...IndustriesSchema.properties, removedTemplates: Type.Integer({ description: 'templates deleted with their industry' }) }), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const set = await templates.setIndustries(request.accountAccess.account.id, request.body.primaryIndustryId, request.body.secondaryIndustryId);
      return { ...industriesView(set), removedTemplates: set.removedTemplates };
    },
  });

  app.get('/v1/accounts/:id/templates', {
    ...manage,
    schema: { tags, security, summary: "The account's templates, oldest first (at most 25)", params: AccountParams, response: { 200: Type.Object({ items: Type.Array(TemplateSchema) }), ...problems(401, 403, 404) } },
    handler: async (request) => ({ items: await templates.list(request.accountAccess.account.id) }),
  });

  app.post('/v1/accounts/:id/templates', {
    ...manage,
    schema: {
      tags,
      security,
      summary:
        'Add a template from the library (201); the same entry with the same keywords again answers the existing one (200). 400 VALIDATION_FAILED (40037 unknown, 40246 keywords), 409 TEMPLATE_INDUSTRY_CONFLICT (45027) or TEMPLATE_LIMIT_REACHED (45026: 25 already)',
      params: AccountParams,
      body: AddTemplateBody,
      response: { 200: TemplateSchema, 201: TemplateSchema, ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const { created, template } = await templates.add(request.accountAccess.account.id, request.body);
      return reply.code(created ? 201 : 200).send(template);
    },
  });

  app.delete('/v1/accounts/:id/templates/:templateId', {
    ...manage,
    schema: { tags, security, summary: 'Delete a template', params: TemplateIdParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } },
    handler: async (request, reply) => {
      await templates.remove(request.accountAccess.account.id, request.params.templateId);
      return reply.code(204).send(null);
    },
  });

  app.post('/v1/accounts/:id/templates/:templateId/send', {
    ...manage,
    schema: {
      tags,
      security,
      summary:
        "Send a template message to a follower (201; 200 answers an earlier send with the same clientMsgId). It lands in the follower's inbox and TEMPLATESENDJOBFINISH is pushed. 400 VALIDATION_FAILED (47003 data, 40066 url), 404 TEMPLATE_NOT_FOUND (40037) or FOLLOWER_NOT_FOUND (40003), 409 NOT_FOLLOWING (43004), 403 BLACKLISTED (43019)",
      params: TemplateIdParams,
      body: SendTemplateBody,
      response: { 200: TemplateSentSchema, 201: TemplateSentSchema, ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const { openid, ...rest } = request.body;
      const sent = await templates.send(request.accountAccess.account.id, { openid, templateId: request.params.templateId, ...rest });
      const { replayed, ...view } = sent;
      return reply.code(replayed ? 200 : 201).send(view);
    },
  });
};
