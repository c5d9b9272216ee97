/**
 * The custom menu (自定义菜单) as WeChat's menu/create takes it, checked with WeChat's errcodes, and the two shapes
 * WeChat answers it in (menu/get and get_current_selfmenu_info). Pure: no I/O. Facts and sources:
 * ../shared/wechat-protocol.md §10.1 (limits §10.1.1, errcodes §10.1.6).
 *
 * Both APIs use this one validator: /cgi-bin answers the first violation's errcode, /v1 lists every violation as
 * VALIDATION_FAILED with its path.
 */

import { HTTP_URL, objectOf } from '../../http/json-fields.js';

/** §10.1.1 field table, current limits ("~2017 onward" row of the history table). */
export const MENU_LIMITS = {
  buttons: 3,
  subButtons: 5,
  /**
   * Bytes, counted in UTF-8 (the encoding of the wire). Whether WeChat counts UTF-8 or 2 bytes a CJK character is
   * unconfirmed (§10.1.1 "Byte counting", §10.7 item 1): UTF-8 is the strict reading, so a menu accepted here fits
   * either way.
   */
  nameBytes: 16,
  subNameBytes: 60,
  keyBytes: 128,
  urlBytes: 1024,
  /** No limit is documented; 40118 says there is one. Generous next to this platform's media ids. */
  mediaIdBytes: 128,
  articleIdBytes: 128,
} as const;

/** Types that raise an event carrying the button's key (§10.1.1 type table, rows 1 and 3–8). */
export const KEY_TYPES = ['click', 'scancode_push', 'scancode_waitmsg', 'pic_sysphoto', 'pic_photo_or_album', 'pic_weixin', 'location_select'] as const;
/** Types that send a material (media_id) or open a published article (article_id): no event (§10.1.1). */
export const MEDIA_TYPES = ['media_id', 'view_limited'] as const;
export const ARTICLE_TYPES = ['article_id', 'article_view_limited'] as const;
export const BUTTON_TYPES = [...KEY_TYPES, 'view', ...MEDIA_TYPES, ...ARTICLE_TYPES, 'miniprogram'] as const;

export type KeyButtonType = (typeof KEY_TYPES)[number];
export type ButtonType = (typeof BUTTON_TYPES)[number];

/** A button that does something when tapped; only the fields of its type are kept. */
export interface MenuLeaf {
  type: ButtonType;
  name: string;
  key?: string;
  url?: string;
  media_id?: string;
  article_id?: string;
  appid?: string;
  pagepath?: string;
}

/** A top-level button that opens its sub-menu (tapping it raises no event, §10.1.7). */
export interface MenuParent {
  name: string;
  sub_button: MenuLeaf[];
}

export type MenuButton = MenuLeaf | MenuParent;

export const isParent = (button: MenuButton): button is MenuParent => 'sub_button' in button;

/** One thing wrong with a menu: WeChat's errcode and errmsg for it, and where it is (a JSON pointer into the body). */
export interface MenuViolation {
  errcode: number;
  errmsg: string;
  path: string;
  message: string;
}

/**
 * §10.1.6, English errmsg from the WxJava enums. Top-level and sub-button variants differ for type, name, key and
 * url; media_id and "empty act" have one code for both. The 653xx codes are conditional menus' (conditional-menu.ts).
 */
export const MENU_ERRMSG = {
  40016: 'invalid button size',
  40017: 'invalid button type',
  40018: 'invalid button name size',
  40019: 'invalid button key size',
  40020: 'invalid button url size',
  40022: 'invalid sub_menu level',
  40023: 'invalid sub button size',
  40024: 'invalid sub button type',
  40025: 'invalid sub button name size',
  40026: 'invalid sub button key size',
  40027: 'invalid sub button url size',
  40054: 'invalid sub button url domain',
  40055: 'invalid button url domain',
  40097: 'invalid args',
  40118: 'invalid sub button media_id size',
  45064: 'no permission to use weapp in menu',
  45159: 'invalid tag id',
  46003: 'menu no exist',
  65301: 'this menu is not conditionalmenu',
  65302: 'no such user',
  65303: 'there is no selfmenu, please create selfmenu first',
  65304: 'match rule empty',
  65305: 'menu count limit',
  65308: 'exist empty button act',
  65310: 'region info: country is empty',
  65311: 'region info: province is empty',
  65312: 'invalid country info',
  65313: 'invalid province info',
  65314: 'invalid city info',
  65316: 'domain count reach limit',
} as const;

type MenuErrcode = keyof typeof MENU_ERRMSG;

/** The codes for one level of the menu (§10.1.6). */
const CODES = {
  top: { type: 40017, name: 40018, key: 40019, url: 40020, domain: 40055 },
  sub: { type: 40024, name: 40025, key: 40026, url: 40027, domain: 40054 },
} as const satisfies Record<string, Record<string, MenuErrcode>>;

