import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { findAccountByAppid } from '../accounts/accounts.repo.js';
import type { TypingState } from '../messages/typing.js';
import { listConversations, markConversationRead, type ConversationRow, type LastMessageRow } from './chats.repo.js';

/**
 * The follower's chat list (issue 11, ../shared/wechat-protocol.md §8.1): service accounts' conversations are
 * entries of their own; subscription accounts' are folded into one "订阅号" (Subscriptions) entry, which opens as a
 * list of its own. Where a conversation sits follows the account's type when read, so an account that becomes a
 * service account leaves the folder. Unread counts are what arrived after the user's read marker, which only
 * POST /client/v1/chats/:appid/read moves: reading the inbox is a GET and changes nothing.
 */

/** Per conversation, the account's newest broadcasts looked at, and its newest other messages (see chats.repo.ts). */
export const CHAT_SCAN_LIMIT = 100;
/** The folded entry's place in the list's order, and in a cursor. */
const SUBSCRIPTIONS_KEY = 'subscriptions';
const SUMMARY_CHARS = 60;

export type ChatsService = ReturnType<typeof createChatsService>;

/** One line for the chat list, as WeChat's list shows a message: its text, an article's title, or its kind. */
export function summaryOf(last: LastMessageRow): { kind: string; type: string; summary: string } {
  const clip = (text: string) => {
    const chars = [...text.replace(/\s+/g, ' ').trim()];
    return chars.length > SUMMARY_CHARS ? `${chars.slice(0, SUMMARY_CHARS - 1).join('')}…` : chars.join('');
  };
  if (last.kind === 'broadcast') {
    const summary = last.type === 'news' ? (last.title ?? '') : last.type === 'text' ? (last.content ?? '') : '[Image]';
    return { kind: 'broadcast', type: last.type, summary: clip(summary) };
  }
  const message = last.message;
  // A template message (kind 'template') has a title and no type.
  const type = typeof message.type === 'string' ? message.type : last.kind;
  const text = (field: string) => (typeof message[field] === 'string' ? (message[field] as string) : '');
  const firstArticleTitle = () => {
    const articles = message.articles;
    const first: unknown = Array.isArray(articles) ? articles[0] : undefined;
    return first !== null && typeof first === 'object' && typeof (first as { title?: unknown }).title === 'string' ? (first as { title: string }).title : '';
  };
  let summary: string;
  switch (type) {
    case 'text':
      summary = text('content');
      break;
    case 'news':
      summary = firstArticleTitle();
      break;
    case 'msgmenu':
      summary = text('headContent') || text('tailContent');
      break;
    case 'image':
      summary = '[Image]';
      break;
    case 'voice':
      summary = '[Voice]';
      break;
    case 'video':
      summary = `[Video] ${text('title')}`;
      break;
    case 'music':
      summary = `[Music] ${text('title')}`;
      break;
    default:
      summary = text('title') || `[${type}]`;
  }
  return { kind: last.kind, type, summary: clip(summary) };
}

type Entry = { key: string; at: Date };

/** Opaque like every cursor of the API: where the previous page ended in the order (newest first, then key). */
function encodeChatCursor(entry: Entry): string {
  return Buffer.from(`c1:${entry.at.getTime()}:${entry.key}`).toString('base64url');
}

