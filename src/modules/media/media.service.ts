import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { publicOrigin } from '../../http/public-origin.js';
import type { Database } from '../../db/client.js';
import { FORMAT_INFO, type MediaFormat } from './media.formats.js';
import {
  deleteExpiredMedia,
  extendExpiry,
  findMediaByMediaId,
  findMediaByStorageKey,
  insertMedia,
  pinMedia,
  type MediaKind,
  type MediaRow,
  type NewsArticle,
} from './media.repo.js';
import { newStorageKey, type MediaStore } from './media.store.js';

/** WeChat deletes temporary media 3 days after upload (新增临时素材: "3天后自动删除"). */
export const TEMPORARY_MEDIA_TTL_MS = 3 * 24 * 3600_000;
/** Expired media removed by the sweep an upload runs for its account: bounded, so an upload stays cheap. */
const UPLOAD_SWEEP_LIMIT = 20;
/** Kinds whose files anyone may fetch by URL (what WeChat serves from its image CDN). */
const PUBLIC_KINDS: ReadonlySet<MediaKind> = new Set(['image', 'thumb', 'article_image']);

export type FileKind = Exclude<MediaKind, 'news'>;
export type MediaService = ReturnType<typeof createMediaService>;

/** WeChat's opaque media_id: 64 url-safe characters. */
const newMediaId = () => randomBytes(48).toString('base64url');

/** The public path of a media file, served by mediaFilesRoutes. */
export const mediaPath = (storageKey: string) => `/media/${storageKey}`;

/** The public URL of a media file (see publicOrigin). */
export function mediaUrl(request: { protocol: string; host: string }, publicUrl: string | undefined, storageKey: string): string {
  return `${publicOrigin(request, publicUrl)}${mediaPath(storageKey)}`;
}

export function createMediaService(deps: { db: Database; clock: Clock; store: MediaStore; log: { warn(obj: object, msg: string): void } }) {
  const { db, store } = deps;
  const isLive = (row: MediaRow) => row.expiresAt === null || row.expiresAt.getTime() > deps.clock.now().getTime();

  async function removeFiles(keys: string[]) {
    for (const key of keys) {
      await store.delete(key).catch((error: unknown) => deps.log.warn({ err: error, key }, 'could not delete an expired media file'));
    }
  }

  /** Deletes expired, unpinned media rows and then their files (a file left behind is harmless; a row without its file is not). */
  async function sweep(options: { accountId?: number; limit: number }): Promise<number> {
    const keys = await deleteExpiredMedia(db, deps.clock.now(), options);
    await removeFiles(keys);
    return keys.length;
  }

  /** The account's own expired media, a few at a time, on its way: a failure is logged, never the request's. */
  async function sweepAccount(accountId: number): Promise<void> {
    await sweep({ accountId, limit: UPLOAD_SWEEP_LIMIT }).catch((error: unknown) => deps.log.warn({ err: error }, 'media sweep failed'));
  }

  return {
    /** Stores a file whose format the caller has checked; temporary kinds expire after 3 days, article images never. */
    async save(accountId: number, kind: FileKind, file: { bytes: Buffer; format: MediaFormat }): Promise<MediaRow> {
      await sweepAccount(accountId);
      const { contentType, ext } = FORMAT_INFO[file.format];
      const storageKey = newStorageKey(ext);
      const now = deps.clock.now();
      await store.put(storageKey, file.bytes);
      try {
        return await insertMedia(db, {
          accountId,
          kind,
          mediaId: newMediaId(),
          contentType,
          size: file.bytes.length,
          storageKey,
          createdAt: now,
          expiresAt: kind === 'article_image' ? null : new Date(now.getTime() + TEMPORARY_MEDIA_TTL_MS),
        });
      } catch (error) {
        await removeFiles([storageKey]);
        throw error;
      }
    },

    /** Records news articles (their thumbs already resolved); the thumbs then live at least as long as the news. */
    async createNews(accountId: number, articles: NewsArticle[]): Promise<MediaRow> {
      const now = deps.clock.now();
      const expiresAt = new Date(now.getTime() + TEMPORARY_MEDIA_TTL_MS);
      return db.transaction(async (tx) => {
        const row = await insertMedia(tx, { accountId, kind: 'news', mediaId: newMediaId(), articles, createdAt: now, expiresAt });
        await extendExpiry(tx, accountId, [...new Set(articles.map((a) => a.thumb_key))], expiresAt);
        return row;
      });
    },

    /**
     * The account's media with this media_id if it is one of `kinds` and has not expired. An expired one is deleted
     * on the spot (unless a sent message shows it), so nothing waits for the sweep.
     */
    async findLive(accountId: number, mediaId: string, kinds: readonly MediaKind[]): Promise<MediaRow | undefined> {
      const row = await findMediaByMediaId(db, accountId, mediaId);
      if (!row || !kinds.includes(row.kind)) return undefined;
      if (isLive(row)) return row;
      if (!row.pinned) await sweepAccount(accountId);
      return undefined;
    },

    /** The bytes of a file media row, or undefined if the file is gone. */
    open: (row: MediaRow) => (row.storageKey === null ? Promise.resolve(undefined) : store.get(row.storageKey)),

    /** A publicly served image by its storage key: live, or kept because a sent message shows it. */
    async openPublic(storageKey: string) {
      const row = await findMediaByStorageKey(db, storageKey);
      if (!row || !PUBLIC_KINDS.has(row.kind) || !(isLive(row) || row.pinned)) return undefined;
      const file = await store.get(storageKey);
      return file && { row, file };
    },

    /** Keeps these files past their expiry: a message that shows them was sent. */
    pin: (accountId: number, storageKeys: string[]) => pinMedia(db, accountId, storageKeys),

    /** Removes expired media of all accounts, `limit` at a time; for a periodic job. Returns how many went. */
    sweepExpired: (limit = 500) => sweep({ limit }),
  };
}
