import { decodeCursor } from '../../http/cursor.js';
import type { ReplyRow } from '../webhooks/replies.repo.js';
import type { InboxArticleRow, InboxArticleSummaryRow, InboxBroadcastRow } from './inbox.repo.js';

/** How a follower sees an article in the inbox: no HTML body (that is on the message itself). */
export function toInboxArticleSummary(article: InboxArticleSummaryRow) {
  return {
    index: article.idx,
    title: article.title,
    author: article.author,
    digest: article.digest,
    contentSourceUrl: article.contentSourceUrl,
    thumbUrl: article.thumbUrl,
  };
}

export function toInboxArticle(article: InboxArticleRow) {
  return { ...toInboxArticleSummary(article), content: article.content };
}

/**
 * A received broadcast as the follower sees it, with its live articles already shaped; undefined for a news
 * broadcast whose articles were all deleted, which has nothing left to show.
 */
export function toInboxItem<Article>(broadcast: InboxBroadcastRow, deliveredAt: Date, liveArticles: Article[]) {
  if (broadcast.messageType === 'news' && liveArticles.length === 0) return undefined;
  return {
    kind: 'broadcast' as const,
    msgId: broadcast.msgId,
    msgDataId: broadcast.msgDataId,
    preview: broadcast.isPreview,
    deliveredAt,
    type: broadcast.messageType,
    ...(broadcast.messageType === 'news' ? { articles: liveArticles } : broadcast.body),
  };
}

/** A passive reply of the account's developer server, a customer-service or a template message, as the follower sees it in the inbox. */
export function toInboxReply(reply: ReplyRow) {
  if (reply.kind === 'custom') return { kind: 'custom' as const, deliveredAt: reply.createdAt, message: reply.message };
  if (reply.kind === 'template') return { kind: 'template' as const, deliveredAt: reply.createdAt, ...reply.message };
  return { kind: 'reply' as const, inReplyToMsgId: reply.inReplyToMsgId, deliveredAt: reply.createdAt, message: reply.message };
}

/**
 * Where an inbox page continues in each of its two sources (broadcasts received, by broadcast id; passive replies
 * and customer-service messages, one table, by its id): below an id, from the newest (null), or nothing left ('end').
 */
export type InboxPosition = number | null | 'end';
export interface InboxCursor {
  broadcasts: InboxPosition;
  replies: InboxPosition;
}

const positionText = (position: InboxPosition) => (position === null ? '-' : position === 'end' ? 'e' : String(position));
const positionOf = (text: string): InboxPosition => (text === '-' ? null : text === 'e' ? 'end' : Number(text));

/** Opaque to clients, like every cursor of the API (http/cursor.ts); null once both sources are exhausted. */
export function encodeInboxCursor(cursor: InboxCursor): string | null {
  if (cursor.broadcasts === 'end' && cursor.replies === 'end') return null;
  return Buffer.from(`i1:${positionText(cursor.broadcasts)}:${positionText(cursor.replies)}`).toString('base64url');
}

export function decodeInboxCursor(cursor: string | undefined): InboxCursor {
  if (!cursor) return { broadcasts: null, replies: null };
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^i1:(\d{1,16}|-|e):(\d{1,16}|-|e)$/.exec(text);
  if (match) return { broadcasts: positionOf(match[1]!), replies: positionOf(match[2]!) };
  // A cursor issued before replies joined the inbox (a plain keyset cursor): broadcasts below its id; the replies it
  // never listed start over. decodeCursor refuses anything else.
  return { broadcasts: decodeCursor(cursor), replies: null };
}

/** One source of a page: its rows newest first, and what lies beyond them when they are all taken. */
export interface InboxSource<Row> {
  rows: Row[];
  /** The source's position before this page. */
  from: InboxPosition;
  idOf(row: Row): number;
  timeOf(row: Row): Date;
  /**
   * Past the last row: more rows ('more', so the page never takes them all), a later window that starts below an
   * id (the broadcasts' scan stopped there), or nothing ('end').
   */
  beyond: 'more' | { below: number } | 'end';
}

/**
 * Merges two sources newest first into a page of at most `limit` rows, and says where each continues. Each source is
 * consumed in its own order, so paging never repeats or skips a row. While a source waits at a window boundary
 * (its newer rows taken, its next window not read), the page stops there: the rows below the boundary may be newer
 * than what the other source would add.
 */
export function mergeInboxPage<A, B>(limit: number, a: InboxSource<A>, b: InboxSource<B>): { items: Array<{ a: A } | { b: B }>; next: [InboxPosition, InboxPosition] } {
  const items: Array<{ a: A } | { b: B }> = [];
  let i = 0;
  let j = 0;
  const waitsAtBoundary = (source: InboxSource<unknown>, taken: number) => taken === source.rows.length && typeof source.beyond === 'object';
  while (items.length < limit) {
    const nextA = a.rows[i];
    const nextB = b.rows[j];
    if (nextA === undefined && nextB === undefined) break;
    if ((nextA === undefined && waitsAtBoundary(a, i)) || (nextB === undefined && waitsAtBoundary(b, j))) break;
    if (nextB === undefined || (nextA !== undefined && a.timeOf(nextA) >= b.timeOf(nextB))) items.push({ a: a.rows[i++]! });
    else items.push({ b: b.rows[j++]! });
  }
  const positionAfter = <Row>(source: InboxSource<Row>, taken: number): InboxPosition => {
    if (taken < source.rows.length) return taken === 0 ? source.from : source.idOf(source.rows[taken - 1]!);
    if (source.beyond === 'end') return 'end';
    if (source.beyond === 'more') return source.idOf(source.rows[taken - 1]!);
    return source.beyond.below;
  };
  return { items, next: [positionAfter(a, i), positionAfter(b, j)] };
}
