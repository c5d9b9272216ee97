import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';

/** WeChat's two lifetimes of a parametric QR code: QR_SCENE / QR_STR_SCENE expire, QR_LIMIT_* do not. */
export const qrcodeKind = pgEnum('qrcode_kind', ['temporary', 'permanent']);

/**
 * Parametric QR codes (带参数二维码, protocol reference §10.4) and their tickets. A scan of the ticket follows the
 * account with scene ADD_SCENE_QR_CODE (or, for a follower, is a SCAN); the follow and scan events record the
 * ticket, so their pushes carry it. A permanent code exists once per scene value and account (creating it again
 * answers the same ticket), and an account has at most 100,000 of them; temporary codes are unlimited.
 */
export const qrcodes = pgTable(
  'qrcodes',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    /** 32 url-safe random characters (192 bits): unguessable, and usable in a URL as it is. */
    ticket: text('ticket').notNull(),
    kind: qrcodeKind('kind').notNull(),
    /** scene_id (QR_SCENE, QR_LIMIT_SCENE); 0 only for a code created without action_info.scene, as WeChat allows. */
    sceneId: integer('scene_id'),
    /** scene_str (QR_STR_SCENE, QR_LIMIT_STR_SCENE), 1–64 characters. */
    sceneStr: text('scene_str'),
    /** What the QR image encodes: this server's `/q/<ticket>`, fixed when the code is created. */
    url: text('url').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** Temporary codes only; a scan or showqrcode at or after this instant is refused. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('qrcodes_ticket_key').on(t.ticket),
    index('qrcodes_account_idx').on(t.accountId, t.id),
    // One permanent code per scene value: these also count an account's permanent codes against its cap.
    uniqueIndex('qrcodes_permanent_scene_id_key')
      .on(t.accountId, t.sceneId)
      .where(sql`${t.kind} = 'permanent' AND ${t.sceneId} IS NOT NULL`),
    uniqueIndex('qrcodes_permanent_scene_str_key')
      .on(t.accountId, t.sceneStr)
      .where(sql`${t.kind} = 'permanent' AND ${t.sceneStr} IS NOT NULL`),
    check('qrcodes_one_scene', sql`(${t.sceneId} IS NULL) <> (${t.sceneStr} IS NULL)`),
    check('qrcodes_expiry_of_kind', sql`(${t.kind} = 'temporary') = (${t.expiresAt} IS NOT NULL)`),
  ],
);
