import { Type } from 'typebox';
import { Id, Timestamp } from '../../http/schemas.js';
import { MsgId } from '../broadcasts/broadcasts.schemas.js';
import { INDUSTRIES } from './catalogue.js';
import { TEMPLATE_LIMITS } from './templates.rules.js';

/** The admin API's shapes for template messages: WeChat's fields in camelCase; the rules (and their errcodes) are the service's. */

const IndustryId = Type.Integer({ minimum: 1, maximum: INDUSTRIES.length, description: `WeChat's industry code, 1–${INDUSTRIES.length}` });

export const IndustrySchema = Type.Object({ id: IndustryId, firstClass: Type.String(), secondClass: Type.String() });

export const IndustriesSchema = Type.Object({
  primaryIndustry: Type.Union([IndustrySchema, Type.Null()], { description: 'null until set' }),
  secondaryIndustry: Type.Union([IndustrySchema, Type.Null()]),
});

export const SetIndustriesBody = Type.Object({ primaryIndustryId: IndustryId, secondaryIndustryId: IndustryId }, { additionalProperties: false });

export const TemplateIdParams = Type.Object(
  { id: Id, templateId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) },
  { additionalProperties: false },
);

export const TemplateSchema = Type.Object({
  templateId: Type.String(),
  templateIdShort: Type.String({ description: 'the library entry it was added from' }),
  title: Type.String(),
  primaryIndustry: Type.String(),
  deputyIndustry: Type.String(),
  content: Type.String({ description: 'with {{key.DATA}} placeholders' }),
  example: Type.String(),
  keys: Type.Array(Type.String(), { description: 'the keys a send\'s data takes, in order; first and remark may be left out' }),
  createdAt: Timestamp,
});

export const AddTemplateBody = Type.Object(
  {
    templateIdShort: Type.String({ minLength: 1, maxLength: 64, description: 'a library entry: TM…/OPENTM… (industry templates) or a number (category templates)' }),
    keywordNames: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32, description: "a category template's keywords, in the order wanted (WeChat's keyword_name_list); not used by industry templates" }),
    ),
  },
  { additionalProperties: false },
);

export const SendTemplateBody = Type.Object(
  {
    openid: Type.String({ minLength: 1, maxLength: 128 }),
    data: Type.Record(
      Type.String({ maxLength: 64 }),
      Type.Object({ value: Type.String({ maxLength: 10_000 }), color: Type.Optional(Type.String({ maxLength: 16 })) }, { additionalProperties: false }),
      { description: 'a value per placeholder key; first and remark may be left out. Refused with 47003 when a key is unknown, a value missing or too long' },
    ),
    url: Type.Optional(Type.String({ maxLength: TEMPLATE_LIMITS.urlChars, description: 'an http(s) link (40066 otherwise)' })),
    miniprogram: Type.Optional(
      Type.Object(
        { appid: Type.String({ maxLength: TEMPLATE_LIMITS.miniprogramFieldChars }), pagepath: Type.String({ maxLength: TEMPLATE_LIMITS.miniprogramFieldChars }) },
        { additionalProperties: false },
      ),
    ),
    clientMsgId: Type.Optional(
      Type.String({ maxLength: TEMPLATE_LIMITS.clientMsgIdChars, description: 'anti-replay id: the same openid and clientMsgId within 10 minutes answer the first send' }),
    ),
  },
  { additionalProperties: false },
);

export const TemplateSentSchema = Type.Object({
  msgId: MsgId,
  openid: Type.String(),
  templateId: Type.String(),
  status: Type.Enum(['success', 'failed:user block'], { description: "TEMPLATESENDJOBFINISH's Status" }),
  sentAt: Timestamp,
});

export const LibraryEntrySchema = Type.Object({
  templateIdShort: Type.String(),
  kind: Type.Enum(['industry', 'category']),
  title: Type.String(),
  industryId: Type.Union([IndustryId, Type.Null()], { description: 'industry templates: the industry the account must have chosen' }),
  primaryIndustry: Type.String(),
  deputyIndustry: Type.String(),
  content: Type.Union([Type.String(), Type.Null()], { description: 'industry templates; a category template is made of the keywords chosen' }),
  example: Type.Union([Type.String(), Type.Null()]),
  keywords: Type.Array(Type.Object({ name: Type.String(), key: Type.String(), example: Type.String() }), { description: 'category templates: what keywordNames may name' }),
});

export const LibrarySchema = Type.Object({ templates: Type.Array(LibraryEntrySchema), industries: Type.Array(IndustrySchema) });
