import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { decodeCursor, page } from '../../http/cursor.js';
import { findAccountByAppid } from '../accounts/accounts.repo.js';
import { findFollowerOfUser } from '../followers/followers.repo.js';
import { listReplies } from './replies.repo.js';

export type RepliesService = ReturnType<typeof createRepliesService>;

/** The follower's side of passive replies: what the account's developer server answered to their messages and events. */
export function createRepliesService(deps: { db: Database }) {
  const { db } = deps;
  return {
    async list(wechatUserId: number, query: { appid: string; cursor?: string; limit: number }) {
      const account = await findAccountByAppid(db, query.appid);
      if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No official account has appid ${query.appid}`);
      // Replies are addressed by openid, which a user has for an account once they followed it.
      const follower = await findFollowerOfUser(db, account.id, wechatUserId);
      if (!follower) return { items: [], nextCursor: null };
      const rows = await listReplies(db, account.id, follower.openid, { beforeId: query.cursor ? decodeCursor(query.cursor) : null, limit: query.limit + 1 });
      const { items, nextCursor } = page(rows, query.limit, (row) => row.id);
      return { items: items.map((row) => ({ inReplyToMsgId: row.inReplyToMsgId, receivedAt: row.createdAt, message: row.message })), nextCursor };
    },
  };
}
