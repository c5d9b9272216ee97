import { sql } from 'drizzle-orm';
import { bigint, check, index, pgSequence, pgTable, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';
import { followers } from './followers.js';
import { webhookReplies } from './webhooks.js';

/**
 * Template messages (模板消息, ../shared/wechat-protocol.md §10.3): the account's industries, its private templates
 * (copies of entries of the built-in catalogue, src/modules/templates/catalogue.ts) and the messages sent with them.
 * A sent message is pushed back to the developer's server as TEMPLATESENDJOBFINISH by a trigger (migration
 * 0020_templates), as follows, messages and menu taps are (0008, 0013).
 */

/** The msgid of a template message: 64-bit like live ones (§10.3.1: 3717005636572528642), so read as text. */
export const templateMsgIdSeq = pgSequence('template_msg_id_seq', { startWith: '3487542469355618001' });

/** The two industries (1–41, WeChat's industry codes) an account set with api_set_industry; no row until it does. */
export const templateIndustries = pgTable(
  'template_industries',
  {
    accountId: bigint('account_id', { mode: 'number' })
      .primaryKey()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    primaryIndustryId: smallint('primary_industry_id').notNull(),
    secondaryIndustryId: smallint('secondary_industry_id').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    check('template_industries_ids', sql`${t.primaryIndustryId} BETWEEN 1 AND 41 AND ${t.secondaryIndustryId} BETWEEN 1 AND 41`),
  ],
);

/**
 * An account's private templates (at most 25, §10.3): what api_add_template copied from the catalogue, fixed from
 * then on, so a change to the catalogue never changes a template an account already uses.
 */
export const templates = pgTable(
  'templates',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    /** WeChat's template_id: 43 url-safe random characters. */
    templateId: text('template_id').notNull(),
    templateIdShort: text('template_id_short').notNull(),
    /** The keywords chosen for a category template, in order; empty for an industry template (fixed content). */
    keywordNames: text('keyword_names').array().notNull(),
    /** The industry an industry template belongs to; null for a category template. */
    industryId: smallint('industry_id'),
    title: text('title').notNull(),
    primaryIndustry: text('primary_industry').notNull(),
    deputyIndustry: text('deputy_industry').notNull(),
    /** With `{{key.DATA}}` placeholders. */
    content: text('content').notNull(),
    example: text('example').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('templates_template_id_key').on(t.templateId), index('templates_account_idx').on(t.accountId, t.id)],
);

/**
 * One accepted message/template/send: its msgid, to whom, and how delivery ended (§10.3.3 Status): 'success' (the
 * message is in the follower's inbox: webhook_replies row `reply_id`, kind 'template') or 'failed:user block' (the
 * follower unfollowed or was blacklisted between the check and the delivery). What the follower saw is the reply row.
 */
export const templateMessages = pgTable(
  'template_messages',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    followerId: bigint('follower_id', { mode: 'number' })
      .notNull()
      .references(() => followers.id, { onDelete: 'cascade' }),
    openid: text('openid').notNull(),
    /** 64-bit, from template_msg_id_seq: select it as text. */
    msgId: bigint('msg_id', { mode: 'bigint' }).notNull(),
    /** The template used (its row may have been deleted since). */
    templateId: text('template_id').notNull(),
    /** The sender's anti-replay id: one message per openid and client_msg_id within 10 minutes (§10.3.1). */
    clientMsgId: text('client_msg_id'),
    status: text('status').notNull(),
    replyId: bigint('reply_id', { mode: 'number' }).references(() => webhookReplies.id, { onDelete: 'set null' }),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('template_messages_msg_id_key').on(t.msgId),
    index('template_messages_client_msg_idx')
      .on(t.accountId, t.openid, t.clientMsgId, t.sentAt)
      .where(sql`${t.clientMsgId} IS NOT NULL`),
    check('template_messages_status', sql`${t.status} IN ('success', 'failed:user block')`),
  ],
);