type Level = keyof typeof CODES;


const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

function isHttpUrl(text: string): boolean {
  if (!HTTP_URL.test(text)) return false;
  try {
    return new URL(text).hostname !== '';
  } catch {
    return false;
  }
}

export type MenuCheck = { ok: true; buttons: MenuButton[] } | { ok: false; violations: MenuViolation[] };

/**
 * Checks a menu/create body (`{button: [...]}`) and returns the menu normalized (each button with the fields of its
 * type only, unknown fields dropped), or every violation found, in document order. The order of the checks follows
 * what WeChat reports first: the number of buttons before anything inside them.
 */
export function checkMenu(body: unknown): MenuCheck {
  const violations: MenuViolation[] = [];
  const fail = (errcode: MenuErrcode, path: string, message: string) => violations.push({ errcode, errmsg: MENU_ERRMSG[errcode], path, message });

  const list = objectOf(body)?.button;
  if (!Array.isArray(list)) {
    // `{"button": {...}}` is 40017 in a live capture; no `button` at all (a `{"menu": ...}` wrapper, the
    // get_current_selfmenu_info shape) is 40016 (§10.1.6).
    if (objectOf(list)) fail(40017, '/button', 'button must be an array of buttons, not an object');
    else fail(40016, '/button', `button must be an array of 1 to ${MENU_LIMITS.buttons} buttons`);
    return { ok: false, violations };
  }
  if (list.length < 1 || list.length > MENU_LIMITS.buttons) {
    fail(40016, '/button', `a menu has 1 to ${MENU_LIMITS.buttons} top-level buttons, got ${list.length}`);
    return { ok: false, violations };
  }

  const buttons: MenuButton[] = [];
  list.forEach((item, i) => {
    const path = `/button/${i}`;
    const button = objectOf(item);
    if (!button) return void fail(40017, path, 'a button must be an object');
    const subs = button.sub_button;
    // A leaf echoes "sub_button": [] in menu/get (§10.1.2), so an empty list is a leaf, and menu/get's answer can be
    // posted back as it is.
    if (subs !== undefined && !(Array.isArray(subs) && subs.length === 0)) {
      if (!Array.isArray(subs) || subs.length > MENU_LIMITS.subButtons) {
        // Inferred (§10.1.6 "more than 5 sub-buttons"); the {"list": [...]} object of get_current_selfmenu_info lands here too.
        return void fail(40023, `${path}/sub_button`, `sub_button must be an array of 1 to ${MENU_LIMITS.subButtons} buttons`);
      }
      // type and sub_button are mutually exclusive (§10.1.1): a button with sub-buttons is a parent, whatever
      // else it carries.
      const name = checkName(button.name, 'top', path, fail);
      const leaves: MenuLeaf[] = [];
      subs.forEach((subItem, j) => {
        const subPath = `${path}/sub_button/${j}`;
        const sub = objectOf(subItem);
        if (!sub) return void fail(40024, subPath, 'a sub-button must be an object');
        const nested = sub.sub_button;
        if (nested !== undefined && !(Array.isArray(nested) && nested.length === 0)) {
          return void fail(40022, `${subPath}/sub_button`, 'menus have two levels: a sub-button cannot have sub-buttons');
        }
        const leaf = checkLeaf(sub, 'sub', subPath, fail);
        if (leaf) leaves.push(leaf);
      });
      if (name !== undefined) buttons.push({ name, sub_button: leaves });
      return;
    }
    const leaf = checkLeaf(button, 'top', path, fail);
    if (leaf) buttons.push(leaf);
  });
  return violations.length > 0 ? { ok: false, violations } : { ok: true, buttons };
}

type Fail = (errcode: MenuErrcode, path: string, message: string) => void;

function checkName(value: unknown, level: Level, path: string, fail: Fail): string | undefined {
  const max = level === 'top' ? MENU_LIMITS.nameBytes : MENU_LIMITS.subNameBytes;
  if (typeof value !== 'string' || value.trim() === '' || bytes(value) > max) {
    fail(CODES[level].name, `${path}/name`, `name must be 1 to ${max} bytes (UTF-8)${typeof value === 'string' ? `, got ${bytes(value)}` : ''}`);
    return undefined;
  }
  return value;
}

/** A string field of 1..max bytes; reports `errcode` when it is missing, empty, not a string or too long. */
function checkText(button: Record<string, unknown>, field: string, max: number, errcode: MenuErrcode, path: string, fail: Fail): string | undefined {
  const value = button[field];
  if (typeof value !== 'string' || value === '' || bytes(value) > max) {
    fail(errcode, `${path}/${field}`, `${field} must be 1 to ${max} bytes${typeof value === 'string' ? `, got ${bytes(value)}` : value === undefined ? ', and is missing' : ''}`);
    return undefined;
  }
  return value;
}

