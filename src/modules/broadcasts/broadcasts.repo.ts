import { sql } from 'drizzle-orm';
import { parseTimestamp, type Executor } from '../../db/client.js';

export type BroadcastStatus = 'queued' | 'SENDING' | 'SEND_SUCCESS' | 'SEND_FAIL';
export type BroadcastTarget = 'all' | 'tag' | 'openids';
export type BroadcastMessageType = 'news' | 'text' | 'image';

export interface BroadcastRow {
  id: number;
  accountId: number;
  /** 64-bit, so read as text. */
  msgId: string;
  msgDataId: number | null;
  isPreview: boolean;
  clientMsgId: string | null;
  messageType: BroadcastMessageType;
  body: Record<string, unknown>;
  target: BroadcastTarget;
  targetTagId: number | null;
  status: BroadcastStatus;
  failReason: string | null;
  totalCount: number;
  filteredCount: number;
  sentCount: number;
  errorCount: number;
  batchesTotal: number | null;
  batchesDone: number;
  quotaLedgerId: number | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Planning attempts that failed; see broadcastBatches.attempts for the batch equivalent. */
  planAttempts: number;
  deletedAt: Date | null;
}

const broadcastColumns = sql`
  id, account_id AS "accountId", msg_id::text AS "msgId", msg_data_id AS "msgDataId", is_preview AS "isPreview",
  client_msg_id AS "clientMsgId", message_type AS "messageType", body, target, target_tag_id AS "targetTagId", status,
  fail_reason AS "failReason", total_count AS "totalCount", filtered_count AS "filteredCount", sent_count AS "sentCount",
  error_count AS "errorCount", batches_total AS "batchesTotal", batches_done AS "batchesDone",
  quota_ledger_id AS "quotaLedgerId", created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt",
  plan_attempts AS "planAttempts", deleted_at AS "deletedAt"`;

type RawBroadcastRow = Omit<BroadcastRow, 'createdAt' | 'startedAt' | 'finishedAt' | 'deletedAt'> & {
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  deletedAt: string | null;
};

function toBroadcastRow(raw: unknown): BroadcastRow {
  const row = raw as RawBroadcastRow;
  return {
    ...row,
    createdAt: parseTimestamp(row.createdAt),
    startedAt: parseTimestamp(row.startedAt),
    finishedAt: parseTimestamp(row.finishedAt),
    deletedAt: parseTimestamp(row.deletedAt),
  };
}

function firstBroadcast(rows: unknown[]): BroadcastRow | undefined {
  return rows[0] === undefined ? undefined : toBroadcastRow(rows[0]);
}

export interface ArticleInput {
  title: string;
  author: string;
  digest: string;
  content: string;
  contentSourceUrl: string;
  thumbUrl: string;
  showCoverPic: boolean;
  needOpenComment: boolean;
}

export interface ArticleRow extends ArticleInput {
  idx: number;
  deletedAt: Date | null;
}

/** An article as lists show it: everything but the HTML body. */
export type ArticleSummaryRow = Omit<ArticleRow, 'content'>;

export async function findRecentByClientMsgId(db: Executor, accountId: number, clientMsgId: string, since: Date): Promise<BroadcastRow | undefined> {
  const result = await db.execute(sql`
    SELECT ${broadcastColumns} FROM broadcasts
    WHERE account_id = ${accountId} AND client_msg_id = ${clientMsgId} AND created_at >= ${since.toISOString()} AND NOT is_preview
    ORDER BY id LIMIT 1`);
  return firstBroadcast(result.rows);
}

export type NewBroadcast = Pick<
  BroadcastRow,
  'accountId' | 'isPreview' | 'clientMsgId' | 'messageType' | 'body' | 'target' | 'targetTagId' | 'quotaLedgerId' | 'createdAt'
> & { createdBy: number | null };

export async function insertBroadcast(
  db: Executor,
  input: NewBroadcast,
): Promise<BroadcastRow> {
  const result = await db.execute(sql`
    INSERT INTO broadcasts (account_id, is_preview, client_msg_id, message_type, body, target, target_tag_id, quota_ledger_id,
                            created_by, created_at, msg_data_id)
    VALUES (${input.accountId}, ${input.isPreview}, ${input.clientMsgId}, ${input.messageType}, ${JSON.stringify(input.body)}::jsonb,
            ${input.target}, ${input.targetTagId}, ${input.quotaLedgerId}, ${input.createdBy}, ${input.createdAt.toISOString()},
            CASE WHEN ${input.messageType} = 'news' THEN nextval('broadcast_msg_data_id_seq') END)
    RETURNING ${broadcastColumns}`);
  return toBroadcastRow(result.rows[0]);
}

