/**
 * Conditional (personalized, 个性化) menus: the matchrule of menu/addconditional, checked with WeChat's errcodes, and
 * which menu a WeChat user sees. Pure: no I/O. Facts and sources: ../shared/wechat-protocol.md §10.1.5, §10.1.6.
 */

import { integerOf, objectOf } from '../../http/json-fields.js';
import { INT4_MAX } from '../../http/schemas.js';
import { MENU_ERRMSG, menuLeaves, type MenuButton, type MenuViolation } from './menu.validation.js';

export const CONDITIONAL_MENU_LIMITS = {
  /**
   * Conditional menus an account may have at once (65305 beyond). WeChat's number is unconfirmed (§10.1.6); every
   * menu view matches the viewer against all of them, so they are kept few.
   */
  menus: 100,
  /** Distinct host names all conditional menus together may link to (65316, §10.1.5). */
  domains: 3,
} as const;

/** The rule fields in WeChat's order (§10.1.5). Each holds a string; a field that is absent or empty is no rule. */
export const MATCH_RULE_FIELDS = ['tag_id', 'sex', 'country', 'province', 'city', 'client_platform_type', 'language'] as const;
export type MatchRuleField = (typeof MATCH_RULE_FIELDS)[number];
export type MatchRule = Partial<Record<MatchRuleField, string>>;

/** client_platform_type (§10.1.5): 1 iOS, 2 Android, 3 others. */
export const CLIENT_PLATFORMS = { ios: '1', android: '2', other: '3' } as const;
export type ClientPlatform = keyof typeof CLIENT_PLATFORMS;
/**
 * The platform of a viewer who does not say: this platform's client API stands in for the WeChat phone app, and
 * Android is the phone platform most users have.
 */
export const DEFAULT_CLIENT_PLATFORM: ClientPlatform = 'android';

const SEXES = ['1', '2'] as const;
/** A WeChat language code as user/info gives it (zh_CN, zh_TW, en, …): the shape the client API stores. */
const LANGUAGE = /^[a-z]{2}(_[A-Z]{2})?$/;
/** As long as a follower's country, province or city may be (the client API's profile limit). */
const REGION_CHARS = 64;

export type MatchRuleCheck = { ok: true; rule: MatchRule } | { ok: false; violations: MenuViolation[] };

/**
 * Checks the matchrule of a menu/addconditional body and returns it normalized (the given fields only, as strings),
 * or every violation. Numbers are taken where WeChat's values are numeric (tag_id, sex, client_platform_type), as
 * SDKs send either. Sex, region and language are accepted and matched as the classic docs describe; WeChat's newer
 * privacy rule refuses them (65320, §10.1.5), which this platform does not follow.
 */
export function checkMatchRule(value: unknown): MatchRuleCheck {
  const violations: MenuViolation[] = [];
  const fail = (errcode: keyof typeof MENU_ERRMSG, field: string, message: string) =>
    violations.push({ errcode, errmsg: MENU_ERRMSG[errcode], path: `/matchrule${field ? `/${field}` : ''}`, message });

  const given = objectOf(value);
  if (!given) {
    fail(65304, '', 'matchrule must be an object with at least one non-empty rule field');
    return { ok: false, violations };
  }
  const present = (field: MatchRuleField) => given[field] !== undefined && given[field] !== null && given[field] !== '';
  if (!MATCH_RULE_FIELDS.some(present)) {
    fail(65304, '', `matchrule needs at least one non-empty field of ${MATCH_RULE_FIELDS.join(', ')}`);
    return { ok: false, violations };
  }

  const rule: MatchRule = {};
  const numeric = (field: MatchRuleField) => {
    const number = integerOf(given[field]);
    return number === undefined ? undefined : String(number);
  };
  for (const field of MATCH_RULE_FIELDS) {
    if (!present(field)) continue;
    const raw = given[field];
    switch (field) {
      case 'tag_id': {
        // tags.id is an int4 column: a larger id is no tag of the account's (and must not reach the query).
        const tagId = numeric(field);
        if (tagId === undefined || Number(tagId) > INT4_MAX) fail(45159, field, 'tag_id must be the id of a tag of the account');
        else rule.tag_id = tagId;
        break;
      }
      case 'sex': {
        const sex = numeric(field);
        if (!(SEXES as readonly (string | undefined)[]).includes(sex)) fail(40097, field, 'sex must be "1" (male) or "2" (female)');
        else rule.sex = sex;
        break;
      }
      case 'client_platform_type': {
        const platform = numeric(field);
        if (!(Object.values(CLIENT_PLATFORMS) as (string | undefined)[]).includes(platform)) fail(40097, field, 'client_platform_type must be "1" (iOS), "2" (Android) or "3" (others)');
        else rule.client_platform_type = platform;
        break;
      }
      case 'language':
        if (typeof raw !== 'string' || !LANGUAGE.test(raw)) fail(40097, field, 'language must be a WeChat language code such as zh_CN, zh_TW or en');
        else rule.language = raw;
        break;
      default: {
        const errcode = ({ country: 65312, province: 65313, city: 65314 } as const)[field];
        if (typeof raw !== 'string' || raw.trim() === '' || [...raw].length > REGION_CHARS) fail(errcode, field, `${field} must be a name of up to ${REGION_CHARS} characters, as in user/info`);
        else rule[field] = raw;
      }
    }
  }
  // A region narrows down from the country (65310, 65311).
  if ((present('province') || present('city')) && !present('country')) fail(65310, 'country', 'country is required with province or city');
  if (present('city') && !present('province')) fail(65311, 'province', 'province is required with city');
  return violations.length > 0 ? { ok: false, violations } : { ok: true, rule };
}

/** What the rules look at: the viewer's profile, the tags the account gave them (if they follow it), their phone. */
export interface MenuViewer {
  tagIds: readonly number[];
  /** WeChat's sex: 0 unknown, 1 male, 2 female. */
  sex: number;
  country: string;
  province: string;
  city: string;
  language: string;
  platform: ClientPlatform;
}

/** Whether every field the rule gives matches the viewer. */
export function ruleMatches(rule: MatchRule, viewer: MenuViewer): boolean {
  return MATCH_RULE_FIELDS.every((field) => {
    const wanted = rule[field];
    if (wanted === undefined) return true;
    switch (field) {
      case 'tag_id':
        return viewer.tagIds.includes(Number(wanted));
      case 'sex':
        return String(viewer.sex) === wanted;
      case 'client_platform_type':
        return CLIENT_PLATFORMS[viewer.platform] === wanted;
      default:
        return viewer[field] === wanted;
    }
  });
}

/** The menu the viewer sees among the conditional ones: the newest that matches (§10.1.5), or none (the default). */
export function matchConditionalMenu<Menu extends { menuId: number; rule: MatchRule }>(menus: readonly Menu[], viewer: MenuViewer): Menu | undefined {
  return [...menus].sort((a, b) => b.menuId - a.menuId).find((menu) => ruleMatches(menu.rule, viewer));
}

/** The host names the menu's buttons link to (view buttons), lower-cased. */
export function menuDomains(buttons: MenuButton[]): string[] {
  const hosts = menuLeaves(buttons).flatMap((leaf) => (leaf.url === undefined ? [] : [new URL(leaf.url).hostname.toLowerCase()]));
  return [...new Set(hosts)];
}
