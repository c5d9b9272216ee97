import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { integerOf, objectOf } from '../../http/json-fields.js';
import type { Industry } from '../templates/catalogue.js';
import type { TemplateData } from '../templates/templates.rules.js';
import type { TemplateSendInput } from '../templates/templates.service.js';
import { wechatError } from './errcodes.js';
import { requireBody, requireTouser } from './users.wechat.js';
import { OK } from './wechat.plugin.js';

const tags = ['wechat'];
const querystring = Type.Object({ access_token: Type.Optional(Type.String()) });

/** A template_id as this platform (and WeChat) makes them: 43 characters; any other size is 40036. */
const TEMPLATE_ID_CHARS = 43;

/** Ids come as strings in WeChat's samples ("1", "47123"); numbers are taken as their digits. */
const textOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;

function requireTemplateId(value: unknown): string {
  if (typeof value !== 'string' || value.length !== TEMPLATE_ID_CHARS) throw wechatError(40036);
  return value;
}

const invalidArgument = (what: string) => wechatError(47003, `argument invalid! ${what}`);

/**
 * data as the service takes it: `{key: {value, color?}}`, values as strings (numbers as their digits). A missing
 * value is empty, which the service refuses for a required key; anything else of the wrong shape is 47003 here.
 */
function dataOf(value: unknown): TemplateData {
  if (value === undefined || value === null) return {};
  const data = objectOf(value);
  if (!data) throw invalidArgument('data must be an object of {value, color}');
  return Object.fromEntries(
    Object.entries(data).map(([key, entry]) => {
      const fields = objectOf(entry);
      if (!fields) throw invalidArgument(`data.${key} must be {value, color}`);
      const text = fields.value === undefined || fields.value === null ? '' : textOf(fields.value);
      if (text === undefined) throw invalidArgument(`data.${key}.value invalid`);
      if (fields.color !== undefined && fields.color !== null && typeof fields.color !== 'string') throw invalidArgument(`data.${key}.color invalid`);
      return [key, typeof fields.color === 'string' ? { value: text, color: fields.color } : { value: text }];
    }),
  );
}

/** WeChat's send body (§10.3.1) in the service's terms; `color`/`topcolor` at the top (older SDKs) are not used. */
function sendInputOf(body: Record<string, unknown>): TemplateSendInput {
  const input: TemplateSendInput = { openid: requireTouser(body), templateId: requireTemplateId(body.template_id), data: dataOf(body.data) };
  if (body.url !== undefined && body.url !== null) {
    if (typeof body.url !== 'string') throw wechatError(40066);
    input.url = body.url;
  }
  if (body.miniprogram !== undefined && body.miniprogram !== null) {
    const miniprogram = objectOf(body.miniprogram);
    if (!miniprogram) throw invalidArgument('miniprogram must be {appid, pagepath}');
    // WxJava can send `path` instead of `pagepath` (§10.3.1). Absent is empty (the service refuses an empty appid);
    // a value that is no text (true, [], {}) is refused here rather than sent as empty.
    const fieldOf = (field: 'appid' | 'pagepath', value: unknown) => {
      if (value === undefined || value === null) return '';
      const text = textOf(value);
      if (text === undefined) throw invalidArgument(`miniprogram.${field} invalid`);
      return text;
    };
    input.miniprogram = { appid: fieldOf('appid', miniprogram.appid), pagepath: fieldOf('pagepath', miniprogram.pagepath ?? miniprogram.path) };
  }
  if (body.client_msg_id !== undefined && body.client_msg_id !== null) {
    const clientMsgId = textOf(body.client_msg_id);
    if (clientMsgId === undefined) throw wechatError(40097, 'invalid args: client_msg_id must be a string');
    input.clientMsgId = clientMsgId;
  }
  return input;
}

const industryJson = (industry: Industry | null) => ({ first_class: industry?.firstClass ?? '', second_class: industry?.secondClass ?? '' });

/** Template messages under /cgi-bin (§10.3), over the templates module's service. */
export const templateRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const { templates } = deps.services;

  app.post('/template/api_set_industry', {
    schema: { tags, summary: "Set the account's two industries: {industry_id1, industry_id2}, WeChat's codes 1–41; templates of other industries are deleted", querystring },
    handler: async (request) => {
      const body = requireBody(request.body);
      const [primary, secondary] = [integerOf(body.industry_id1), integerOf(body.industry_id2)];
      if (primary === undefined || secondary === undefined) throw wechatError(40097, 'invalid args: industry_id1 and industry_id2 are industry codes from 1 to 41');
      await templates.setIndustries(request.wechatAccount.id, primary, secondary);
      return OK;
    },
  });

  app.get('/template/get_industry', {
    schema: { tags, summary: "The account's industries (empty strings until set)", querystring },
    handler: async (request) => {
      const { primary, secondary } = await templates.industries(request.wechatAccount.id);
      return { primary_industry: industryJson(primary), secondary_industry: industryJson(secondary) };
    },
  });

  app.post('/template/api_add_template', {
    schema: {
      tags,
      summary: 'Add a template from the library: {template_id_short, keyword_name_list (category templates)} → {template_id}; at most 25 per account',
      querystring,
    },
    handler: async (request) => {
      const body = requireBody(request.body);
      let keywordNames: string[] | undefined;
      if (body.keyword_name_list !== undefined && body.keyword_name_list !== null) {
        const list = body.keyword_name_list;
        if (!Array.isArray(list) || !list.every((name) => typeof name === 'string')) throw wechatError(40246);
        keywordNames = list as string[];
      }
      const { template } = await templates.add(request.wechatAccount.id, { templateIdShort: textOf(body.template_id_short) ?? '', ...(keywordNames ? { keywordNames } : {}) });
      return { ...OK, template_id: template.templateId };
    },
  });

  app.get('/template/get_all_private_template', {
    schema: { tags, summary: "The account's templates: {template_list: [{template_id, title, primary_industry, deputy_industry, content, example}]}", querystring },
    handler: async (request) => ({
      template_list: (await templates.list(request.wechatAccount.id)).map((template) => ({
        template_id: template.templateId,
        title: template.title,
        primary_industry: template.primaryIndustry,
        deputy_industry: template.deputyIndustry,
        content: template.content,
        example: template.example,
      })),
    }),
  });

  app.post('/template/del_private_template', {
    schema: { tags, summary: 'Delete a template: {template_id}', querystring },
    handler: async (request) => {
      await templates.remove(request.wechatAccount.id, requireTemplateId(requireBody(request.body).template_id));
      return OK;
    },
  });

  app.post('/message/template/send', {
    schema: {
      tags,
      summary:
        "Send a template message to a follower: {touser, template_id, url, miniprogram, client_msg_id, data: {key: {value, color}}} → {msgid}; it lands in the follower's inbox and TEMPLATESENDJOBFINISH is pushed",
      querystring,
    },
    handler: async (request, reply) => {
      // A refusal carries WeChat's errcode and errmsg (§10.3.2), which the scope's error handler answers as they are.
      const sent = await templates.send(request.wechatAccount.id, sendInputOf(requireBody(request.body)));
      // msgid is 64-bit (§10.3.1: 3717005636572528642): written as its digits, a JSON number as WeChat writes it,
      // never through a JS number that would round it.
      return reply.type('application/json; charset=utf-8').send(`{"errcode":0,"errmsg":"ok","msgid":${BigInt(sent.msgId).toString()}}`);
    },
  });
};