export async function insertArticles(db: Executor, broadcast: { id: number; accountId: number; msgDataId: number }, articles: ArticleInput[]): Promise<void> {
  if (articles.length === 0) return;
  const rows = articles.map(
    (a, i) =>
      sql`(${broadcast.id}, ${i + 1}, ${broadcast.accountId}, ${broadcast.msgDataId}, ${a.title}, ${a.author}, ${a.digest}, ${a.content},
           ${a.contentSourceUrl}, ${a.thumbUrl}, ${a.showCoverPic}, ${a.needOpenComment})`,
  );
  await db.execute(sql`
    INSERT INTO broadcast_articles (broadcast_id, idx, account_id, msg_data_id, title, author, digest, content,
                                    content_source_url, thumb_url, show_cover_pic, need_open_comment)
    VALUES ${sql.join(rows, sql`, `)}`);
}

export async function insertTargetOpenids(db: Executor, broadcast: { id: number; accountId: number }, openids: string[]): Promise<void> {
  await db.execute(sql`
    INSERT INTO broadcast_openids (broadcast_id, openid)
    SELECT b.id, o.openid FROM broadcasts b, unnest(${sql.param(openids)}::text[]) AS o(openid)
    WHERE b.id = ${broadcast.id} AND b.account_id = ${broadcast.accountId}
    ON CONFLICT DO NOTHING`);
}

/** The account's broadcast with this msg_id (WeChat's handle for it), if any. */
export async function findBroadcastIdByMsgId(db: Executor, accountId: number, msgId: string): Promise<number | undefined> {
  const result = await db.execute<{ id: number }>(sql`SELECT id FROM broadcasts WHERE account_id = ${accountId} AND msg_id = ${msgId}::bigint`);
  return result.rows[0]?.id;
}

/** FOR UPDATE when the caller is about to change the broadcast and must see one change at a time. */
export async function findBroadcast(db: Executor, accountId: number, broadcastId: number, options: { forUpdate?: boolean } = {}): Promise<BroadcastRow | undefined> {
  const result = await db.execute(sql`
    SELECT ${broadcastColumns} FROM broadcasts WHERE id = ${broadcastId} AND account_id = ${accountId} ${options.forUpdate ? sql`FOR UPDATE` : sql``}`);
  return firstBroadcast(result.rows);
}

export async function listBroadcasts(db: Executor, accountId: number, options: { beforeId: number | null; limit: number; includePreviews: boolean }): Promise<BroadcastRow[]> {
  const result = await db.execute(sql`
    SELECT ${broadcastColumns} FROM broadcasts
    WHERE account_id = ${accountId} ${options.beforeId ? sql`AND id < ${options.beforeId}` : sql``}
      ${options.includePreviews ? sql`` : sql`AND NOT is_preview`}
    ORDER BY id DESC LIMIT ${options.limit}`);
  return result.rows.map(toBroadcastRow);
}

/** Articles of the account's broadcasts; lists ask for summaries, so the HTML bodies are not even read. */
export async function listArticles(
  db: Executor,
  accountId: number,
  broadcastIds: number[],
  options: { withContent: boolean },
): Promise<Map<number, Array<ArticleRow | ArticleSummaryRow>>> {
  const byBroadcast = new Map<number, Array<ArticleRow | ArticleSummaryRow>>();
  if (broadcastIds.length === 0) return byBroadcast;
  const result = await db.execute(sql`
    SELECT broadcast_id AS "broadcastId", idx, title, author, digest, ${options.withContent ? sql`content,` : sql``}
           content_source_url AS "contentSourceUrl", thumb_url AS "thumbUrl", show_cover_pic AS "showCoverPic",
           need_open_comment AS "needOpenComment", deleted_at AS "deletedAt"
    FROM broadcast_articles
    WHERE account_id = ${accountId} AND broadcast_id = ANY(${sql.param(broadcastIds)}::bigint[]) ORDER BY broadcast_id, idx`);
  for (const { broadcastId, ...article } of result.rows as unknown as Array<ArticleSummaryRow & { broadcastId: number }>) {
    const list = byBroadcast.get(broadcastId) ?? [];
    list.push({ ...article, deletedAt: parseTimestamp(article.deletedAt) });
    byBroadcast.set(broadcastId, list);
  }
  return byBroadcast;
}

