import { sql } from 'drizzle-orm';
import { bigint, check, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
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
