import { and, asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { conditionalMenus, menus } from '../../db/schema/menus.js';
import type { MenuEvent, MenuEventDetails } from '../webhooks/push-render.js';
import type { MatchRule } from './conditional-menu.js';
import type { MenuButton } from './menu.validation.js';

/**
 * The custom menu of each account (one row, replaced whole), its conditional menus, and the append-only taps on
 * them.
 */

export interface StoredMenu {
  menuId: number;
  buttons: MenuButton[];
  updatedAt: Date;
}

export async function findMenu(db: Executor, accountId: number): Promise<StoredMenu | undefined> {
  const [row] = await db
    .select({ menuId: menus.menuId, buttons: menus.buttons, updatedAt: menus.updatedAt })
    .from(menus)
    .where(eq(menus.accountId, accountId))
    .limit(1);
  return row ? { ...row, buttons: row.buttons as MenuButton[] } : undefined;
}

/** Replaces the account's menu; the new menu gets a new menuid. */
export async function saveMenu(db: Executor, accountId: number, buttons: MenuButton[], at: Date): Promise<StoredMenu> {
  const [row] = await db
    .insert(menus)
    .values({ accountId, menuId: sql`nextval('menu_id_seq')`, buttons, updatedAt: at })
    .onConflictDoUpdate({ target: menus.accountId, set: { menuId: sql`nextval('menu_id_seq')`, buttons, updatedAt: at } })
    .returning({ menuId: menus.menuId, updatedAt: menus.updatedAt });
  return { menuId: row!.menuId, buttons, updatedAt: row!.updatedAt };
}

/** Deletes the account's menu; false when it had none. */
export async function deleteMenu(db: Executor, accountId: number): Promise<boolean> {
  const deleted = await db.delete(menus).where(eq(menus.accountId, accountId)).returning({ accountId: menus.accountId });
  return deleted.length > 0;
}

/** Locks the account's default menu for the transaction (conditional menus are added under it); false: none. */
export async function lockMenu(db: Executor, accountId: number): Promise<boolean> {
  const result = await db.execute(sql`SELECT 1 FROM menus WHERE account_id = ${accountId} FOR UPDATE`);
  return (result.rowCount ?? 0) > 0;
}

export interface StoredConditionalMenu {
  menuId: number;
  buttons: MenuButton[];
  rule: MatchRule;
  createdAt: Date;
}

const conditionalColumns = {
  menuId: conditionalMenus.menuId,
  buttons: conditionalMenus.buttons,
  rule: conditionalMenus.matchRule,
  createdAt: conditionalMenus.createdAt,
};

/** The account's conditional menus, oldest first (menu ids grow with each one added). */
export async function listConditionalMenus(db: Executor, accountId: number): Promise<StoredConditionalMenu[]> {
  const rows = await db.select(conditionalColumns).from(conditionalMenus).where(eq(conditionalMenus.accountId, accountId)).orderBy(asc(conditionalMenus.menuId));
  return rows.map((row) => ({ ...row, buttons: row.buttons as MenuButton[], rule: row.rule as MatchRule }));
}

/** Adds a conditional menu under a new menuid; the default menu must exist (its foreign key). */
export async function insertConditionalMenu(db: Executor, accountId: number, buttons: MenuButton[], rule: MatchRule, at: Date): Promise<StoredConditionalMenu> {
  const [row] = await db
    .insert(conditionalMenus)
    .values({ menuId: sql`nextval('menu_id_seq')`, accountId, buttons, matchRule: rule, createdAt: at })
    .returning({ menuId: conditionalMenus.menuId, createdAt: conditionalMenus.createdAt });
  return { menuId: row!.menuId, buttons, rule, createdAt: row!.createdAt };
}

/** Deletes one conditional menu of the account; false when it has none with that menuid. */
export async function deleteConditionalMenu(db: Executor, accountId: number, menuId: number): Promise<boolean> {
  const deleted = await db
    .delete(conditionalMenus)
    .where(and(eq(conditionalMenus.accountId, accountId), eq(conditionalMenus.menuId, menuId)))
    .returning({ menuId: conditionalMenus.menuId });
  return deleted.length > 0;
}

/** What conditional menus match against: a WeChat user's profile, and the tags of the account if they follow it. */
export interface MenuViewerProfile {
  wechatUserId: number;
  sex: number;
  country: string;
  province: string;
  city: string;
  language: string;
  /** The account's tags on the user; none unless they follow it now. */
  tagIds: number[];
}

/** A WeChat user as a viewer of the account's menu, named by their user id or by their openid under the account. */
export async function findMenuViewer(db: Executor, accountId: number, who: { wechatUserId: number } | { openid: string }): Promise<MenuViewerProfile | undefined> {
  const columns = sql`u.id, u.gender, u.country, u.province, u.city, u.language, f.id AS follower_id, f.subscribed`;
  const user =
    'openid' in who
      ? sql`SELECT ${columns} FROM followers f JOIN wechat_users u ON u.id = f.wechat_user_id
            WHERE f.account_id = ${accountId} AND f.openid = ${who.openid}`
      : sql`SELECT ${columns} FROM wechat_users u
            LEFT JOIN followers f ON f.account_id = ${accountId} AND f.wechat_user_id = u.id
            WHERE u.id = ${who.wechatUserId}`;
  const result = await db.execute<{ id: number; gender: number; country: string; province: string; city: string; language: string; tag_ids: number[] }>(sql`
    WITH viewer AS (${user})
    SELECT v.id, v.gender, v.country, v.province, v.city, v.language,
           coalesce((SELECT array_agg(ft.tag_id ORDER BY ft.tag_id) FROM follower_tags ft
                     WHERE ft.follower_id = v.follower_id AND v.subscribed), '{}') AS tag_ids
    FROM viewer v`);
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    wechatUserId: Number(row.id),
    sex: Number(row.gender),
    country: row.country,
    province: row.province,
    city: row.city,
    language: row.language,
    tagIds: row.tag_ids.map(Number),
  };
}