export async function markDeleted(db: Executor, accountId: number, broadcastId: number, at: Date): Promise<void> {
  await db.execute(sql`UPDATE broadcasts SET deleted_at = ${at.toISOString()} WHERE id = ${broadcastId} AND account_id = ${accountId} AND deleted_at IS NULL`);
  await db.execute(sql`
    UPDATE broadcast_articles SET deleted_at = ${at.toISOString()}
    WHERE broadcast_id = ${broadcastId} AND account_id = ${accountId} AND deleted_at IS NULL`);
}

export async function markArticleDeleted(db: Executor, accountId: number, broadcastId: number, idx: number, at: Date): Promise<boolean> {
  const result = await db.execute(sql`
    UPDATE broadcast_articles SET deleted_at = coalesce(deleted_at, ${at.toISOString()})
    WHERE broadcast_id = ${broadcastId} AND account_id = ${accountId} AND idx = ${idx}`);
  return (result.rowCount ?? 0) > 0;
}

export async function articleIsLive(db: Executor, accountId: number, msgDataId: number, idx: number): Promise<boolean> {
  const result = await db.execute(sql`
    SELECT 1 FROM broadcast_articles a JOIN broadcasts b ON b.id = a.broadcast_id
    WHERE a.msg_data_id = ${msgDataId} AND a.idx = ${idx} AND a.account_id = ${accountId}
      AND a.deleted_at IS NULL AND b.deleted_at IS NULL AND b.status = 'SEND_SUCCESS'`);
  return (result.rowCount ?? 0) > 0;
}

/** Preview recipients the account has used since `since` (previews are limited per Shanghai day). */
export async function countPreviewRecipientsSince(db: Executor, accountId: number, since: Date): Promise<number> {
  const result = await db.execute<{ n: number }>(sql`
    SELECT coalesce(sum(sent_count + error_count), 0)::int AS n FROM broadcasts
    WHERE account_id = ${accountId} AND is_preview AND created_at >= ${since.toISOString()}`);
  return result.rows[0]!.n;
}

// ---- preview ------------------------------------------------------------------------------------------------

/** Of the given followers, those who may receive a broadcast now: subscribed and not blacklisted. */
export async function eligibleFollowerIds(db: Executor, accountId: number, followerIds: number[]): Promise<number[]> {
  if (followerIds.length === 0) return [];
  const result = await db.execute<{ id: number }>(sql`
    SELECT id FROM followers
    WHERE account_id = ${accountId} AND id = ANY(${sql.param(followerIds)}::bigint[]) AND subscribed AND NOT blacklisted`);
  return result.rows.map((row) => row.id);
}

export async function insertPreviewDeliveries(db: Executor, broadcast: { id: number; accountId: number }, followerIds: number[], at: Date): Promise<number> {
  const result = await db.execute(sql`
    INSERT INTO deliveries (follower_id, broadcast_id, delivered_at)
    SELECT f.id, b.id, ${at.toISOString()} FROM broadcasts b, unnest(${sql.param(followerIds)}::bigint[]) AS f(id)
    WHERE b.id = ${broadcast.id} AND b.account_id = ${broadcast.accountId}
    ON CONFLICT DO NOTHING`);
  return result.rowCount ?? 0;
}

/** A preview is delivered at once, so it is recorded finished; WeChat announces no MASSSENDJOBFINISH for previews. */
export async function setPreviewOutcome(
  db: Executor,
  accountId: number,
  broadcastId: number,
  counts: { total: number; sent: number; filtered: number; errors: number },
  at: Date,
): Promise<void> {
  await db.execute(sql`
    UPDATE broadcasts SET status = 'SEND_SUCCESS', total_count = ${counts.total}, sent_count = ${counts.sent},
                          filtered_count = ${counts.filtered}, error_count = ${counts.errors},
                          batches_total = 0, started_at = ${at.toISOString()}, finished_at = ${at.toISOString()}
    WHERE id = ${broadcastId} AND account_id = ${accountId}`);
}

