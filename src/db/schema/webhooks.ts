import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';

/** WeChat's three message modes: 明文 (plaintext), 兼容 (both plaintext and Encrypt), 安全 (Encrypt only). */
export const webhookMode = pgEnum('webhook_mode', ['plaintext', 'compatible', 'safe']);

/**
 * An account's developer server ("服务器配置"): where its messages and events are pushed, the token that signs
 * them and the key that encrypts them. One per account; a row exists only once its URL has answered WeChat's
 * verification. The token and key are kept as they are: every push is signed and encrypted with them.
 */
export const webhookConfigs = pgTable(
  'webhook_configs',
  {
    accountId: bigint('account_id', { mode: 'number' })
      .primaryKey()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    token: text('token').notNull(),
    encodingAesKey: text('encoding_aes_key').notNull(),
    mode: webhookMode('mode').notNull(),
    verifiedAt: timestamp('verified_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    check('webhook_configs_token_format', sql`${t.token} ~ '^[A-Za-z0-9]{3,32}$'`),
    check('webhook_configs_aes_key_format', sql`${t.encodingAesKey} ~ '^[A-Za-z0-9]{43}$'`),
    check('webhook_configs_url_scheme', sql`${t.url} ~ '^https?://'`),
  ],
);

export const webhookPushStatus = pgEnum('webhook_push_status', ['pending', 'delivered', 'failed']);

/**
 * What is owed to an account's developer server: one row per message or event to push, written by triggers in the
 * transaction that stores the message or event (migration 0008), so a committed event is never lost whatever
 * happens to the process after the commit. Rows of one lane (a follower, by openid) are pushed one at a time in id
 * order; `next_attempt_at` is null while an earlier push of the lane is still pending, and set when it may go.
 * CreateTime and MsgId are fixed here, so a retried push carries the same values and receivers can deduplicate.
 */
export const webhookPushes = pgTable(
  'webhook_pushes',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    /** The ordering unit: the follower's openid, or 'mphelper' for account-level events (MASSSENDJOBFINISH). */
    lane: text('lane').notNull(),
    openid: text('openid'),
    /** 'message', 'subscribe', 'unsubscribe', 'SCAN' or 'MASSSENDJOBFINISH'. */
    kind: text('kind').notNull(),
    /** The row it pushes ('messages:12', 'follow_events:7', 'scan_events:2', 'outbox_events:3'), or 'replay:<push id>:<its own id>'. */
    source: text('source').notNull(),
    /** 64-bit, as text. */
    msgId: text('msg_id'),
    createTime: bigint('create_time', { mode: 'number' }).notNull(),
    content: jsonb('content').notNull(),
    status: webhookPushStatus('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    /** Set while a relay is pushing it; a relay that died is replaced once this has passed. */
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('webhook_pushes_source_key').on(t.source),
    // The lane's order: is there an earlier pending push? (probed for every candidate)
    index('webhook_pushes_pending_lane_idx').on(t.accountId, t.lane, t.id).where(sql`${t.status} = 'pending'`),
    // Pushes waiting for their lane's predecessor: the sweep that releases stranded ones reads only these.
    index('webhook_pushes_waiting_idx').on(t.id).where(sql`${t.status} = 'pending' AND ${t.nextAttemptAt} IS NULL`),
    // What may go now, oldest first.
    index('webhook_pushes_due_idx').on(t.nextAttemptAt, t.id).where(sql`${t.status} = 'pending' AND ${t.nextAttemptAt} IS NOT NULL`),
    // The delivery log, newest first, per account.
    index('webhook_pushes_account_idx').on(t.accountId, t.id),
    index('webhook_pushes_finished_idx').on(t.finishedAt).where(sql`${t.finishedAt} IS NOT NULL`),
    // The delivery log of one follower, and its failed pushes: filters of the log that would otherwise walk all of the
    // account's pushes of the retention period (80–100 ms at 300,000 pushes) to fill a page.
    index('webhook_pushes_openid_idx').on(t.accountId, t.openid, t.id),
    index('webhook_pushes_failed_idx').on(t.accountId, t.id).where(sql`${t.status} = 'failed'`),
  ],
);

/** Every attempt at a push: when, what came back (status, latency, first bytes) or what failed. Trimmed by age. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    pushId: bigint('push_id', { mode: 'number' })
      .notNull()
      .references(() => webhookPushes.id, { onDelete: 'cascade' }),
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    attemptedAt: timestamp('attempted_at', { withTimezone: true }).notNull(),
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms').notNull(),
    /** Why it failed (network error, HTTP status) or why its passive reply was refused; null when all went well. */
    error: text('error'),
    responseFirstBytes: text('response_first_bytes'),
    succeeded: boolean('succeeded').notNull(),
  },
  (t) => [
    index('webhook_attempts_push_idx').on(t.pushId, t.id),
    index('webhook_attempts_account_time_idx').on(t.accountId, t.attemptedAt),
    // The account's last failed attempt (the webhook's health): without it, an account whose pushes all succeed read
    // its whole attempt log to find none (72 ms at 300,000 attempts).
    index('webhook_attempts_failed_idx').on(t.accountId, t.attemptedAt, t.id).where(sql`NOT ${t.succeeded}`),
  ],
);

/**
 * What the account said to one follower in their chat: passive replies (kind 'reply': what a developer's server
 * answered to a follower's message or event, with its push) and customer-service messages (kind 'custom':
 * /cgi-bin/message/custom/send, no push; ../shared/wechat-protocol.md §10.2) and delivered template messages (kind
 * 'template': §10.3, see template_messages), as WeChat would show them to that follower. The follower's inbox
 * lists them beside broadcasts, as one source ordered by id.
 */
export const webhookReplies = pgTable(
  'webhook_replies',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    openid: text('openid').notNull(),
    /** 'reply', 'custom' or 'template' (message/template/send, written by the templates module). */
    kind: text('kind').notNull().default('reply'),
    /** The push answered, for a reply; null for a customer-service message. */
    pushId: bigint('push_id', { mode: 'number' }),
    /** The MsgId of the message answered (64-bit, as text); null for a reply to an event. */
    inReplyToMsgId: text('in_reply_to_msg_id'),
    /** { type: 'text' | 'image' | 'voice' | 'video' | 'music' | 'news', … } */
    message: jsonb('message').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('webhook_replies_push_key').on(t.pushId),
    index('webhook_replies_inbox_idx').on(t.accountId, t.openid, t.id),
    check('webhook_replies_kind', sql`${t.kind} IN ('reply', 'custom', 'template') AND (${t.kind} = 'reply') = (${t.pushId} IS NOT NULL)`),
  ],
);
