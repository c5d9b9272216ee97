import { bigint, index, jsonb, pgSequence, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';

/**
 * Custom menus (自定义菜单, ../shared/wechat-protocol.md §10.1) and the taps on them. A menu is replaced whole by
 * each menu/create; taps are append-only facts, pushed to the developer's server by a trigger (migration
 * 0013_menus), as follows, messages and scans are (0008, 0009).
 */

/** WeChat's menuid (the MenuId of a VIEW push): a new one for every menu created, never reused. */
export const menuIdSeq = pgSequence('menu_id_seq', { startWith: '400000001' });

/** An account's current menu: the buttons as menu/create took them, normalized (see modules/menus/menu.validation.ts). */
export const menus = pgTable('menus', {
  accountId: bigint('account_id', { mode: 'number' })
    .primaryKey()
    .references(() => accounts.id, { onDelete: 'cascade' }),
  menuId: bigint('menu_id', { mode: 'number' }).notNull(),
  buttons: jsonb('buttons').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

/**
 * Conditional (personalized) menus (§10.1.5): each shown, instead of the default menu, to the viewers its match_rule
 * matches (the newest matching one wins). They hang off the default menu: one cannot be added without it, and
 * deleting it deletes them (as WeChat's menu/delete does); replacing it keeps them. Never edited, only added and
 * deleted; menu_id comes from menu_id_seq, like the default menu's.
 */
export const conditionalMenus = pgTable(
  'conditional_menus',
  {
    menuId: bigint('menu_id', { mode: 'number' }).primaryKey(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => menus.accountId, { onDelete: 'cascade' }),
    buttons: jsonb('buttons').notNull(),
    /** The given rule fields only, as strings under WeChat's names (see modules/menus/conditional-menu.ts). */
    matchRule: jsonb('match_rule').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('conditional_menus_account_idx').on(t.accountId, t.menuId)],
);

/**
 * Append-only taps on menu buttons that raise an event (CLICK, VIEW, scancode_*, pic_*, location_select), each
 * against the menu the follower saw (menu_id: the default menu's or a conditional menu's). `details` holds the
 * event's nested block under WeChat's names (ScanCodeInfo, SendPicsInfo, SendLocationInfo) for the types that have
 * one.
 */
export const menuClicks = pgTable(
  'menu_clicks',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    followerId: bigint('follower_id', { mode: 'number' }).notNull(),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' }).notNull(),
    menuId: bigint('menu_id', { mode: 'number' }).notNull(),
    /** The push's Event: CLICK, VIEW, or the button type for the others. */
    event: text('event').notNull(),
    /** The button's key, or the URL of a view button. */
    eventKey: text('event_key').notNull(),
    details: jsonb('details'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('menu_clicks_account_time_idx').on(t.accountId, t.occurredAt)],
);