function checkUrl(button: Record<string, unknown>, level: Level, path: string, fail: Fail): string | undefined {
  // A missing url is a size error: a sub view with key instead of url gave 40027 live (§10.1.6).
  const url = checkText(button, 'url', MENU_LIMITS.urlBytes, CODES[level].url, path, fail);
  if (url !== undefined && !isHttpUrl(url)) {
    fail(CODES[level].domain, `${path}/url`, 'url must be an absolute http or https URL');
    return undefined;
  }
  return url;
}

function checkLeaf(button: Record<string, unknown>, level: Level, path: string, fail: Fail): MenuLeaf | undefined {
  const name = checkName(button.name, level, path, fail);
  const type = button.type;
  if (typeof type !== 'string' || !(BUTTON_TYPES as readonly string[]).includes(type)) {
    // Console-only types (text, img, voice, video, news) are refused with 40017 live (§10.1.1).
    fail(CODES[level].type, `${path}/type`, `type must be one of ${BUTTON_TYPES.join(', ')}${typeof type === 'string' ? `, got "${type}"` : ''}`);
    return undefined;
  }
  const buttonType = type as ButtonType;
  let leaf: MenuLeaf | undefined;
  if ((KEY_TYPES as readonly string[]).includes(buttonType)) {
    // A missing key on a click-type button is 40019 (§10.1.6, segmentfault capture).
    const key = checkText(button, 'key', MENU_LIMITS.keyBytes, CODES[level].key, path, fail);
    if (key !== undefined && name !== undefined) leaf = { type: buttonType, name, key };
  } else if (buttonType === 'view') {
    const url = checkUrl(button, level, path, fail);
    if (url !== undefined && name !== undefined) leaf = { type: buttonType, name, url };
  } else if ((MEDIA_TYPES as readonly string[]).includes(buttonType)) {
    const mediaId = checkText(button, 'media_id', MENU_LIMITS.mediaIdBytes, 40118, path, fail);
    if (mediaId !== undefined && name !== undefined) leaf = { type: buttonType, name, media_id: mediaId };
  } else if ((ARTICLE_TYPES as readonly string[]).includes(buttonType)) {
    // No code is documented for a missing article_id: 65308 "exist empty button act" (a button with nothing to do).
    const articleId = checkText(button, 'article_id', MENU_LIMITS.articleIdBytes, 65308, path, fail);
    if (articleId !== undefined && name !== undefined) leaf = { type: buttonType, name, article_id: articleId };
  } else {
    // miniprogram: url (the fallback for old clients), appid and pagepath.
    const url = checkUrl(button, level, path, fail);
    const appid = checkText(button, 'appid', 64, 65308, path, fail);
    const pagepath = checkText(button, 'pagepath', 1024, 65308, path, fail);
    if (url !== undefined && appid !== undefined && pagepath !== undefined) {
      // 45064: the mini program must be linked to the account (§10.1.6), and this platform links none.
      fail(45064, `${path}/appid`, `mini program ${appid} is not linked to this account (this platform has no mini programs)`);
    }
  }
  return leaf;
}

/** menu/get's shape (§10.1.2): every leaf echoes `"sub_button": []`. */
export function wechatMenuButtons(buttons: MenuButton[]): Array<{ name: string } & Record<string, unknown>> {
  const leaf = (button: MenuLeaf) => ({ ...button, sub_button: [] });
  return buttons.map((button) => (isParent(button) ? { name: button.name, sub_button: button.sub_button.map(leaf) } : leaf(button)));
}

/**
 * get_current_selfmenu_info's shape (§10.1.4): sub_button is an object `{list: [...]}`; API menus keep key and url.
 * Where the media_id of a media_id / view_limited button goes is not documented for API menus: `value`, as the
 * console's material buttons keep their media id (WxJava WxMpSelfMenuInfo's Javadoc).
 */
export function selfmenuButtons(buttons: MenuButton[]): Array<{ name: string } & Record<string, unknown>> {
  const leaf = ({ media_id: mediaId, ...rest }: MenuLeaf) => (mediaId === undefined ? rest : { ...rest, value: mediaId });
  return buttons.map((button) => (isParent(button) ? { name: button.name, sub_button: { list: button.sub_button.map(leaf) } } : leaf(button)));
}

/** Every leaf of the menu, top-level ones and sub-buttons, in menu order. */
export function menuLeaves(buttons: MenuButton[]): MenuLeaf[] {
  return buttons.flatMap((button) => (isParent(button) ? button.sub_button : [button]));
}
