import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { findFollowerOfUser } from '../followers/followers.repo.js';
import { BatcherClosedError, createBatcher, isRejectedStatement, type Batcher, type BatcherOptions } from '../../db/group-commit.js';
import {
  findMessage,
  insertEngagements,
  insertMessages,
  insertScan,
  listEngagements,
  listFollowEvents,
  listMessages,
  subscribeMany,
  unsubscribeMany,
  type EngagementOutcome,
  type EngagementWrite,
  type EventRange,
  type FollowWrite,
  type MessageOutcome,
  type EventWriter,
  type MessageWrite,
  type UnfollowWrite,
} from './events.repo.js';

export type EventsService = ReturnType<typeof createEventsService>;

/**
 * The append-only facts of the follower side — follows and unfollows, upstream messages, article engagements —
 * and the writes that create them. Concurrent writes of one kind are group-committed (src/db/group-commit.ts): one
 * statement per group, each caller answered once its row is committed. Webhooks and statistics read from here.
 */
export function createEventsService(deps: { db: Database; pool: EventWriter; grouping: BatcherOptions }) {
  const { db, pool } = deps;
  const group = <Item, Result>(writeGroup: (items: Item[]) => Promise<Result[]>): Pick<Batcher<Item, Result>, 'submit' | 'close' | 'written'> => {
    const batcher = createBatcher({ writeGroup, canSplit: isRejectedStatement }, deps.grouping);
    return {
      // A request that reaches the writer after shutdown began (its client may have hung up, so the server stopped
      // waiting for it) is told to retry, as when the database is away, rather than failing as a bug.
      submit: (item) =>
        batcher.submit(item).catch((error: unknown) => {
          if (error instanceof BatcherClosedError) throw new AppError('DATABASE_UNAVAILABLE', 'The service is shutting down; retry');
          throw error;
        }),
      close: batcher.close,
      written: batcher.written,
    };
  };

  const follows = group((rows: FollowWrite[]) => subscribeMany(pool, rows));
  const unfollows = group((rows: UnfollowWrite[]) => unsubscribeMany(pool, rows));
  const messages = group((rows: MessageWrite[]) => insertMessages(pool, rows));
  const engagements = group((rows: EngagementWrite[]) => insertEngagements(pool, rows));

  return {
    /**
     * Follows (idempotently). A user who already follows appends no follow event and gets the openid they have
     * (a scan of a QR code records a SCAN instead); the openid of a former follower is kept on refollow.
     */
    async follow(row: FollowWrite): Promise<{ followerId: number; openid: string; alreadyFollowing: boolean }> {
      const followed = await follows.submit(row);
      if (followed) return { ...followed, alreadyFollowing: false };
      // The row that made this a no-op is committed (the upsert waited for it), so a fresh read sees it.
      const existing = await findFollowerOfUser(db, row.accountId, row.wechatUserId);
      if (!existing) throw new Error(`Follower of user ${row.wechatUserId} on account ${row.accountId} vanished after a follow`);
      // A follower scanning a parametric QR code is WeChat's SCAN event (rare enough to need no group commit).
      if (row.qrScene !== null || row.qrSceneStr !== null) {
        await insertScan(db, { accountId: row.accountId, wechatUserId: row.wechatUserId, qrScene: row.qrScene, qrSceneStr: row.qrSceneStr, qrTicket: row.qrTicket ?? null, at: row.at });
      }
      return { followerId: existing.followerId, openid: existing.openid, alreadyFollowing: true };
    },

    /** Unfollows; undefined when the user was not following. The event records the scene the follower came from. */
    unfollow: (row: UnfollowWrite): Promise<{ followerId: number; openid: string } | undefined> => unfollows.submit(row),

    /** Stores a message from a current, non-blacklisted follower; the MsgId is a decimal string (64-bit). */
    recordMessage: (row: MessageWrite): Promise<MessageOutcome> => messages.submit(row),

    recordEngagement: (row: EngagementWrite): Promise<EngagementOutcome> => engagements.submit(row),

    followEvents: (accountId: number, range: EventRange) => listFollowEvents(db, accountId, range),
    messages: (accountId: number, range: EventRange) => listMessages(db, accountId, range),
    message: (accountId: number, msgId: string) => findMessage(db, accountId, msgId),
    engagements: (accountId: number, range: EventRange) => listEngagements(db, accountId, range),

    /** Statements written per kind and the rows they held: rows/groups is the grouping achieved. */
    grouping: () => ({ follows: follows.written(), unfollows: unfollows.written(), messages: messages.written(), engagements: engagements.written() }),

    /** Writes everything already submitted and waits for it; call before closing the database pool. */
    async close(): Promise<void> {
      await Promise.all([follows.close(), unfollows.close(), messages.close(), engagements.close()]);
    },
  };
}
