import { sql, type SQL } from 'drizzle-orm';
import { parseTimestamp, type Executor } from '../../db/client.js';

export type BroadcastStatus = 'queued' | 'SENDING' | 'SEND_SUCCESS' | 'SEND_FAIL';
export type BroadcastTarget = 'all' | 'tag' | 'openids';
export type BroadcastMessageType = 'news' | 'text' | 'image';

export interface BroadcastRow {
  id: number;
  accountId: number;
  msgId: number;
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
  finishEventQueuedAt: Date | null;
  deletedAt: Date | null;
}

const broadcastColumns = sql`
  id, account_id AS "accountId", msg_id AS "msgId", msg_data_id AS "msgDataId", is_preview AS "isPreview",
  client_msg_id AS "clientMsgId", message_type AS "messageType", body, target, target_tag_id AS "targetTagId", status,
  fail_reason AS "failReason", total_count AS "totalCount", filtered_count AS "filteredCount", sent_count AS "sentCount",
  error_count AS "errorCount", batches_total AS "batchesTotal", batches_done AS "batchesDone",
  quota_ledger_id AS "quotaLedgerId", created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt",
  finish_event_queued_at AS "finishEventQueuedAt", deleted_at AS "deletedAt"`;

type RawBroadcastRow = Omit<BroadcastRow, 'createdAt' | 'startedAt' | 'finishedAt' | 'finishEventQueuedAt' | 'deletedAt'> & {
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  finishEventQueuedAt: string | null;
  deletedAt: string | null;
};

