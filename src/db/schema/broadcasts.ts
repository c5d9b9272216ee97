import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgSequence,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';
import { users } from './users.js';

export const broadcastStatus = pgEnum('broadcast_status', ['queued', 'SENDING', 'SEND_SUCCESS', 'SEND_FAIL']);
export const broadcastTarget = pgEnum('broadcast_target', ['all', 'tag', 'openids']);
export const broadcastMessageType = pgEnum('broadcast_message_type', ['news', 'text', 'image']);

/** WeChat's msg_id (the send task) and msg_data_id (the news content, first half of datacube's msgid). */
export const broadcastMsgIdSeq = pgSequence('broadcast_msg_id_seq', { startWith: '1000000001' });
export const broadcastMsgDataIdSeq = pgSequence('broadcast_msg_data_id_seq', { startWith: '2247483001' });

/**
 * One broadcast (mass send) or preview. Counters follow the fan-out: total candidates in the target, filtered
 * (unsubscribed or blacklisted when their batch ran, or past their type's per-follower monthly limit: see
 * follower_mass_counters), sent, and errors (e.g. openids that are not followers).
 */
export const broadcasts = pgTable(
  'broadcasts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    msgId: bigint('msg_id', { mode: 'number' })
      .notNull()
      .default(sql`nextval('broadcast_msg_id_seq')`),
    msgDataId: bigint('msg_data_id', { mode: 'number' }),
    isPreview: boolean('is_preview').notNull().default(false),
    clientMsgId: text('client_msg_id'),
    messageType: broadcastMessageType('message_type').notNull(),
    /** Text content or image URL; news articles live in broadcast_articles. */
    body: jsonb('body').notNull().default({}),
    target: broadcastTarget('target').notNull(),
    targetTagId: integer('target_tag_id'),
    status: broadcastStatus('status').notNull().default('queued'),
    failReason: text('fail_reason'),
    totalCount: integer('total_count').notNull().default(0),
    filteredCount: integer('filtered_count').notNull().default(0),
    sentCount: integer('sent_count').notNull().default(0),
    errorCount: integer('error_count').notNull().default(0),
    batchesTotal: integer('batches_total'),
    batchesDone: integer('batches_done').notNull().default(0),
    quotaLedgerId: bigint('quota_ledger_id', { mode: 'number' }),
    createdBy: bigint('created_by', { mode: 'number' }).references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** Planning attempts that failed; the planning job's id carries the next attempt's number (fanout-<id>-a<n>). */
    planAttempts: integer('plan_attempts').notNull().default(0),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('broadcasts_msg_id_key').on(t.msgId),
    uniqueIndex('broadcasts_msg_data_id_key').on(t.msgDataId),
    index('broadcasts_account_idx').on(t.accountId, t.id),
    index('broadcasts_client_msg_id_idx').on(t.accountId, t.clientMsgId, t.createdAt).where(sql`${t.clientMsgId} IS NOT NULL`),
    index('broadcasts_unfinished_idx').on(t.status).where(sql`${t.status} IN ('queued', 'SENDING')`),
  ],
);

/** The articles of a news broadcast, addressed by (msg_data_id, 1-based idx) as WeChat's statistics do. */
export const broadcastArticles = pgTable(
  'broadcast_articles',
  {
    broadcastId: bigint('broadcast_id', { mode: 'number' })
      .notNull()
      .references(() => broadcasts.id, { onDelete: 'cascade' }),
    idx: smallint('idx').notNull(),
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    msgDataId: bigint('msg_data_id', { mode: 'number' }).notNull(),
    title: text('title').notNull(),
    author: text('author').notNull().default(''),
    digest: text('digest').notNull().default(''),
    /** Sanitised HTML. */
    content: text('content').notNull(),
    contentSourceUrl: text('content_source_url').notNull().default(''),
    thumbUrl: text('thumb_url').notNull(),
    showCoverPic: boolean('show_cover_pic').notNull().default(false),
    needOpenComment: boolean('need_open_comment').notNull().default(false),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.broadcastId, t.idx] }),
    uniqueIndex('broadcast_articles_msg_data_idx_key').on(t.msgDataId, t.idx),
    check('broadcast_articles_idx_range', sql`${t.idx} BETWEEN 1 AND 8`),
  ],
);

/** Openids named by an openid-list broadcast; resolved against followers when the batch runs. */
export const broadcastOpenids = pgTable(
  'broadcast_openids',
  {
    broadcastId: bigint('broadcast_id', { mode: 'number' })
      .notNull()
      .references(() => broadcasts.id, { onDelete: 'cascade' }),
    openid: text('openid').notNull(),
  },
  (t) => [primaryKey({ columns: [t.broadcastId, t.openid] })],
);

/**
 * The fan-out plan: keyset ranges (lo, hi] of follower ids, fixed when fan-out starts so that a retried planning
 * job enqueues the very same batches. done_at is set in the transaction that writes the batch's deliveries, or in
 * the one that gives up on the batch (its followers counted as errors). `attempts` counts failed attempts and names
 * the next job (batch-<id>-<seq>-a<attempts>): PostgreSQL, not BullMQ, decides when to retry and when to give up.
 */
export const broadcastBatches = pgTable(
  'broadcast_batches',
  {
    broadcastId: bigint('broadcast_id', { mode: 'number' })
      .notNull()
      .references(() => broadcasts.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    lo: bigint('lo', { mode: 'number' }).notNull(),
    hi: bigint('hi', { mode: 'number' }).notNull(),
    candidates: integer('candidates'),
    filtered: integer('filtered'),
    sent: integer('sent'),
    errors: integer('errors'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    doneAt: timestamp('done_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.broadcastId, t.seq] })],
);

/**
 * One row per delivered message. The primary key is what makes delivery happen once: every batch inserts with
 * ON CONFLICT DO NOTHING. Keyed by broadcast first, so a fan-out appends at the right edge of the key and costs the
 * same however much history the table holds (keyed by follower first, each fan-out rewrote pages all over an index
 * that grows by the whole audience every day: 5× the WAL after 30 days of a million followers, bench:fanout).
 * Deliberately no follower-first index: an inbox walks the account's few recent broadcasts and probes this key.
 */
export const deliveries = pgTable(
  'deliveries',
  {
    broadcastId: bigint('broadcast_id', { mode: 'number' }).notNull(),
    followerId: bigint('follower_id', { mode: 'number' }).notNull(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.broadcastId, t.followerId] })],
);