function decodeChatCursor(cursor: string): Entry {
  const match = /^c1:(\d{1,16}):([A-Za-z0-9_]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const at = match ? new Date(Number(match[1])) : undefined;
  // Sixteen digits go past the last valid Date (8.64e15 ms): NaN would make the page order, and so the page, nonsense.
  if (!match || !at || Number.isNaN(at.getTime())) throw new AppError('VALIDATION_FAILED', 'querystring/cursor is not a cursor this API issued');
  return { at, key: match[2]! };
}

const newestFirst = (a: Entry, b: Entry) => b.at.getTime() - a.at.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function pageOf<T>(entries: Array<{ entry: Entry; item: T }>, query: { cursor?: string; limit: number }) {
  const sorted = [...entries].sort((a, b) => newestFirst(a.entry, b.entry));
  const after = query.cursor === undefined ? undefined : decodeChatCursor(query.cursor);
  const rest = after === undefined ? sorted : sorted.filter(({ entry }) => newestFirst(after, entry) < 0);
  const taken = rest.slice(0, query.limit);
  const last = taken.at(-1);
  return { items: taken.map(({ item }) => item), nextCursor: rest.length > query.limit && last ? encodeChatCursor(last.entry) : null };
}

type AccountEntry = ReturnType<typeof accountEntry>;
type LastMessage = NonNullable<AccountEntry['lastMessage']>;
type ListedEntry = AccountEntry & { lastMessage: LastMessage };

function accountEntry(row: ConversationRow, typingEndsAt: Date | null) {
  return {
    kind: 'account' as const,
    appid: row.appid,
    name: row.name,
    type: row.type,
    following: row.following,
    lastMessage: row.lastAt && row.lastMessage ? { ...summaryOf(row.lastMessage), at: row.lastAt } : null,
    unread: row.unread,
    readAt: row.readAt,
    typing: typingEndsAt !== null,
  };
}

const placeOf = (entry: ListedEntry): Entry => ({ key: entry.appid, at: entry.lastMessage.at });

/** The Subscriptions folder as one entry: its newest message (naming its account), the unread of all, how many it holds. */
function foldedEntry(subscriptions: ListedEntry[]) {
  const [newest] = [...subscriptions].sort((a, b) => newestFirst(placeOf(a), placeOf(b)));
  if (!newest) return undefined;
  return {
    kind: 'subscriptions' as const,
    lastMessage: { appid: newest.appid, accountName: newest.name, ...newest.lastMessage },
    unread: subscriptions.reduce((sum, entry) => sum + entry.unread, 0),
    accounts: subscriptions.length,
  };
}

export function createChatsService(deps: { db: Database; clock: Clock; typing: Pick<TypingState, 'endsOf'> }) {
  const { db, clock, typing } = deps;

  /** The user's conversations (or the one with `appid`) as chat entries, with whether each account is typing. */
  async function entries(wechatUserId: number, appid?: string): Promise<AccountEntry[]> {
    const rows = await listConversations(db, wechatUserId, { scanLimit: CHAT_SCAN_LIMIT, ...(appid === undefined ? {} : { appid }) });
    const typingEnds = await typing.endsOf(rows.map((row) => ({ accountId: row.accountId, openid: row.openid })));
    return rows.map((row, i) => accountEntry(row, typingEnds[i] ?? null));
  }

  /** Conversations the account never wrote in are not listed. */
  const listed = async (wechatUserId: number, type: ConversationRow['type']) =>
    (await entries(wechatUserId)).filter((entry): entry is ListedEntry => entry.lastMessage !== null && entry.type === type);

  async function notFollowed(appid: string) {
    if (!(await findAccountByAppid(db, appid))) return new AppError('ACCOUNT_NOT_FOUND', `No official account has appid ${appid}`);
    return new AppError('FOLLOWER_NOT_FOUND', `You have never followed ${appid}, so there is no conversation with it`);
  }

  return {
    /** The chat list: each service account's conversation, and one entry folding all subscription accounts'. */
    async list(wechatUserId: number, query: { cursor?: string; limit: number }) {
      const all = await entries(wechatUserId);
      const withMessages = all.filter((entry): entry is ListedEntry => entry.lastMessage !== null);
      const page: Array<{ entry: Entry; item: ListedEntry | NonNullable<ReturnType<typeof foldedEntry>> }> = withMessages
        .filter((entry) => entry.type === 'service')
        .map((entry) => ({ entry: placeOf(entry), item: entry }));
      const folded = foldedEntry(withMessages.filter((entry) => entry.type === 'subscription'));
      if (folded) page.push({ entry: { key: SUBSCRIPTIONS_KEY, at: folded.lastMessage.at }, item: folded });
      return pageOf(page, query);
    },

    /** The conversations inside the Subscriptions folder. */
    async listSubscriptions(wechatUserId: number, query: { cursor?: string; limit: number }) {
      const subscriptions = await listed(wechatUserId, 'subscription');
      return pageOf(subscriptions.map((entry) => ({ entry: placeOf(entry), item: entry })), query);
    },

    /** One conversation, with or without messages; 404 unless the user follows or once followed the account. */
    async get(wechatUserId: number, appid: string) {
      const [entry] = await entries(wechatUserId, appid);
      if (!entry) throw await notFollowed(appid);
      return entry;
    },

    /** Marks the conversation read up to now; what arrives later is unread. */
    async markRead(wechatUserId: number, appid: string) {
      const readAt = await markConversationRead(db, wechatUserId, appid, clock.now());
      if (!readAt) throw await notFollowed(appid);
      return { appid, readAt, unread: 0 };
    },
  };
}
