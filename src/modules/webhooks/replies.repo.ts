import { sql } from 'drizzle-orm';
import { parseTimestamp, type Executor } from '../../db/client.js';
import type { CustomMessage } from '../messages/custom.service.js';
import type { TemplateInboxMessage } from '../templates/templates.service.js';
import type { ReplyMessage } from './passive-reply.js';

/**
 * A passive reply, a customer-service message (kind 'custom', written by the messages module) or a delivered template
 * message (kind 'template', written by the templates module).
 */
export type ReplyRow = { id: number; inReplyToMsgId: string | null; createdAt: Date } & (
  | { kind: 'reply'; message: ReplyMessage }
  | { kind: 'custom'; message: CustomMessage }
  | { kind: 'template'; message: TemplateInboxMessage }
);

/**
 * What the account said to a follower in their chat (passive replies and customer-service messages), newest first,
 * below `beforeId` (webhook_replies_inbox_idx).
 */
export async function listReplies(db: Executor, accountId: number, openid: string, input: { beforeId: number | null; limit: number }): Promise<ReplyRow[]> {
  const result = await db.execute<{ id: number; kind: ReplyRow['kind']; inReplyToMsgId: string | null; message: ReplyRow['message']; createdAt: string }>(sql`
    SELECT id, kind, in_reply_to_msg_id AS "inReplyToMsgId", message, created_at AS "createdAt"
    FROM webhook_replies
    WHERE account_id = ${accountId} AND openid = ${openid} ${input.beforeId === null ? sql`` : sql`AND id < ${input.beforeId}`}
    ORDER BY id DESC LIMIT ${input.limit}`);
  return result.rows.map((row) => ({ ...row, createdAt: parseTimestamp(row.createdAt) }) as ReplyRow);
}
