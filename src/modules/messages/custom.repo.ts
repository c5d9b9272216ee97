import { sql } from 'drizzle-orm';
import { parseTimestamp, type Executor } from '../../db/client.js';
import type { CustomMessage } from './custom.service.js';

/**
 * Customer-service messages (../shared/wechat-protocol.md §10.2): who may receive one, the quotas their actions
 * opened, and the message itself, kept in webhook_replies (kind 'custom') beside the passive replies so that the
 * inbox reads one source for both.
 */

/** Menu taps that open the window: click and the two scan-code types; a view tap does not (§10.2.1). */
export const WINDOW_MENU_EVENTS = ['CLICK', 'scancode_push', 'scancode_waitmsg'] as const;

/** The follower's actions that open a customer-service quota (§10.2.1); payment is not simulated. */
export const CUSTOM_TRIGGERS = ['message', 'menu', 'scan', 'follow'] as const;
export type CustomTrigger = (typeof CUSTOM_TRIGGERS)[number];

export interface CustomRecipient {
  followerId: number;
  subscribed: boolean;
  blacklisted: boolean;
  /** Per trigger, the follower's latest such action after its `since`; null if none. */
  triggers: Record<CustomTrigger, Date | null>;
}

/**
 * The follower of the account with this openid and, per trigger, their latest such action after that trigger's
 * `since`; undefined for an openid that is not the account's. Each probe reads the account's own (account_id,
 * occurred_at) index over the window only, so its cost is the account's traffic of the window, whatever the
 * follower's history.
 */
export async function findCustomRecipient(db: Executor, accountId: number, openid: string, since: Record<CustomTrigger, Date>): Promise<CustomRecipient | undefined> {
  const result = await db.execute<{ followerId: number; subscribed: boolean; blacklisted: boolean } & Record<CustomTrigger, string | null>>(sql`
    SELECT f.id AS "followerId", f.subscribed, f.blacklisted,
           (SELECT max(occurred_at) FROM messages
            WHERE account_id = f.account_id AND follower_id = f.id AND occurred_at > ${since.message.toISOString()}) AS message,
           (SELECT max(occurred_at) FROM menu_clicks
            WHERE account_id = f.account_id AND follower_id = f.id AND occurred_at > ${since.menu.toISOString()}
              AND event = ANY(${sql.param([...WINDOW_MENU_EVENTS])}::text[])) AS menu,
           (SELECT max(occurred_at) FROM scan_events
            WHERE account_id = f.account_id AND follower_id = f.id AND occurred_at > ${since.scan.toISOString()}) AS scan,
           (SELECT max(occurred_at) FROM follow_events
            WHERE account_id = f.account_id AND follower_id = f.id AND occurred_at > ${since.follow.toISOString()} AND kind = 'subscribe') AS follow
    FROM followers f
    WHERE f.account_id = ${accountId} AND f.openid = ${openid}`);
  const row = result.rows[0];
  if (!row) return undefined;
  const triggers = Object.fromEntries(CUSTOM_TRIGGERS.map((trigger) => [trigger, parseTimestamp(row[trigger])])) as Record<CustomTrigger, Date | null>;
  return { followerId: row.followerId, subscribed: row.subscribed, blacklisted: row.blacklisted, triggers };
}

/**
 * Charges one message to the quota that the follower's action at `openedAt` opened, if it has a unit left; false
 * when it is used up. An action newer than the row's starts the count over. The upsert locks the row, so of two
 * transactions racing for the last unit the second sees the first's count and gets false; a caller that read an
 * older action than the row's (a stale read) is charged to the row's newer one.
 */
export async function chargeCustomQuota(
  db: Executor,
  input: { accountId: number; followerId: number; trigger: CustomTrigger; openedAt: Date; limit: number },
): Promise<boolean> {
  const result = await db.execute(sql`
    INSERT INTO custom_message_quotas AS q (account_id, follower_id, trigger, opened_at, used)
    VALUES (${input.accountId}, ${input.followerId}, ${input.trigger}, ${input.openedAt.toISOString()}, 1)
    ON CONFLICT (account_id, follower_id, trigger) DO UPDATE
      SET used = CASE WHEN q.opened_at < EXCLUDED.opened_at THEN 1 ELSE q.used + 1 END,
          opened_at = GREATEST(q.opened_at, EXCLUDED.opened_at)
      WHERE q.opened_at < EXCLUDED.opened_at OR q.used < ${input.limit}
    RETURNING used`);
  return result.rows.length === 1;
}

/**
 * The latest message exchanged between the account and the follower after `since`: one of theirs (messages), or
 * one of the account's (passive replies and customer-service messages); null if none.
 */
export async function findLastExchange(db: Executor, accountId: number, follower: { followerId: number; openid: string }, since: Date): Promise<Date | null> {
  const after = since.toISOString();
  const result = await db.execute<{ at: string | null }>(sql`
    SELECT GREATEST(
             (SELECT max(occurred_at) FROM messages
              WHERE account_id = ${accountId} AND follower_id = ${follower.followerId} AND occurred_at > ${after}),
             (SELECT created_at FROM webhook_replies
              WHERE account_id = ${accountId} AND openid = ${follower.openid}
              ORDER BY id DESC LIMIT 1)
           ) AS at`);
  const at = parseTimestamp(result.rows[0]?.at ?? null);
  return at !== null && at > since ? at : null;
}

/** Stores a customer-service message for the follower's inbox; returns its id. */
export async function insertCustomMessage(db: Executor, accountId: number, openid: string, message: CustomMessage, at: Date): Promise<number> {
  const result = await db.execute<{ id: number }>(sql`
    INSERT INTO webhook_replies (account_id, openid, kind, push_id, in_reply_to_msg_id, message, created_at)
    VALUES (${accountId}, ${openid}, 'custom', NULL, NULL, ${JSON.stringify(message)}::jsonb, ${at.toISOString()})
    RETURNING id`);
  return result.rows[0]!.id;
}
