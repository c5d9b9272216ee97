import { and, eq, inArray, isNotNull, lt, not, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { media } from '../../db/schema/media.js';

export type MediaKind = (typeof media.kind.enumValues)[number];
export type MediaRow = typeof media.$inferSelect;
export type NewMedia = Omit<typeof media.$inferInsert, 'id'>;

/** A news article as uploaded, in WeChat's field names, plus the storage key of its thumb (for its URL). */
export interface NewsArticle {
  thumb_media_id: string;
  thumb_key: string;
  title: string;
  author: string;
  digest: string;
  content: string;
  content_source_url: string;
  show_cover_pic: number;
  need_open_comment: number;
  only_fans_can_comment: number;
}

export async function insertMedia(db: Executor, row: NewMedia): Promise<MediaRow> {
  const [inserted] = await db.insert(media).values(row).returning();
  return inserted!;
}

export async function findMediaByMediaId(db: Executor, accountId: number, mediaId: string): Promise<MediaRow | undefined> {
  const [row] = await db
    .select()
    .from(media)
    .where(and(eq(media.accountId, accountId), eq(media.mediaId, mediaId)))
    .limit(1);
  return row;
}

/** The public file route knows only the (unguessable) storage key, not the account. */
export async function findMediaByStorageKey(db: Executor, storageKey: string): Promise<MediaRow | undefined> {
  const [row] = await db.select().from(media).where(eq(media.storageKey, storageKey)).limit(1);
  return row;
}

/** Keeps the files of these media past their expiry: a sent message shows them. */
export async function pinMedia(db: Executor, accountId: number, storageKeys: string[]): Promise<void> {
  if (storageKeys.length === 0) return;
  await db
    .update(media)
    .set({ pinned: true })
    .where(and(eq(media.accountId, accountId), inArray(media.storageKey, storageKeys)));
}

/** Makes these media live at least until `until` (thumbs of a news upload live as long as the news). */
export async function extendExpiry(db: Executor, accountId: number, storageKeys: string[], until: Date): Promise<void> {
  if (storageKeys.length === 0) return;
  await db
    .update(media)
    .set({ expiresAt: sql`greatest(${media.expiresAt}, ${until.toISOString()}::timestamptz)` })
    .where(and(eq(media.accountId, accountId), inArray(media.storageKey, storageKeys), isNotNull(media.expiresAt)));
}

/**
 * Deletes up to `limit` expired, unpinned media (of one account, or of all) and returns the storage keys of their
 * files, for the caller to remove. SKIP LOCKED: concurrent sweeps share the work instead of waiting on each other.
 */
export async function deleteExpiredMedia(db: Executor, now: Date, options: { accountId?: number; limit: number }): Promise<string[]> {
  const expired = db
    .select({ id: media.id })
    .from(media)
    .where(
      and(
        isNotNull(media.expiresAt),
        lt(media.expiresAt, now),
        not(media.pinned),
        options.accountId === undefined ? undefined : eq(media.accountId, options.accountId),
      ),
    )
    .limit(options.limit)
    .for('update', { skipLocked: true });
  const deleted = await db.delete(media).where(inArray(media.id, expired)).returning({ storageKey: media.storageKey });
  return deleted.flatMap((row) => (row.storageKey === null ? [] : [row.storageKey]));
}
