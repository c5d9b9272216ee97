import { sql } from 'drizzle-orm';
import { parseTimestamp, type Executor, type Transaction } from '../../db/client.js';
import type { TemplateDraft } from './templates.rules.js';
import type { TemplateInboxMessage, TemplateSendStatus } from './templates.service.js';

/** The only SQL of template messages: industries, private templates, sends (../shared/wechat-protocol.md §10.3). */

export type IndustriesRow = {
  primaryIndustryId: number;
  secondaryIndustryId: number;
};

export type TemplateRow = {
  templateId: string;
  templateIdShort: string;
  keywordNames: string[];
  industryId: number | null;
  title: string;
  primaryIndustry: string;
  deputyIndustry: string;
  content: string;
  example: string;
  createdAt: Date;
};

const templateColumns = sql`template_id AS "templateId", template_id_short AS "templateIdShort", keyword_names AS "keywordNames",
  industry_id AS "industryId", title, primary_industry AS "primaryIndustry", deputy_industry AS "deputyIndustry", content, example,
  created_at AS "createdAt"`;

const toTemplateRow = (row: TemplateRow): TemplateRow => ({ ...row, createdAt: parseTimestamp(row.createdAt) });

/**
 * Serialises the changes to one account's templates (adding against the cap of 25, an industry change deleting
 * templates): they are rare, and the count and the insert cannot race past the cap. The first key says "templates",
 * so it cannot meet another module's lock on the same account.
 */
