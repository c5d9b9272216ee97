import { sql } from 'drizzle-orm';
import { parseTimestamp, type Database, type Executor } from '../../db/client.js';
import type { QrcodeKind } from './qrcodes.rules.js';

/** The only SQL over qrcodes. */

export interface QrcodeRow {
  id: number;
  accountId: number;
  ticket: string;
  kind: QrcodeKind;
  sceneId: number | null;
  sceneStr: string | null;
  url: string;
  createdAt: Date;
  expiresAt: Date | null;
}

/** A code to store: every column but the id, which the insert assigns. */
export type NewQrcode = Omit<QrcodeRow, 'id'>;

const columns = sql`id, account_id AS "accountId", ticket, kind, scene_id AS "sceneId", scene_str AS "sceneStr", url,
  created_at AS "createdAt", expires_at AS "expiresAt"`;

function toRow(row: Record<string, unknown>): QrcodeRow {
  const raw = row as unknown as QrcodeRow;
  return { ...raw, createdAt: parseTimestamp(raw.createdAt), expiresAt: parseTimestamp(raw.expiresAt) };
}

async function insert(db: Executor, code: NewQrcode): Promise<QrcodeRow> {
  const result = await db.execute(sql`
    INSERT INTO qrcodes (account_id, ticket, kind, scene_id, scene_str, url, created_at, expires_at)
    VALUES (${code.accountId}, ${code.ticket}, ${code.kind}, ${code.sceneId}, ${code.sceneStr}, ${code.url},
            ${code.createdAt.toISOString()}, ${code.expiresAt?.toISOString() ?? null})
    RETURNING ${columns}`);
  return toRow(result.rows[0]!);
}

export const insertTemporaryQrcode = (db: Executor, code: NewQrcode): Promise<QrcodeRow> => insert(db, code);

/**
 * A permanent code: the existing one for the same scene if there is one (created: false), else a new one unless
 * the account already has `limit` (limit_reached). Permanent creates of one account take turns on an advisory lock
 * (they are rare), so the count and the insert cannot race past the cap.
 */
export async function createPermanentQrcode(
  db: Database,
  code: NewQrcode,
  limit: number,
): Promise<{ status: 'created' | 'existing'; row: QrcodeRow } | { status: 'limit_reached' }> {
  return db.transaction(async (tx) => {
    // Two-key form: the first key says "qrcodes", so it cannot meet another module's lock on the same account.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('qrcodes.permanent'), (${code.accountId}::bigint % 2147483647)::int)`);
    const existing = await tx.execute(sql`
      SELECT ${columns} FROM qrcodes
      WHERE account_id = ${code.accountId} AND kind = 'permanent'
        AND ${code.sceneStr === null ? sql`scene_id = ${code.sceneId} AND scene_id IS NOT NULL` : sql`scene_str = ${code.sceneStr} AND scene_str IS NOT NULL`}`);
    if (existing.rows[0]) return { status: 'existing', row: toRow(existing.rows[0]) };
    // Counted through the two partial unique indexes, which hold the permanent codes only.
    const counted = await tx.execute<{ count: number }>(sql`
      SELECT (SELECT count(*) FROM qrcodes WHERE account_id = ${code.accountId} AND kind = 'permanent' AND scene_id IS NOT NULL)
           + (SELECT count(*) FROM qrcodes WHERE account_id = ${code.accountId} AND kind = 'permanent' AND scene_str IS NOT NULL) AS count`);
    if (Number(counted.rows[0]!.count) >= limit) return { status: 'limit_reached' };
    return { status: 'created', row: await insert(tx, code) };
  });
}

/** A code by its ticket, with what a scan needs of its account. */
export async function findQrcodeByTicket(db: Executor, ticket: string): Promise<(QrcodeRow & { appid: string; ownerId: number }) | undefined> {
  const result = await db.execute(sql`
    SELECT q.id, q.account_id AS "accountId", q.ticket, q.kind, q.scene_id AS "sceneId", q.scene_str AS "sceneStr", q.url,
           q.created_at AS "createdAt", q.expires_at AS "expiresAt", a.appid, a.created_by AS "ownerId"
    FROM qrcodes q JOIN accounts a ON a.id = q.account_id
    WHERE q.ticket = ${ticket}`);
  const row = result.rows[0];
  return row ? { ...toRow(row), appid: row.appid as string, ownerId: row.ownerId as number } : undefined;
}

/** An account's codes, newest first, before `beforeId` (keyset); limit + 1 rows tell whether a page follows. */
export async function listQrcodes(db: Executor, accountId: number, options: { beforeId: number; limit: number }): Promise<QrcodeRow[]> {
  const result = await db.execute(sql`
    SELECT ${columns} FROM qrcodes
    WHERE account_id = ${accountId} ${options.beforeId > 0 ? sql`AND id < ${options.beforeId}` : sql``}
    ORDER BY id DESC LIMIT ${options.limit + 1}`);
  return result.rows.map(toRow);
}
