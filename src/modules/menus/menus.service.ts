import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { objectOf } from '../../http/json-fields.js';
import { findAccountByAppid } from '../accounts/accounts.repo.js';
import type { MediaService } from '../media/media.service.js';
import { isMenuEvent, type MenuEvent, type MenuEventDetails } from '../webhooks/push-render.js';
import { tagExists } from '../followers/tags.repo.js';
import {
  checkMatchRule,
  CONDITIONAL_MENU_LIMITS,
  DEFAULT_CLIENT_PLATFORM,
  matchConditionalMenu,
  menuDomains,
  type ClientPlatform,
  type MenuViewer,
} from './conditional-menu.js';
import { checkMenu, MENU_ERRMSG, menuLeaves, type MenuButton, type MenuLeaf, type MenuViolation } from './menu.validation.js';
import {
  deleteConditionalMenu,
  deleteMenu,
  findMenu,
  findMenuViewer,
  insertConditionalMenu,
  insertMenuTap,
  listConditionalMenus,
  lockMenu,
  saveMenu,
  type StoredConditionalMenu,
  type StoredMenu,
} from './menus.repo.js';

export type MenusService = ReturnType<typeof createMenusService>;

/** What a follower taps: a key button by its key, a view button by its URL, with what the app gathered for it. */
export interface MenuTapInput {
  appid: string;
  /** The phone the follower taps on (conditional menus may be per platform); DEFAULT_CLIENT_PLATFORM if not said. */
  platform?: ClientPlatform;
  key?: string;
  url?: string;
  /** scancode_push / scancode_waitmsg: what the scanner read. */
  scan?: { type?: 'qrcode' | 'barcode'; result: string };
  /** pic_*: the MD5 sums of the pictures sent. */
  pics?: string[];
  /** location_select: the place picked. */
  location?: { latitude: number; longitude: number; scale: number; label: string; poiname?: string };
}

export interface MenuTapResult {
  event: MenuEvent;
  eventKey: string;
  menuId: number;
}

/**
 * A menu that failed the checks: VALIDATION_FAILED listing every violation with its path and WeChat's errcode; the
 * WeChat API answers the first one's errcode, with where and what in errmsg.
 */
function invalidMenu(violations: MenuViolation[]): AppError {
  const errors = violations.map((v) => ({ in: 'body', path: v.path, message: v.message, errcode: v.errcode, errmsg: v.errmsg }));
  const first = violations[0]!;
  return new AppError('VALIDATION_FAILED', `body${first.path} ${first.message}`, {
    errcode: first.errcode,
    errmsg: `${first.errmsg}: ${first.path} ${first.message}`,
    errors,
  });
}

/** A refusal with WeChat's errcode and errmsg (§10.1.6) beside the stable code. */
function refusal(code: 'NOT_FOUND' | 'DEFAULT_MENU_MISSING' | 'CONDITIONAL_MENU_LIMIT_REACHED', errcode: keyof typeof MENU_ERRMSG, message: string): AppError {
  return new AppError(code, message, { errcode, errmsg: `${MENU_ERRMSG[errcode]}: ${message}` });
}

/** A menu as a viewer sees it: the default menu or the conditional one that matched them. */
export interface SeenMenu {
  menuId: number;
  buttons: MenuButton[];
}

/** The push Event of a button type (§10.1.1 type table): click → CLICK, view → VIEW, the others their own type. */
function eventOf(leaf: MenuLeaf): MenuEvent | undefined {
  if (leaf.type === 'click') return 'CLICK';
  if (leaf.type === 'view') return 'VIEW';
  // The other event types push under their own name. media_id, view_limited, article_*: WeChat acts itself and
  // pushes nothing; miniprogram is never stored.
  return isMenuEvent(leaf.type) ? leaf.type : undefined;
}

/** The nested block of the event, from what the app sent; the fields of another type's event are refused. */
function detailsOf(event: MenuEvent, input: MenuTapInput): MenuEventDetails | null {
  const given = (['scan', 'pics', 'location'] as const).filter((field) => input[field] !== undefined);
  const wanted = event.startsWith('scancode_') ? 'scan' : event.startsWith('pic_') ? 'pics' : event === 'location_select' ? 'location' : undefined;
  const stray = given.find((field) => field !== wanted);
  if (stray) throw new AppError('VALIDATION_FAILED', `body/${stray} does not go with a ${event} button`);
  if (wanted && !given.includes(wanted)) throw new AppError('VALIDATION_FAILED', `body/${wanted} is required to tap a ${event} button`);
  if (input.scan) return { ScanCodeInfo: { ScanType: input.scan.type ?? 'qrcode', ScanResult: input.scan.result } };
  if (input.pics) return { SendPicsInfo: { Count: input.pics.length, PicList: input.pics.map((md5) => ({ PicMd5Sum: md5 })) } };
  if (input.location) {
    const place = input.location;
    return {
      SendLocationInfo: {
        Location_X: String(place.latitude),
        Location_Y: String(place.longitude),
        Scale: String(place.scale),
        Label: place.label,
        Poiname: place.poiname ?? '',
      },
    };
  }
  return null;
}