export async function lockAccountTemplates(tx: Transaction, accountId: number): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('templates.private'), (${accountId}::bigint % 2147483647)::int)`);
}

export async function findIndustries(db: Executor, accountId: number): Promise<IndustriesRow | undefined> {
  const result = await db.execute<IndustriesRow>(sql`
    SELECT primary_industry_id AS "primaryIndustryId", secondary_industry_id AS "secondaryIndustryId"
    FROM template_industries WHERE account_id = ${accountId}`);
  return result.rows[0];
}

export async function saveIndustries(db: Executor, accountId: number, industries: IndustriesRow, at: Date): Promise<void> {
  await db.execute(sql`
    INSERT INTO template_industries (account_id, primary_industry_id, secondary_industry_id, updated_at)
    VALUES (${accountId}, ${industries.primaryIndustryId}, ${industries.secondaryIndustryId}, ${at.toISOString()})
    ON CONFLICT (account_id) DO UPDATE
    SET primary_industry_id = EXCLUDED.primary_industry_id, secondary_industry_id = EXCLUDED.secondary_industry_id, updated_at = EXCLUDED.updated_at`);
}

/** Deletes the account's industry templates of industries other than these; category templates stay. Returns how many. */
export async function deleteTemplatesOutsideIndustries(db: Executor, accountId: number, industryIds: number[]): Promise<number> {
  const result = await db.execute(sql`
    DELETE FROM templates
    WHERE account_id = ${accountId} AND industry_id IS NOT NULL AND industry_id <> ALL(${sql.param(industryIds)}::smallint[])`);
  return result.rowCount ?? 0;
}

/** The account's private templates, oldest first (at most 25). */
export async function listTemplates(db: Executor, accountId: number): Promise<TemplateRow[]> {
  const result = await db.execute<TemplateRow>(sql`SELECT ${templateColumns} FROM templates WHERE account_id = ${accountId} ORDER BY id`);
  return result.rows.map(toTemplateRow);
}

export async function countTemplates(db: Executor, accountId: number): Promise<number> {
  const result = await db.execute<{ count: number }>(sql`SELECT count(*)::int AS count FROM templates WHERE account_id = ${accountId}`);
  return result.rows[0]!.count;
}

/** A template of the account made from the same library entry with the same keywords, if it has one. */
export async function findSameTemplate(db: Executor, accountId: number, templateIdShort: string, keywordNames: string[]): Promise<TemplateRow | undefined> {
  const result = await db.execute<TemplateRow>(sql`
    SELECT ${templateColumns} FROM templates
    WHERE account_id = ${accountId} AND template_id_short = ${templateIdShort} AND keyword_names = ${sql.param(keywordNames)}::text[]
    ORDER BY id LIMIT 1`);
  return result.rows[0] && toTemplateRow(result.rows[0]);
}

export async function insertTemplate(
  db: Executor,
  accountId: number,
  template: TemplateDraft & { templateId: string; primaryIndustry: string; deputyIndustry: string; createdAt: Date },
): Promise<TemplateRow> {
  const result = await db.execute<TemplateRow>(sql`
    INSERT INTO templates (account_id, template_id, template_id_short, keyword_names, industry_id, title, primary_industry, deputy_industry, content, example, created_at)
    VALUES (${accountId}, ${template.templateId}, ${template.templateIdShort}, ${sql.param(template.keywordNames)}::text[], ${template.industryId},
            ${template.title}, ${template.primaryIndustry}, ${template.deputyIndustry}, ${template.content}, ${template.example}, ${template.createdAt.toISOString()})
    RETURNING ${templateColumns}`);
  return toTemplateRow(result.rows[0]!);
}

export async function findTemplate(db: Executor, accountId: number, templateId: string): Promise<TemplateRow | undefined> {
  const result = await db.execute<TemplateRow>(sql`SELECT ${templateColumns} FROM templates WHERE template_id = ${templateId} AND account_id = ${accountId}`);
  return result.rows[0] && toTemplateRow(result.rows[0]);
}

export async function deleteTemplate(db: Executor, accountId: number, templateId: string): Promise<boolean> {
  const result = await db.execute(sql`DELETE FROM templates WHERE template_id = ${templateId} AND account_id = ${accountId}`);
  return (result.rowCount ?? 0) > 0;
}

export type TemplateRecipient = {
  followerId: number;
  subscribed: boolean;
  blacklisted: boolean;
};

/** The account's follower with this openid (following or not); undefined for an openid that is not the account's. */
export async function findRecipient(db: Executor, accountId: number, openid: string): Promise<TemplateRecipient | undefined> {
  const result = await db.execute<TemplateRecipient>(sql`
    SELECT id AS "followerId", subscribed, blacklisted FROM followers WHERE openid = ${openid} AND account_id = ${accountId}`);
  return result.rows[0];
}

/**
 * The same, with the follower's row locked until the transaction ends: an unfollow or a blacklisting waits for the
 * delivery (or the delivery sees it), and two sends to one follower take turns, so a client_msg_id is checked
 * against every earlier send. FOR NO KEY UPDATE: nothing that only references the row (a message, a tag) waits.
 */
export async function lockRecipient(tx: Transaction, accountId: number, openid: string): Promise<TemplateRecipient | undefined> {
  const result = await tx.execute<TemplateRecipient>(sql`
    SELECT id AS "followerId", subscribed, blacklisted FROM followers WHERE openid = ${openid} AND account_id = ${accountId}
    FOR NO KEY UPDATE`);
  return result.rows[0];
}

export type TemplateSendRow = {
  /** 64-bit, as text. */
  msgId: string;
  templateId: string;
  status: TemplateSendStatus;
  sentAt: Date;
};

/** The latest send to this openid with this client_msg_id after `since`, if any (template_messages_client_msg_idx). */
export async function findRecentSend(db: Executor, accountId: number, openid: string, clientMsgId: string, since: Date): Promise<TemplateSendRow | undefined> {
  const result = await db.execute<TemplateSendRow>(sql`
    SELECT msg_id::text AS "msgId", template_id AS "templateId", status, sent_at AS "sentAt" FROM template_messages
    WHERE account_id = ${accountId} AND openid = ${openid} AND client_msg_id = ${clientMsgId} AND sent_at > ${since.toISOString()}
    ORDER BY sent_at DESC LIMIT 1`);
  const row = result.rows[0];
  return row && { ...row, sentAt: parseTimestamp(row.sentAt) };
}

export async function nextTemplateMsgId(db: Executor): Promise<string> {
  const result = await db.execute<{ msgId: string }>(sql`SELECT nextval('template_msg_id_seq')::text AS "msgId"`);
  return result.rows[0]!.msgId;
}

/** The delivered message in the follower's inbox (webhook_replies, kind 'template', beside replies and customer-service messages). */
export async function insertTemplateReply(db: Executor, accountId: number, openid: string, message: TemplateInboxMessage, at: Date): Promise<number> {
  const result = await db.execute<{ id: number }>(sql`
    INSERT INTO webhook_replies (account_id, openid, kind, push_id, in_reply_to_msg_id, message, created_at)
    VALUES (${accountId}, ${openid}, 'template', NULL, NULL, ${JSON.stringify(message)}::jsonb, ${at.toISOString()})
    RETURNING id`);
  return result.rows[0]!.id;
}

/** Records the send; its trigger (migration 0020) writes the TEMPLATESENDJOBFINISH push in this transaction. */
export async function insertTemplateMessage(
  db: Executor,
  send: { accountId: number; followerId: number; openid: string; msgId: string; templateId: string; clientMsgId: string | null; status: TemplateSendStatus; replyId: number | null; sentAt: Date },
): Promise<void> {
  await db.execute(sql`
    INSERT INTO template_messages (account_id, follower_id, openid, msg_id, template_id, client_msg_id, status, reply_id, sent_at)
    VALUES (${send.accountId}, ${send.followerId}, ${send.openid}, ${send.msgId}::bigint, ${send.templateId}, ${send.clientMsgId},
            ${send.status}, ${send.replyId}, ${send.sentAt.toISOString()})`);
}
