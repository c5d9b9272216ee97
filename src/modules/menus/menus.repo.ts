import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { menus } from '../../db/schema/menus.js';
import type { MenuEvent, MenuEventDetails } from '../webhooks/push-render.js';
import type { MenuButton } from './menu.validation.js';

/** The custom menu of each account (one row, replaced whole) and the append-only taps on it. */

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

export interface MenuTapWrite {
  accountId: number;
  wechatUserId: number;
  /** The menu the button was found in: the tap is stored only while that menu is still the account's. */
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
