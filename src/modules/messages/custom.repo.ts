import { sql } from 'drizzle-orm';
import { parseTimestamp, type Executor } from '../../db/client.js';
import type { CustomMessage } from './custom.service.js';

/**
 * Customer-service messages (../shared/wechat-protocol.md §10.2): who may receive one, and the message itself, kept in
 * webhook_replies (kind 'custom') beside the passive replies so that the inbox reads one source for both.
 */

/** Menu taps that open the window: click and the two scan-code types; a view tap does not (§10.2.1). */
export const WINDOW_MENU_EVENTS = ['CLICK', 'scancode_push', 'scancode_waitmsg'] as const;

export interface CustomRecipient {
  followerId: number;
  subscribed: boolean;
  blacklisted: boolean;
  /** The follower's latest interaction after `since` (message, menu click, scan, follow); null if none. */
  lastInteractionAt: Date | null;
}

/**
 * The follower of the account with this openid and their latest interaction after `since`; undefined for an openid
 * that is not the account's. Each probe reads the account's own (account_id, occurred_at) index over the window
 * only, so its cost is the account's traffic of 48 hours, whatever the follower's history.
 */
export async function findCustomRecipient(db: Executor, accountId: number, openid: string, since: Date): Promise<CustomRecipient | undefined> {
  const after = since.toISOString();
  const result = await db.execute<{ followerId: number; subscribed: boolean; blacklisted: boolean; lastInteractionAt: string | null }>(sql`
    SELECT f.id AS "followerId", f.subscribed, f.blacklisted,
           GREATEST(
             (SELECT max(occurred_at) FROM messages
              WHERE account_id = f.account_id AND follower_id = f.id AND occurred_at > ${after}),
             (SELECT max(occurred_at) FROM menu_clicks
              WHERE account_id = f.account_id AND follower_id = f.id AND occurred_at > ${after}
                AND event = ANY(${sql.param([...WINDOW_MENU_EVENTS])}::text[])),
             (SELECT max(occurred_at) FROM scan_events
              WHERE account_id = f.account_id AND follower_id = f.id AND occurred_at > ${after}),
             (SELECT max(occurred_at) FROM follow_events
              WHERE account_id = f.account_id AND follower_id = f.id AND occurred_at > ${after} AND kind = 'subscribe')
           ) AS "lastInteractionAt"
    FROM followers f
    WHERE f.account_id = ${accountId} AND f.openid = ${openid}`);
  const row = result.rows[0];
  return row && { ...row, lastInteractionAt: parseTimestamp(row.lastInteractionAt) };
}

/** Stores a customer-service message for the follower's inbox; returns its id. */
export async function insertCustomMessage(db: Executor, accountId: number, openid: string, message: CustomMessage, at: Date): Promise<number> {
  const result = await db.execute<{ id: number }>(sql`
    INSERT INTO webhook_replies (account_id, openid, kind, push_id, in_reply_to_msg_id, message, created_at)
    VALUES (${accountId}, ${openid}, 'custom', NULL, NULL, ${JSON.stringify(message)}::jsonb, ${at.toISOString()})
    RETURNING id`);
  return result.rows[0]!.id;
}
