import { AppError } from '../errors.js';

/**
 * Opaque keyset cursors. They carry the last id of the previous page; clients must not build them, so the
 * encoding can change without breaking anyone.
 */
export function encodeCursor(lastId: number): string {
  return Buffer.from(`k1:${lastId}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const match = /^k1:(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new AppError('VALIDATION_FAILED', 'querystring/cursor is not a cursor this API issued');
  return Number(match[1]);
}

/** Builds {items, nextCursor} from a page fetched with limit + 1 rows. */
export function page<T>(rows: T[], limit: number, idOf: (row: T) => number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(idOf(last)) : null };
}