export interface MenuTapWrite {
  accountId: number;
  wechatUserId: number;
  /**
   * The menu the button was found in (the default menu or a conditional one): the tap is stored only while that
   * menu is still the account's.
   */
  menuId: number;
  event: MenuEvent;
  eventKey: string;
  details: MenuEventDetails | null;
  at: Date;
}

export type MenuTapOutcome = { status: 'stored'; id: number } | { status: 'not_following' | 'blacklisted' | 'menu_changed' };

/**
 * Stores a tap if, and only if, the user follows the account, is not blacklisted, and the menu is still the one the
 * button was found in, all read in the statement that writes it (its trigger queues the push: migration 0013).
 */
export async function insertMenuTap(db: Executor, tap: MenuTapWrite): Promise<MenuTapOutcome> {
  const result = await db.execute<{ following: boolean; blacklisted: boolean; id: number | null }>(sql`
    WITH follower AS (
      SELECT f.id, f.blacklisted FROM followers f
      WHERE f.account_id = ${tap.accountId} AND f.wechat_user_id = ${tap.wechatUserId} AND f.subscribed
    ), menu AS (
      SELECT m.menu_id FROM menus m WHERE m.account_id = ${tap.accountId} AND m.menu_id = ${tap.menuId}
      UNION ALL
      SELECT c.menu_id FROM conditional_menus c WHERE c.account_id = ${tap.accountId} AND c.menu_id = ${tap.menuId}
    ), stored AS (
      INSERT INTO menu_clicks (account_id, follower_id, wechat_user_id, menu_id, event, event_key, details, occurred_at)
      SELECT ${tap.accountId}, f.id, ${tap.wechatUserId}, m.menu_id, ${tap.event}, ${tap.eventKey},
             ${tap.details === null ? null : JSON.stringify(tap.details)}::jsonb, ${tap.at.toISOString()}
      FROM follower f, menu m WHERE NOT f.blacklisted
      RETURNING id
    )
    SELECT EXISTS (SELECT 1 FROM follower) AS following,
           coalesce((SELECT blacklisted FROM follower), false) AS blacklisted,
           (SELECT id FROM stored) AS id`);
  const row = result.rows[0]!;
  if (!row.following) return { status: 'not_following' };
  if (row.blacklisted) return { status: 'blacklisted' };
  if (row.id === null) return { status: 'menu_changed' };
  return { status: 'stored', id: Number(row.id) };
}
