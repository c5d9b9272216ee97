import { sql } from 'drizzle-orm';
import { parseTimestamp, type Executor } from '../../db/client.js';
import type { ReplyMessage } from './passive-reply.js';

export interface ReplyRow {
  id: number;
  inReplyToMsgId: string | null;
  message: ReplyMessage;
  createdAt: Date;
}

/** A follower's passive replies from one account, newest first, below `beforeId` (webhook_replies_inbox_idx). */
export async function listReplies(db: Executor, accountId: number, openid: string, input: { beforeId: number | null; limit: number }): Promise<ReplyRow[]> {
  const result = await db.execute<Omit<ReplyRow, 'createdAt'> & { createdAt: string }>(sql`
    SELECT id, in_reply_to_msg_id AS "inReplyToMsgId", message, created_at AS "createdAt"
    FROM webhook_replies
    WHERE account_id = ${accountId} AND openid = ${openid} ${input.beforeId === null ? sql`` : sql`AND id < ${input.beforeId}`}
    ORDER BY id DESC LIMIT ${input.limit}`);
  return result.rows.map((row) => ({ ...row, createdAt: parseTimestamp(row.createdAt) }));
}
