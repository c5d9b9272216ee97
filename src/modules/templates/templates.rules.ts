import type { CatalogueEntry } from './catalogue.js';

/**
 * The rules of template messages (../shared/wechat-protocol.md §10.3) that need no database: placeholders, the
 * content of a category template, and what a send's `data` must hold. Pure functions, unit-tested
 * (test/unit/template-rules.test.ts).
 */

export const TEMPLATE_LIMITS = {
  /** Private templates an account may have at once (§10.3: "The account may use 25 templates"); more is 45026. */
  privatePerAccount: 25,
  /** One message per openid and client_msg_id within 10 minutes (§10.3.1). */
  clientMsgIdWindowMs: 10 * 60_000,
  /** Our bound on client_msg_id (WeChat's is not documented; a mass send's clientmsgid allows 64). */
  clientMsgIdChars: 64,
  /**
   * A value of a key without a typed prefix (first, keyword1, remark, amount3, …). WeChat capped a whole message at
   * 200 characters in 2014, showing the excess as "…"; here one value over 200 is refused (47003) instead.
   */
  valueChars: 200,
  urlChars: 2048,
  miniprogramFieldChars: 1024,
} as const;

/**
 * Length limits of category-template keyword types, by key prefix (`thing1` is a thing): the values WxJava truncates
 * to (§10.3.1, WxMpTemplateMessage.resetValue). WeChat's own server rule is unconfirmed; here a longer value is
 * refused with 47003 rather than cut.
 */
export const KEYWORD_TYPE_CHARS: Readonly<Record<string, number>> = {
  thing: 20,
  character_string: 32,
  phone_number: 17,
  car_number: 8,
  const: 20,
};

/** `first` and `remark` are optional: WeChat stopped showing them in May 2023 and senders leave them out (§10.3). */
const OPTIONAL_KEYS = new Set(['first', 'remark']);

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\.DATA\s*\}\}/g;
const COLOR = /^#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$/;

const chars = (text: string) => [...text].length;

/** The keys of a template's `{{key.DATA}}` placeholders, each once, in order of first appearance. */
export function placeholderKeys(content: string): string[] {
  return [...new Set([...content.matchAll(PLACEHOLDER)].map((match) => match[1]!))];
}

const isOptionalKey = (key: string) => OPTIONAL_KEYS.has(key.toLowerCase());

/** The longest value a key takes: its type's limit (thing, character_string, …) or the general one. */
export function valueLimitOf(key: string): number {
  const type = /^([a-z_]+?)\d+$/.exec(key)?.[1];
  return (type !== undefined ? KEYWORD_TYPE_CHARS[type] : undefined) ?? TEMPLATE_LIMITS.valueChars;
}

export interface TemplateValue {
  value: string;
  color?: string;
}
export type TemplateData = Record<string, TemplateValue>;

/** A send's data refused: the key (or '' for data as a whole) and WeChat's errmsg, "argument invalid! …" (47003). */
export interface DataViolation {
  key: string;
  errmsg: string;
}

/**
 * What is wrong with a send's data for this template, first problem first: a key the template has no placeholder for
 * (WeChat would drop it; refused here, as it is a mistake the sender wants to hear about), a placeholder without a
 * value (first and remark excepted), a value over its limit, a colour that is not #rgb or #rrggbb. All are 47003,
 * the code WeChat gives a bad data value, its errmsg naming the field (§10.3.1).
 */
export function dataViolation(content: string, data: TemplateData): DataViolation | undefined {
  const keys = placeholderKeys(content);
  const known = new Set(keys);
  for (const key of Object.keys(data)) {
    if (!known.has(key)) return { key, errmsg: `argument invalid! data.${key} is not a keyword of the template (it has ${keys.join(', ')})` };
  }
  for (const key of keys) {
    const given = data[key];
    if (given === undefined || given.value.trim() === '') {
      if (isOptionalKey(key)) continue;
      return { key, errmsg: `argument invalid! data.${key}.value is empty` };
    }
    const limit = valueLimitOf(key);
    if (chars(given.value) > limit) return { key, errmsg: `argument invalid! data.${key}.value invalid: longer than ${limit} characters` };
    if (given.color !== undefined && given.color !== '' && !COLOR.test(given.color)) {
      return { key, errmsg: `argument invalid! data.${key}.color invalid: must be #rgb or #rrggbb` };
    }
  }
  return undefined;
}

/** The text the follower reads: every placeholder replaced by its value (an optional one left out by nothing). */
export function renderTemplate(content: string, data: TemplateData): string {
  return content.replace(PLACEHOLDER, (_placeholder, key: string) => data[key]?.value ?? '').trim();
}

/** The private template api_add_template makes of a catalogue entry: fixed for an industry one, built for a category one. */
export interface TemplateDraft {
  templateIdShort: string;
  keywordNames: string[];
  industryId: number | null;
  title: string;
  content: string;
  example: string;
}

/**
 * A category template's content from the keywords chosen, in their order ("时间:{{time1.DATA}}\n…", as WeChat writes
 * it); undefined when the list is empty, repeats a keyword or names one the template lacks (40246). An industry
 * template's content is fixed: its keyword list, if sent (WxJava sends one), is not used.
 */
export function draftOf(entry: CatalogueEntry, keywordNames: readonly string[] | undefined): TemplateDraft | undefined {
  if (entry.kind === 'industry') {
    return { templateIdShort: entry.templateIdShort, keywordNames: [], industryId: entry.industryId, title: entry.title, content: entry.content, example: entry.example };
  }
  if (!keywordNames || keywordNames.length === 0 || new Set(keywordNames).size !== keywordNames.length) return undefined;
  const chosen = keywordNames.map((name) => entry.keywords.find((keyword) => keyword.name === name));
  if (chosen.some((keyword) => keyword === undefined)) return undefined;
  const keywords = chosen as NonNullable<(typeof chosen)[number]>[];
  return {
    templateIdShort: entry.templateIdShort,
    keywordNames: [...keywordNames],
    industryId: null,
    title: entry.title,
    content: keywords.map((keyword) => `${keyword.name}:{{${keyword.key}.DATA}}`).join('\n'),
    example: keywords.map((keyword) => `${keyword.name}:${keyword.example}`).join('\n'),
  };
}
