import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { findAccountByAppid } from '../accounts/accounts.repo.js';
import type { MediaService } from '../media/media.service.js';
import type { MenuEvent, MenuEventDetails } from '../webhooks/push-render.js';
import { checkMenu, menuLeaves, type MenuButton, type MenuLeaf, type MenuViolation } from './menu.validation.js';
import { deleteMenu, findMenu, insertMenuTap, saveMenu, type StoredMenu } from './menus.repo.js';

export type MenusService = ReturnType<typeof createMenusService>;

/** What a follower taps: a key button by its key, a view button by its URL, with what the app gathered for it. */
export interface MenuTapInput {
  appid: string;
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

/** A menu that failed the checks: VALIDATION_FAILED listing every violation with its path and WeChat's errcode. */
function invalidMenu(violations: MenuViolation[]): AppError {
  const errors = violations.map((v) => ({ in: 'body', path: v.path, message: v.message, errcode: v.errcode, errmsg: v.errmsg }));
  const first = violations[0]!;
  return new AppError('VALIDATION_FAILED', `body${first.path} ${first.message}`, { errors });
}

/** The WeChat errcode and errmsg of a menu refused by `replace` (its first violation); undefined for other errors. */
export function menuViolationOf(error: unknown): { errcode: number; errmsg: string } | undefined {
  if (!(error instanceof AppError) || error.code !== 'VALIDATION_FAILED') return undefined;
  const first = (error.details.errors as Array<{ errcode?: unknown; errmsg?: unknown; path: string; message: string }> | undefined)?.[0];
  if (typeof first?.errcode !== 'number' || typeof first.errmsg !== 'string') return undefined;
  return { errcode: first.errcode, errmsg: `${first.errmsg}: ${first.path} ${first.message}` };
}

/** The push Event of a button type (§10.1.1 type table): click → CLICK, view → VIEW, the others their own type. */
function eventOf(leaf: MenuLeaf): MenuEvent | undefined {
  switch (leaf.type) {
    case 'click':
      return 'CLICK';
    case 'view':
      return 'VIEW';
    case 'scancode_push':
    case 'scancode_waitmsg':
    case 'pic_sysphoto':
    case 'pic_photo_or_album':
    case 'pic_weixin':
    case 'location_select':
      return leaf.type;
    default:
      // media_id, view_limited, article_*: WeChat acts itself and pushes nothing; miniprogram is never stored.
      return undefined;
  }
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

    /** Removes the menu; false when there was none. */
    remove: (accountId: number): Promise<boolean> => deleteMenu(db, accountId),

    /** The menu a WeChat user sees on the account's chat (no menu: no buttons). */
    async forFollower(appid: string): Promise<{ appid: string; menuId: number | null; buttons: MenuButton[] }> {
      const account = await accountOf(appid);
      const menu = await findMenu(db, account.id);
      return { appid, menuId: menu?.menuId ?? null, buttons: menu?.buttons ?? [] };
    },

    /**
     * A follower taps a button of the current menu. Buttons that raise an event (§10.1.7) store the tap, which the
     * outbox pushes to the account's server; only a button of the current menu may be tapped, and only by a
     * follower who is not blacklisted (as for messages).
     */
    async tap(wechatUserId: number, input: MenuTapInput): Promise<MenuTapResult> {
      if ((input.key === undefined) === (input.url === undefined)) {
        throw new AppError('VALIDATION_FAILED', 'body must name the button by exactly one of key (event buttons) or url (view buttons)');
      }
      const account = await accountOf(input.appid);
      // A menu replaced between the lookup and the write: looked up again, once.
      for (let attempt = 0; attempt < 2; attempt++) {
        const menu = await findMenu(db, account.id);
        if (!menu) throw new AppError('NOT_FOUND', `${input.appid} has no menu`);
        const leaf = menuLeaves(menu.buttons).find((button) =>
          input.key !== undefined ? button.key === input.key && eventOf(button) !== undefined && button.type !== 'view' : button.type === 'view' && button.url === input.url,
        );
        if (!leaf) {
          const what = input.key !== undefined ? `key ${JSON.stringify(input.key)}` : `url ${JSON.stringify(input.url)}`;
          throw new AppError('NOT_FOUND', `The current menu of ${input.appid} has no button with ${what}`, { menuId: menu.menuId });
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