function toBroadcastRow(raw: unknown): BroadcastRow {
  const row = raw as RawBroadcastRow;
  return {
    ...row,
    createdAt: parseTimestamp(row.createdAt),
    startedAt: parseTimestamp(row.startedAt),
    finishedAt: parseTimestamp(row.finishedAt),
    finishEventQueuedAt: parseTimestamp(row.finishEventQueuedAt),
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
> & { createdBy: number };

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

export async function insertTargetOpenids(db: Executor, broadcastId: number, openids: string[]): Promise<void> {
  await db.execute(sql`
    INSERT INTO broadcast_openids (broadcast_id, openid)
    SELECT ${broadcastId}, unnest(${sql.param(openids)}::text[]) ON CONFLICT DO NOTHING`);
}

export async function findBroadcast(db: Executor, accountId: number, broadcastId: number): Promise<BroadcastRow | undefined> {
  const result = await db.execute(sql`SELECT ${broadcastColumns} FROM broadcasts WHERE id = ${broadcastId} AND account_id = ${accountId}`);
  return firstBroadcast(result.rows);
}

/** For the worker, which knows only the broadcast id; FOR UPDATE when the caller is about to change it. */
export async function findBroadcastById(db: Executor, broadcastId: number, options: { forUpdate?: boolean } = {}): Promise<BroadcastRow | undefined> {
  const result = await db.execute(sql`SELECT ${broadcastColumns} FROM broadcasts WHERE id = ${broadcastId} ${options.forUpdate ? sql`FOR UPDATE` : sql``}`);
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

export async function listArticles(db: Executor, broadcastIds: number[]): Promise<Map<number, ArticleRow[]>> {
  const byBroadcast = new Map<number, ArticleRow[]>();
  if (broadcastIds.length === 0) return byBroadcast;
  const result = await db.execute(sql`
    SELECT broadcast_id AS "broadcastId", idx, title, author, digest, content, content_source_url AS "contentSourceUrl",
           thumb_url AS "thumbUrl", show_cover_pic AS "showCoverPic", need_open_comment AS "needOpenComment", deleted_at AS "deletedAt"
    FROM broadcast_articles WHERE broadcast_id = ANY(${sql.param(broadcastIds)}::bigint[]) ORDER BY broadcast_id, idx`);
  for (const { broadcastId, ...article } of result.rows as unknown as Array<ArticleRow & { broadcastId: number }>) {
    const list = byBroadcast.get(broadcastId) ?? [];
    list.push({ ...article, deletedAt: parseTimestamp(article.deletedAt) });
    byBroadcast.set(broadcastId, list);
  }
  return byBroadcast;
}

export async function markDeleted(db: Executor, broadcastId: number, at: Date): Promise<void> {
  await db.execute(sql`UPDATE broadcasts SET deleted_at = ${at.toISOString()} WHERE id = ${broadcastId} AND deleted_at IS NULL`);
  await db.execute(sql`UPDATE broadcast_articles SET deleted_at = ${at.toISOString()} WHERE broadcast_id = ${broadcastId} AND deleted_at IS NULL`);
}

export async function markArticleDeleted(db: Executor, broadcastId: number, idx: number, at: Date): Promise<boolean> {
  const result = await db.execute(sql`
    UPDATE broadcast_articles SET deleted_at = coalesce(deleted_at, ${at.toISOString()}) WHERE broadcast_id = ${broadcastId} AND idx = ${idx}`);
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

// ---- fan-out ------------------------------------------------------------------------------------------------

/** Rows of the target that a batch considers, as a filter on `followers f`. */
function targetFilter(broadcast: Pick<BroadcastRow, 'id' | 'target' | 'targetTagId'>): SQL {
  switch (broadcast.target) {
    case 'all':
      // The audience of "all" is the current followers; unfollowers are not part of it.
      return sql`AND f.subscribed`;
    case 'tag':
      return sql`AND EXISTS (SELECT 1 FROM follower_tags t WHERE t.follower_id = f.id AND t.tag_id = ${broadcast.targetTagId})`;
    case 'openids':
      return sql`AND f.openid IN (SELECT openid FROM broadcast_openids WHERE broadcast_id = ${broadcast.id})`;
  }
}

/**
 * Splits the target into keyset ranges (lo, hi] of about batchSize follower ids each. Only the upper bounds are
 * computed; new followers get ids above the last bound and are not part of this broadcast.
 */
export async function planRanges(db: Executor, broadcast: BroadcastRow, batchSize: number): Promise<Array<{ lo: number; hi: number }>> {
  const result = await db.execute<{ hi: number }>(sql`
    SELECT max(id) AS hi FROM (
      SELECT f.id, (row_number() OVER (ORDER BY f.id) - 1) / ${batchSize}::int AS bucket
      FROM followers f WHERE f.account_id = ${broadcast.accountId} ${targetFilter(broadcast)}
    ) s GROUP BY bucket ORDER BY bucket`);
  let lo = 0;
  return result.rows.map(({ hi }) => {
    const range = { lo, hi };
    lo = hi;
    return range;
  });
}

export async function countUnknownOpenids(db: Executor, broadcast: BroadcastRow): Promise<number> {
  const result = await db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM broadcast_openids o
    WHERE o.broadcast_id = ${broadcast.id}
      AND NOT EXISTS (SELECT 1 FROM followers f WHERE f.account_id = ${broadcast.accountId} AND f.openid = o.openid)`);
  return result.rows[0]!.n;
}

export async function insertBatches(db: Executor, broadcastId: number, ranges: Array<{ lo: number; hi: number }>): Promise<void> {
  if (ranges.length === 0) return;
  await db.execute(sql`
    INSERT INTO broadcast_batches (broadcast_id, seq, lo, hi)
    SELECT ${broadcastId}, s.seq, s.lo, s.hi
    FROM unnest(${sql.param(ranges.map((_, i) => i))}::int[], ${sql.param(ranges.map((r) => r.lo))}::bigint[], ${sql.param(ranges.map((r) => r.hi))}::bigint[])
         AS s(seq, lo, hi)
    ON CONFLICT DO NOTHING`);
}

export async function markSending(db: Executor, broadcastId: number, input: { batches: number; errors: number; at: Date }): Promise<void> {
  await db.execute(sql`
    UPDATE broadcasts SET status = 'SENDING', batches_total = ${input.batches}, error_count = error_count + ${input.errors},
                          total_count = total_count + ${input.errors}, started_at = ${input.at.toISOString()}
    WHERE id = ${broadcastId} AND status = 'queued'`);
}

export async function listPendingBatches(db: Executor, broadcastId: number): Promise<number[]> {
  const result = await db.execute<{ seq: number }>(sql`SELECT seq FROM broadcast_batches WHERE broadcast_id = ${broadcastId} AND done_at IS NULL ORDER BY seq`);
  return result.rows.map((row) => row.seq);
}

export async function lockBatch(db: Executor, broadcastId: number, seq: number): Promise<{ lo: number; hi: number; done: boolean } | undefined> {
  const result = await db.execute<{ lo: number; hi: number; done: boolean }>(sql`
    SELECT lo, hi, done_at IS NOT NULL AS done FROM broadcast_batches WHERE broadcast_id = ${broadcastId} AND seq = ${seq} FOR UPDATE`);
  return result.rows[0];
}

export interface BatchCounts {
  candidates: number;
  filtered: number;
  sent: number;
}

/**
 * Delivers one range, set-based: eligible followers (subscribed, not blacklisted, now) get a delivery row; the
 * primary key with ON CONFLICT DO NOTHING makes a second run of the same range deliver nothing.
 */
export async function deliverRange(db: Executor, broadcast: BroadcastRow, range: { lo: number; hi: number }, at: Date): Promise<BatchCounts> {
  const result = await db.execute<{ candidates: number; filtered: number; sent: number }>(sql`
    WITH candidates AS (
      SELECT f.id, (f.subscribed AND NOT f.blacklisted) AS eligible
      FROM followers f
      WHERE f.account_id = ${broadcast.accountId} AND f.id > ${range.lo} AND f.id <= ${range.hi} ${targetFilter(broadcast)}
    ), delivered AS (
      INSERT INTO deliveries (follower_id, broadcast_id, delivered_at)
      SELECT id, ${broadcast.id}, ${at.toISOString()} FROM candidates WHERE eligible
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT count(*)::int AS candidates, (count(*) FILTER (WHERE NOT eligible))::int AS filtered,
           (SELECT count(*) FROM delivered)::int AS sent
    FROM candidates`);
  return result.rows[0]!;
}

/** Followers of a range who would have received the broadcast; a batch that cannot be delivered counts them as errors. */
export async function countEligibleInRange(db: Executor, broadcast: BroadcastRow, range: { lo: number; hi: number }): Promise<number> {
  const result = await db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM followers f
    WHERE f.account_id = ${broadcast.accountId} AND f.id > ${range.lo} AND f.id <= ${range.hi} ${targetFilter(broadcast)}
      AND f.subscribed AND NOT f.blacklisted`);
  return result.rows[0]!.n;
}

/** Records a finished batch and adds its counts to the broadcast; returns the broadcast's progress after it. */
export async function completeBatch(
  db: Executor,
  broadcastId: number,
  seq: number,
  counts: BatchCounts & { errors: number },
  at: Date,
): Promise<{ batchesDone: number; batchesTotal: number; sentCount: number }> {
  await db.execute(sql`
    UPDATE broadcast_batches SET candidates = ${counts.candidates}, filtered = ${counts.filtered}, sent = ${counts.sent},
                                 errors = ${counts.errors}, done_at = ${at.toISOString()}
    WHERE broadcast_id = ${broadcastId} AND seq = ${seq}`);
  const result = await db.execute<{ batchesDone: number; batchesTotal: number; sentCount: number }>(sql`
    UPDATE broadcasts SET batches_done = batches_done + 1, total_count = total_count + ${counts.candidates},
                          filtered_count = filtered_count + ${counts.filtered}, sent_count = sent_count + ${counts.sent},
                          error_count = error_count + ${counts.errors}
    WHERE id = ${broadcastId}
    RETURNING batches_done AS "batchesDone", batches_total AS "batchesTotal", sent_count AS "sentCount"`);
  return result.rows[0]!;
}

/** Moves a broadcast to its final status; only the first caller changes anything. */
export async function finishBroadcast(db: Executor, broadcastId: number, input: { status: 'SEND_SUCCESS' | 'SEND_FAIL'; reason: string | null; at: Date }): Promise<boolean> {
  const result = await db.execute(sql`
    UPDATE broadcasts SET status = ${input.status}, fail_reason = ${input.reason}, finished_at = ${input.at.toISOString()}
    WHERE id = ${broadcastId} AND status IN ('queued', 'SENDING')`);
  return (result.rowCount ?? 0) > 0;
}

export async function markFinishEventQueued(db: Executor, broadcastId: number, at: Date): Promise<void> {
  await db.execute(sql`UPDATE broadcasts SET finish_event_queued_at = ${at.toISOString()} WHERE id = ${broadcastId} AND finish_event_queued_at IS NULL`);
}

/** Broadcasts the worker should look at again: unfinished ones, and finished ones whose event is not queued yet. */
export async function findBroadcastsToSweep(db: Executor, olderThan: Date): Promise<Array<{ id: number; status: BroadcastStatus; accountId: number }>> {
  const result = await db.execute<{ id: number; status: BroadcastStatus; accountId: number }>(sql`
    SELECT id, status, account_id AS "accountId" FROM broadcasts
    WHERE NOT is_preview AND created_at < ${olderThan.toISOString()}
      AND (status IN ('queued', 'SENDING') OR finish_event_queued_at IS NULL)
    ORDER BY id LIMIT 1000`);
  return result.rows;
}

// ---- inbox --------------------------------------------------------------------------------------------------

export async function listInbox(db: Executor, followerId: number, options: { beforeBroadcastId: number | null; limit: number }) {
  const result = await db.execute<{ broadcastId: number; deliveredAt: Date }>(sql`
    SELECT d.broadcast_id AS "broadcastId", d.delivered_at AS "deliveredAt"
    FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
    WHERE d.follower_id = ${followerId} AND b.deleted_at IS NULL
      ${options.beforeBroadcastId ? sql`AND d.broadcast_id < ${options.beforeBroadcastId}` : sql``}
    ORDER BY d.broadcast_id DESC LIMIT ${options.limit}`);
  return result.rows.map((row) => ({ broadcastId: row.broadcastId, deliveredAt: parseTimestamp(row.deliveredAt) }));
}

export async function findBroadcastsByIds(db: Executor, ids: number[]): Promise<Map<number, BroadcastRow>> {
  if (ids.length === 0) return new Map();
  const result = await db.execute(sql`SELECT ${broadcastColumns} FROM broadcasts WHERE id = ANY(${sql.param(ids)}::bigint[])`);
  return new Map(result.rows.map((raw) => {
    const row = toBroadcastRow(raw);
    return [row.id, row] as const;
  }));
}

/** Of the given followers, those who may receive a broadcast now: subscribed and not blacklisted. */
export async function eligibleFollowerIds(db: Executor, accountId: number, followerIds: number[]): Promise<number[]> {
  if (followerIds.length === 0) return [];
  const result = await db.execute<{ id: number }>(sql`
    SELECT id FROM followers
    WHERE account_id = ${accountId} AND id = ANY(${sql.param(followerIds)}::bigint[]) AND subscribed AND NOT blacklisted`);
  return result.rows.map((row) => row.id);
}

export async function insertPreviewDeliveries(db: Executor, broadcastId: number, followerIds: number[], at: Date): Promise<number> {
  const result = await db.execute(sql`
    INSERT INTO deliveries (follower_id, broadcast_id, delivered_at)
    SELECT unnest(${sql.param(followerIds)}::bigint[]), ${broadcastId}, ${at.toISOString()}
    ON CONFLICT DO NOTHING`);
  return result.rowCount ?? 0;
}

export async function setPreviewOutcome(db: Executor, broadcastId: number, counts: { total: number; sent: number; filtered: number; errors: number }, at: Date): Promise<void> {
  await db.execute(sql`
    UPDATE broadcasts SET status = 'SEND_SUCCESS', total_count = ${counts.total}, sent_count = ${counts.sent},
                          filtered_count = ${counts.filtered}, error_count = ${counts.errors},
                          batches_total = 0, started_at = ${at.toISOString()}, finished_at = ${at.toISOString()},
                          finish_event_queued_at = ${at.toISOString()}
    WHERE id = ${broadcastId}`);
}

export async function setBroadcastSpeed(db: Executor, accountId: number, speed: number | null): Promise<void> {
  await db.execute(sql`UPDATE accounts SET broadcast_speed = ${speed} WHERE id = ${accountId}`);
}

export async function findBroadcastSpeed(db: Executor, accountId: number): Promise<number | null> {
  const result = await db.execute<{ speed: number | null }>(sql`SELECT broadcast_speed AS speed FROM accounts WHERE id = ${accountId}`);
  return result.rows[0]?.speed ?? null;
}
