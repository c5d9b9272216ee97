import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { decodeCursor, page } from '../../http/cursor.js';
import type { QuotaService } from '../accounts/quota.service.js';
import { quotaWindow } from '../accounts/quota-window.js';
import { findAccountByAppid, lockAccount } from '../accounts/accounts.repo.js';
import { findFollowerOfUser, lockFollowersByOpenid } from '../followers/followers.repo.js';
import { tagExists } from '../followers/tags.repo.js';
import type { BroadcastJobs } from './broadcasts.jobs.js';
import {
  articleIsLive,
  countPreviewRecipientsSince,
  eligibleFollowerIds,
  findBroadcast,
  findBroadcastIdByMsgId,
  findRecentByClientMsgId,
  insertArticles,
  insertBroadcast,
  insertPreviewDeliveries,
  insertTargetOpenids,
  listArticles,
  listBroadcasts,
  markArticleDeleted,
  markDeleted,
  setPreviewOutcome,
  type ArticleInput,
  type ArticleRow,
  type ArticleSummaryRow,
  type BroadcastRow,
} from './broadcasts.repo.js';
import { listReplies } from '../webhooks/replies.repo.js';
import { findDeliveredBroadcast, findInboxBroadcasts, findWindowFloor, listInboxDeliveries, listLiveArticles, type InboxDelivery } from './inbox.repo.js';
import {
  decodeInboxCursor,
  encodeInboxCursor,
  mergeInboxPage,
  toInboxArticle,
  toInboxArticleSummary,
  toInboxItem,
  toInboxReply,
  type InboxSource,
} from './inbox.view.js';
import { sanitizeArticleHtml } from './sanitize.js';

export type BroadcastMessage =
  | {
      type: 'news';
      articles: Array<{
        title: string;
        author?: string;
        digest?: string;
        content: string;
        contentSourceUrl?: string;
        thumbUrl: string;
        showCoverPic?: boolean;
        needOpenComment?: boolean;
      }>;
    }
  | { type: 'text'; content: string }
  | { type: 'image'; imageUrl: string };

export type BroadcastTargetInput = { all: true } | { tagId: number } | { openids: string[] };

/** WeChat checks clientmsgid against the last 24 hours of sends. */
const CLIENT_MSG_ID_WINDOW_MS = 24 * 3600_000;
const CLIENT_MSG_ID_MAX_BYTES = 64;
export const PREVIEW_RECIPIENTS_PER_DAY = 100;

/** Broadcasts of the account one inbox page looks at, at most: bounds the work of a page for a follower who received few of them. */
export const INBOX_SCAN_LIMIT = 200;
const INT8_MAX = 2n ** 63n - 1n;

export type BroadcastsService = ReturnType<typeof createBroadcastsService>;

/** An article in a view: the whole of it, or (in lists) everything but the HTML body, which can be 100 KB. */
function articleView(article: ArticleRow | ArticleSummaryRow) {
  return {
    index: article.idx,
    title: article.title,
    author: article.author,
    digest: article.digest,
    ...('content' in article ? { content: article.content } : {}),
    contentSourceUrl: article.contentSourceUrl,
    thumbUrl: article.thumbUrl,
    ...('content' in article ? { showCoverPic: article.showCoverPic, needOpenComment: article.needOpenComment } : {}),
    deleted: article.deletedAt !== null,
  };
}

export function toBroadcastView(broadcast: BroadcastRow, articles: Array<ArticleRow | ArticleSummaryRow> = []) {
  const progress =
    broadcast.status === 'SEND_SUCCESS' || broadcast.status === 'SEND_FAIL'
      ? 100
      : broadcast.batchesTotal
        ? Math.floor((100 * broadcast.batchesDone) / broadcast.batchesTotal)
        : 0;
  const message =
    broadcast.messageType === 'news'
      ? { type: 'news' as const, articles: articles.map(articleView) }
      : { type: broadcast.messageType, ...broadcast.body };
  return {
    id: broadcast.id,
    msgId: broadcast.msgId,
    msgDataId: broadcast.msgDataId,
    status: broadcast.status,
    preview: broadcast.isPreview,
    target: broadcast.target === 'tag' ? { tagId: broadcast.targetTagId } : broadcast.target === 'all' ? { all: true } : { openids: true },
    clientMsgId: broadcast.clientMsgId,
    failReason: broadcast.failReason,
    counts: { total: broadcast.totalCount, filtered: broadcast.filteredCount, sent: broadcast.sentCount, errors: broadcast.errorCount },
    progress,
    message,
    createdAt: broadcast.createdAt,
    startedAt: broadcast.startedAt,
    finishedAt: broadcast.finishedAt,
    deletedAt: broadcast.deletedAt,
  };
}