/**
 * Custom menus: one per account, checked as WeChat checks menu/create, replaced whole; and the follower side,
 * seeing the menu and tapping it (a tap of an event button is a fact in menu_clicks, pushed to the developer's
 * server by the outbox).
 */
export function createMenusService(deps: { db: Database; clock: Clock; media: Pick<MediaService, 'findLive'> }) {
  const { db, clock } = deps;

  /** media_id buttons name a live material of the account; view_limited an article (news) one (§10.1.1, §10.1.6). */
  async function checkMaterials(accountId: number, buttons: MenuButton[]): Promise<MenuViolation[]> {
    const violations: MenuViolation[] = [];
    for (const [i, button] of buttons.entries()) {
      const leaves: Array<[string, MenuLeaf]> =
        'sub_button' in button ? button.sub_button.map((leaf, j) => [`/button/${i}/sub_button/${j}`, leaf]) : [[`/button/${i}`, button]];
      for (const [path, leaf] of leaves) {
        if (leaf.media_id === undefined) continue;
        const found = await deps.media.findLive(accountId, leaf.media_id, ['image', 'voice', 'video', 'news']);
        if (!found) {
          violations.push({ errcode: 40007, errmsg: 'invalid media_id', path: `${path}/media_id`, message: `no material of this account has media_id ${leaf.media_id}` });
        } else if (leaf.type === 'view_limited' && found.kind !== 'news') {
          violations.push({ errcode: 40121, errmsg: 'invalid media type in view_limited', path: `${path}/media_id`, message: 'a view_limited button opens an article: its media_id must be a news material' });
        }
      }
    }
    return violations;
  }

  async function accountOf(appid: string) {
    const account = await findAccountByAppid(db, appid);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No official account has appid ${appid}`);
    return account;
  }

  /**
   * The menu the viewer sees (§10.1.5): the newest conditional menu whose rule matches them, else the default menu;
   * undefined when the account has no menu. The viewer is only looked up when there are conditional menus.
   */
  async function menuSeen(accountId: number, viewerOf: () => Promise<MenuViewer | undefined>): Promise<SeenMenu | undefined> {
    const menu = await findMenu(db, accountId);
    if (!menu) return undefined;
    const conditional = await listConditionalMenus(db, accountId);
    if (conditional.length === 0) return menu;
    const viewer = await viewerOf();
    return (viewer && matchConditionalMenu(conditional, viewer)) ?? menu;
  }

  const viewerOfUser = (accountId: number, wechatUserId: number, platform: ClientPlatform | undefined) => async (): Promise<MenuViewer | undefined> => {
    const profile = await findMenuViewer(db, accountId, { wechatUserId });
    return profile && { ...profile, platform: platform ?? DEFAULT_CLIENT_PLATFORM };
  };

  return {
    /** Checks a menu/create body and makes it the account's menu (with a new menuid). */
    async replace(accountId: number, body: unknown): Promise<StoredMenu> {
      const checked = checkMenu(body);
      if (!checked.ok) throw invalidMenu(checked.violations);
      const materials = await checkMaterials(accountId, checked.buttons);
      if (materials.length > 0) throw invalidMenu(materials);
      return saveMenu(db, accountId, checked.buttons, clock.now());
    },

    get: (accountId: number): Promise<StoredMenu | undefined> => findMenu(db, accountId),

    /** Removes the menu, and with it every conditional menu (§10.1.3); false when there was none. */
    remove: (accountId: number): Promise<boolean> => deleteMenu(db, accountId),

    /**
     * Checks a menu/addconditional body (the buttons as menu/create, then the matchrule) and adds the conditional
     * menu. It needs the default menu (65303), room under CONDITIONAL_MENU_LIMITS.menus (65305), links to at most
     * CONDITIONAL_MENU_LIMITS.domains hosts over all conditional menus (65316), and a tag_id of the account's (45159).
     */
    async addConditional(accountId: number, body: unknown): Promise<StoredConditionalMenu> {
      const checkedMenu = checkMenu(body);
      const checkedRule = checkMatchRule(objectOf(body)?.matchrule);
      const violations = [...(checkedMenu.ok ? [] : checkedMenu.violations), ...(checkedRule.ok ? [] : checkedRule.violations)];
      if (!checkedMenu.ok || !checkedRule.ok) throw invalidMenu(violations);
      const { buttons } = checkedMenu;
      const { rule } = checkedRule;
      const materials = await checkMaterials(accountId, buttons);
      if (materials.length > 0) throw invalidMenu(materials);
      if (rule.tag_id !== undefined && !(await tagExists(db, accountId, Number(rule.tag_id)))) {
        throw invalidMenu([{ errcode: 45159, errmsg: MENU_ERRMSG[45159], path: '/matchrule/tag_id', message: `the account has no tag ${rule.tag_id}` }]);
      }
      // Under the default menu's lock: a menu/delete cannot slip in, and concurrent adds count and link one by one.
      return db.transaction(async (tx) => {
        if (!(await lockMenu(tx, accountId))) {
          throw refusal('DEFAULT_MENU_MISSING', 65303, 'create the default menu (menu/create) before conditional menus');
        }
        const existing = await listConditionalMenus(tx, accountId);
        if (existing.length >= CONDITIONAL_MENU_LIMITS.menus) {
          throw refusal('CONDITIONAL_MENU_LIMIT_REACHED', 65305, `the account has ${existing.length} conditional menus, the most it may have; delete one first`);
        }
        const domains = new Set([...existing.flatMap((menu) => menuDomains(menu.buttons)), ...menuDomains(buttons)]);
        if (domains.size > CONDITIONAL_MENU_LIMITS.domains) {
          throw invalidMenu([
            {
              errcode: 65316,
              errmsg: MENU_ERRMSG[65316],
              path: '/button',
              message: `conditional menus together may link to ${CONDITIONAL_MENU_LIMITS.domains} domains; with this one they would link to ${[...domains].join(', ')}`,
            },
          ]);
        }
        return insertConditionalMenu(tx, accountId, buttons, rule, clock.now());
      });
    },

    /** The account's conditional menus, oldest first. */
    listConditional: (accountId: number): Promise<StoredConditionalMenu[]> => listConditionalMenus(db, accountId),

    /** Deletes one conditional menu; NOT_FOUND (65301) when the account has none with that menuid. */
    async removeConditional(accountId: number, menuId: number): Promise<void> {
      if (!(await deleteConditionalMenu(db, accountId, menuId))) throw refusal('NOT_FOUND', 65301, `the account has no conditional menu ${menuId}`);
    },

    /**
     * menu/trymatch: the menu a WeChat user (an openid of the account's) would see. 46003 without a menu, 65302 for
     * an openid the account never had. WeChat IDs (微信号) do not exist on this platform, so they are unknown users.
     */
    async tryMatch(accountId: number, openid: string, platform: ClientPlatform = DEFAULT_CLIENT_PLATFORM): Promise<SeenMenu> {
      if (!(await findMenu(db, accountId))) throw refusal('NOT_FOUND', 46003, 'the account has no menu');
      const profile = await findMenuViewer(db, accountId, { openid });
      if (!profile) throw refusal('NOT_FOUND', 65302, `no user of the account has openid ${openid}`);
      const seen = await menuSeen(accountId, async () => ({ ...profile, platform }));
      if (!seen) throw refusal('NOT_FOUND', 46003, 'the account has no menu');
      return seen;
    },

    /** The menu a WeChat user sees on the account's chat, on their platform (no menu: no buttons). */
    async forFollower(appid: string, wechatUserId: number, platform?: ClientPlatform): Promise<{ appid: string; menuId: number | null; buttons: MenuButton[] }> {
      const account = await accountOf(appid);
      const menu = await menuSeen(account.id, viewerOfUser(account.id, wechatUserId, platform));
      return { appid, menuId: menu?.menuId ?? null, buttons: menu?.buttons ?? [] };
    },

    /**
     * A follower taps a button of the menu they see (the default menu, or the conditional menu that matches them).
     * Buttons that raise an event (§10.1.7) store the tap against that menu's menuid, which the outbox pushes to the
     * account's server (VIEW with MenuId); only a button of that menu may be tapped, and only by a follower who is
     * not blacklisted (as for messages).
     */
    async tap(wechatUserId: number, input: MenuTapInput): Promise<MenuTapResult> {
      if ((input.key === undefined) === (input.url === undefined)) {
        throw new AppError('VALIDATION_FAILED', 'body must name the button by exactly one of key (event buttons) or url (view buttons)');
      }
      const account = await accountOf(input.appid);
      // A menu replaced between the lookup and the write: looked up again, once.
      const viewerOf = viewerOfUser(account.id, wechatUserId, input.platform);
      for (let attempt = 0; attempt < 2; attempt++) {
        const menu = await menuSeen(account.id, viewerOf);
        if (!menu) throw new AppError('NOT_FOUND', `${input.appid} has no menu`);
        const leaf = menuLeaves(menu.buttons).find((button) =>
          input.key !== undefined ? button.key === input.key && eventOf(button) !== undefined && button.type !== 'view' : button.type === 'view' && button.url === input.url,
        );
        if (!leaf) {
          const what = input.key !== undefined ? `key ${JSON.stringify(input.key)}` : `url ${JSON.stringify(input.url)}`;
          throw new AppError('NOT_FOUND', `The menu of ${input.appid} you see has no button with ${what}`, { menuId: menu.menuId });
        }
        const event = eventOf(leaf)!;
        const eventKey = event === 'VIEW' ? leaf.url! : leaf.key!;
        const stored = await insertMenuTap(db, { accountId: account.id, wechatUserId, menuId: menu.menuId, event, eventKey, details: detailsOf(event, input), at: clock.now() });
        if (stored.status === 'not_following') throw new AppError('NOT_FOLLOWING', `Only followers may use the menu of ${input.appid}`);
        if (stored.status === 'blacklisted') throw new AppError('BLACKLISTED', `${input.appid} does not accept events from you`);
        if (stored.status === 'stored') return { event, eventKey, menuId: menu.menuId };
      }
      throw new AppError('NOT_FOUND', `The menu of ${input.appid} changed while the button was tapped; load it again`);
    },
  };
}
