import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';

/**
 * What a media row holds: a temporary file uploaded with `/cgi-bin/media/upload` (image, voice, video, thumb), the
 * articles of `/cgi-bin/media/uploadnews` (news: no file), or an image for use inside article HTML
 * (`/cgi-bin/media/uploadimg`, article_image: permanent, reachable only by its URL, never by media_id).
 */
export const mediaKind = pgEnum('media_kind', ['image', 'voice', 'video', 'thumb', 'news', 'article_image']);

export const media = pgTable(
  'media',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    kind: mediaKind('kind').notNull(),
    /** WeChat's opaque media_id (64 url-safe characters). */
    mediaId: text('media_id').notNull(),
    /** Detected from the file's first bytes, never taken from the client. Null for news. */
    contentType: text('content_type'),
    size: integer('size').notNull().default(0),
    /** The file's name in the media store (`<32 hex>.<ext>`, also its public name for images). Null for news. */
    storageKey: text('storage_key'),
    /** News only: the articles as uploaded (WeChat's field names), each with the storage key of its thumb. */
    articles: jsonb('articles'),
    /** A sent message shows this image: its file outlives expires_at (media/get still refuses it after then). */
    pinned: boolean('pinned').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** Temporary media expire 3 days after upload; null for permanent ones (article images). */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('media_media_id_key').on(t.mediaId),
    uniqueIndex('media_storage_key_key').on(t.storageKey),
    index('media_account_idx').on(t.accountId, t.id),
    index('media_expiry_idx').on(t.expiresAt).where(sql`${t.expiresAt} IS NOT NULL AND NOT ${t.pinned}`),
    check('media_file_or_articles', sql`(${t.kind} = 'news') = (${t.articles} IS NOT NULL AND ${t.storageKey} IS NULL)`),
  ],
);