function prepareArticles(message: BroadcastMessage): ArticleInput[] {
  if (message.type !== 'news') return [];
  return message.articles.map((article) => {
    const content = sanitizeArticleHtml(article.content);
    if (content.trim() === '') throw new AppError('VALIDATION_FAILED', `body/message/articles: "${article.title}" has no content left once scripts and unsafe markup are removed`);
    return {
      title: article.title,
      author: article.author ?? '',
      digest: article.digest ?? '',
      content,
      contentSourceUrl: article.contentSourceUrl ?? '',
      thumbUrl: article.thumbUrl,
      showCoverPic: article.showCoverPic ?? false,
      needOpenComment: article.needOpenComment ?? false,
    };
  });
}

function messageBody(message: BroadcastMessage): Record<string, unknown> {
  if (message.type === 'text') return { content: message.content };
  if (message.type === 'image') return { imageUrl: message.imageUrl };
  return {};
}

export function createBroadcastsService(deps: { db: Database; clock: Clock; quota: QuotaService; jobs: BroadcastJobs; timeZone: string; log: { warn(obj: object, msg: string): void } }) {
  const { db } = deps;

  /** Views of the account's broadcasts: with article bodies for one broadcast, summaries for lists. */
  async function withArticles(accountId: number, rows: BroadcastRow[], detail: 'full' | 'summary' = 'full') {
    const ids = rows.filter((r) => r.messageType === 'news').map((r) => r.id);
    const articles = await listArticles(db, accountId, ids, { withContent: detail === 'full' });
    return rows.map((row) => toBroadcastView(row, articles.get(row.id)));
  }

  async function requireBroadcast(accountId: number, broadcastId: number) {
    const broadcast = await findBroadcast(db, accountId, broadcastId);
    if (!broadcast) throw new AppError('BROADCAST_NOT_FOUND', `Broadcast ${broadcastId} does not exist on this account`);
    return broadcast;
  }

  /** The account of an inbox and the user's follower row on it (undefined if they never followed it). */
  async function inboxOwner(wechatUserId: number, appid: string) {
    const account = await findAccountByAppid(db, appid);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No official account has appid ${appid}`);
    const follower = await findFollowerOfUser(db, account.id, wechatUserId);
    return { accountId: account.id, follower };
  }

  return {
    /**
     * Records the broadcast and consumes a quota unit in one transaction, then hands it to the fan-out queue. A
     * clientMsgId seen in the last 24 hours returns the first broadcast instead (duplicate: true). userId is the admin
     * who sent it, or null for a send through the WeChat-compatible API (an access token names no user).
     */
    async send(accountId: number, userId: number | null, input: { target: BroadcastTargetInput; message: BroadcastMessage; clientMsgId?: string }) {
      if (input.clientMsgId !== undefined && Buffer.byteLength(input.clientMsgId) > CLIENT_MSG_ID_MAX_BYTES) {
        throw new AppError('VALIDATION_FAILED', `body/clientMsgId must be at most ${CLIENT_MSG_ID_MAX_BYTES} bytes`);
      }
      const articles = prepareArticles(input.message);
      const now = deps.clock.now();
      const outcome = await db.transaction(async (tx) => {
        await lockAccount(tx, accountId);
        if (input.clientMsgId !== undefined) {
          const existing = await findRecentByClientMsgId(tx, accountId, input.clientMsgId, new Date(now.getTime() - CLIENT_MSG_ID_WINDOW_MS));
          if (existing) return { broadcast: existing, duplicate: true };
        }
        if ('tagId' in input.target && !(await tagExists(tx, accountId, input.target.tagId))) {
          throw new AppError('TAG_NOT_FOUND', `Tag ${input.target.tagId} does not exist on this account`);
        }
        const unit = await deps.quota.consume(tx, accountId, 'broadcast', now);
        const broadcast = await insertBroadcast(tx, {
          accountId,
          isPreview: false,
          clientMsgId: input.clientMsgId ?? null,
          messageType: input.message.type,
          body: messageBody(input.message),
          target: 'all' in input.target ? 'all' : 'tagId' in input.target ? 'tag' : 'openids',
          targetTagId: 'tagId' in input.target ? input.target.tagId : null,
          quotaLedgerId: unit.ledgerId,
          createdBy: userId,
          createdAt: now,
        });
        if (broadcast.msgDataId !== null) await insertArticles(tx, { id: broadcast.id, accountId, msgDataId: broadcast.msgDataId }, articles);
        if ('openids' in input.target) await insertTargetOpenids(tx, broadcast, input.target.openids);
        return { broadcast, duplicate: false };
      });
      if (!outcome.duplicate) {
        try {
          await deps.jobs.enqueueFanout({ accountId, broadcastId: outcome.broadcast.id });
        } catch (error) {
          // The broadcast is committed as queued; the worker's sweep enqueues it once Redis answers again.
          deps.log.warn({ err: error, broadcastId: outcome.broadcast.id }, 'could not enqueue fan-out; the sweep will retry');
        }
      }
      const [view] = await withArticles(accountId, [outcome.broadcast]);
      return { ...view!, duplicate: outcome.duplicate };
    },

    /**
     * Sends to up to 100 followers a day without using quota; delivered at once, marked as a preview in the inbox.
     * Unknown openids are counted as errors, unsubscribed or blacklisted ones as filtered. A preview neither counts
     * toward nor is held back by the per-follower monthly limit of mass messages: WeChat's preview API is separate
     * from mass sends, and whether it counts is unconfirmed (§10.6).
     */
    async preview(accountId: number, userId: number | null, input: { openids: string[]; message: BroadcastMessage }) {
      const articles = prepareArticles(input.message);
      const openids = [...new Set(input.openids)];
      const now = deps.clock.now();
      const broadcast = await db.transaction(async (tx) => {
        await lockAccount(tx, accountId);
        const day = quotaWindow(now, 'day', deps.timeZone);
        const used = await countPreviewRecipientsSince(tx, accountId, day.start);
        if (used + openids.length > PREVIEW_RECIPIENTS_PER_DAY) {
          throw new AppError('PREVIEW_LIMIT_REACHED', `Previews reach at most ${PREVIEW_RECIPIENTS_PER_DAY} followers a day; ${Math.max(0, PREVIEW_RECIPIENTS_PER_DAY - used)} left today`, {
            resetsAt: day.end.toISOString(),
          });
        }
        const row = await insertBroadcast(tx, {
          accountId,
          isPreview: true,
          clientMsgId: null,
          messageType: input.message.type,
          body: messageBody(input.message),
          target: 'openids',
          targetTagId: null,
          quotaLedgerId: null,
          createdBy: userId,
          createdAt: now,
        });
        if (row.msgDataId !== null) await insertArticles(tx, { id: row.id, accountId, msgDataId: row.msgDataId }, articles);
        const found = await lockFollowersByOpenid(tx, accountId, openids);
        const eligible = await eligibleFollowerIds(tx, accountId, found.map((f) => f.id));
        const sent = await insertPreviewDeliveries(tx, row, eligible, now);
        await setPreviewOutcome(tx, accountId, row.id, { total: openids.length, sent, filtered: found.length - eligible.length, errors: openids.length - found.length }, now);
        return (await findBroadcast(tx, accountId, row.id))!;
      });
      const [view] = await withArticles(accountId, [broadcast]);
      return view!;
    },

    async list(accountId: number, query: { cursor?: string; limit: number; includePreviews?: boolean }) {
      const beforeId = query.cursor ? decodeCursor(query.cursor) : null;
      const rows = await listBroadcasts(db, accountId, { beforeId, limit: query.limit + 1, includePreviews: query.includePreviews ?? false });
      const { items, nextCursor } = page(rows, query.limit, (row) => row.id);
      return { items: await withArticles(accountId, items, 'summary'), nextCursor };
    },

    /** The id of the account's broadcast with this msg_id (how the WeChat API names broadcasts). */
    async idOfMsgId(accountId: number, msgId: string): Promise<number> {
      const id = BigInt(msgId) <= INT8_MAX ? await findBroadcastIdByMsgId(db, accountId, msgId) : undefined;
      if (id === undefined) throw new AppError('BROADCAST_NOT_FOUND', `No broadcast of this account has msg_id ${msgId}`);
      return id;
    },

    async get(accountId: number, broadcastId: number) {
      const [view] = await withArticles(accountId, [await requireBroadcast(accountId, broadcastId)]);
      return view!;
    },

    /**
     * Deletes a sent broadcast, or one article of a news broadcast: the content leaves followers' inboxes and
     * article pages stop answering; what already happened (deliveries, reads) stays for statistics.
     */
    async remove(accountId: number, broadcastId: number, articleIndex?: number) {
      const broadcast = await requireBroadcast(accountId, broadcastId);
      if (broadcast.status !== 'SEND_SUCCESS') {
        throw new AppError('BROADCAST_NOT_DELETABLE', `Only a broadcast that was sent successfully can be deleted; this one is ${broadcast.status}`);
      }
      const now = deps.clock.now();
      if (articleIndex === undefined || articleIndex === 0) {
        await markDeleted(db, accountId, broadcastId, now);
      } else {
        if (broadcast.messageType !== 'news') throw new AppError('INVALID_ARTICLE_INDEX', 'Only news broadcasts have articles to delete one by one');
        if (!(await markArticleDeleted(db, accountId, broadcastId, articleIndex, now))) {
          throw new AppError('INVALID_ARTICLE_INDEX', `The broadcast has no article ${articleIndex}`);
        }
      }
      return this.get(accountId, broadcastId);
    },

    /**
     * What a follower received from an account, newest first: broadcasts as summaries (an article's HTML body is on
     * inboxMessage; deleted broadcasts and articles are left out), the passive replies of its developer server to
     * the follower's messages and events (webhooks), its customer-service and its template messages (both kept with
     * the replies), merged by time. A page looks at no more than INBOX_SCAN_LIMIT of
     * the account's broadcasts, so it may hold fewer than `limit` items, even none, and still have a nextCursor.
     */
    async inbox(wechatUserId: number, query: { appid: string; cursor?: string; limit: number }) {
      const { accountId, follower } = await inboxOwner(wechatUserId, query.appid);
      if (follower === undefined) return { items: [], nextCursor: null };
      const from = decodeInboxCursor(query.cursor);
      const fetch = query.limit + 1;

      let delivered: InboxDelivery[] = [];
      let deliveriesBeyond: InboxSource<InboxDelivery>['beyond'] = 'end';
      if (from.broadcasts !== 'end') {
        const window = { beforeBroadcastId: from.broadcasts, scanLimit: INBOX_SCAN_LIMIT };
        delivered = await listInboxDeliveries(db, accountId, follower.followerId, { ...window, limit: fetch });
        // A short list ends the broadcasts only if the walk reached the account's first broadcast.
        const floor = delivered.length < fetch ? await findWindowFloor(db, accountId, window) : undefined;
        deliveriesBeyond = delivered.length === fetch ? 'more' : floor === undefined ? 'end' : { below: floor };
      }
      const replies = from.replies === 'end' ? [] : await listReplies(db, accountId, follower.openid, { beforeId: from.replies, limit: fetch });

      const merged = mergeInboxPage(
        query.limit,
        { rows: delivered, from: from.broadcasts, idOf: (row) => row.broadcastId, timeOf: (row) => row.deliveredAt, beyond: deliveriesBeyond },
        { rows: replies, from: from.replies, idOf: (row) => row.id, timeOf: (row) => row.createdAt, beyond: replies.length === fetch ? 'more' : 'end' },
      );
      const ids = merged.items.flatMap((item) => ('a' in item ? [item.a.broadcastId] : []));
      const broadcasts = await findInboxBroadcasts(db, accountId, ids);
      const articles = await listLiveArticles(db, accountId, ids, { withContent: false });
      const items = merged.items.flatMap((item): Array<ReturnType<typeof toInboxReply> | NonNullable<ReturnType<typeof toInboxItem>>> => {
        if ('b' in item) return [toInboxReply(item.b)];
        const { broadcastId, deliveredAt } = item.a;
        const broadcast = toInboxItem(broadcasts.get(broadcastId)!, deliveredAt, (articles.get(broadcastId) ?? []).map(toInboxArticleSummary));
        return broadcast ? [broadcast] : [];
      });
      return { items, nextCursor: encodeInboxCursor({ broadcasts: merged.next[0], replies: merged.next[1] }) };
    },

    /** One message of the inbox in full, article bodies included; 404 unless the follower received it and it is not deleted. */
    async inboxMessage(wechatUserId: number, query: { appid: string; msgId: string }) {
      const { accountId, follower } = await inboxOwner(wechatUserId, query.appid);
      const followerId = follower?.followerId;
      const notFound = new AppError('BROADCAST_NOT_FOUND', `You have no message ${query.msgId} from this account`);
      if (followerId === undefined || BigInt(query.msgId) > INT8_MAX) throw notFound;
      const broadcast = await findDeliveredBroadcast(db, accountId, followerId, query.msgId);
      if (!broadcast) throw notFound;
      const articles = await listLiveArticles(db, accountId, [broadcast.id], { withContent: true });
      const item = toInboxItem(broadcast, broadcast.deliveredAt, (articles.get(broadcast.id) ?? []).map(toInboxArticle));
      if (!item) throw notFound;
      return item;
    },

    /** For engagements: an article can be read while its broadcast was sent and neither was deleted. */
    articleExists: (accountId: number, msgDataId: number, articleIndex: number) => articleIsLive(db, accountId, msgDataId, articleIndex),
  };
}
