import { boolean, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { accountType } from './accounts.js';

/**
 * Which capabilities (groups of WeChat interfaces, named in src/modules/accounts/capabilities.ts) each account type
 * has, unverified and verified (微信认证). Data, not code, like quota_policies: a deployment changes a row without a
 * release. Seeded by migration 0015 from WeChat's interface-privilege table (../shared/wechat-protocol.md §10.5). A
 * capability with no row for a (type, verified) pair is not allowed.
 */
export const capabilityPolicies = pgTable(
  'capability_policies',
  {
    capability: text('capability').notNull(),
    accountType: accountType('account_type').notNull(),
    verified: boolean('verified').notNull(),
    allowed: boolean('allowed').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.capability, t.accountType, t.verified] })],
);
