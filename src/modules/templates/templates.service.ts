import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { AppError, type ErrorCode } from '../../errors.js';
import { HTTP_URL } from '../../http/json-fields.js';
import { findCatalogueEntry, industryOf, INDUSTRIES, type Industry } from './catalogue.js';
import {
  countTemplates,
  deleteTemplate,
  deleteTemplatesOutsideIndustries,
  findIndustries,
  findRecentSend,
  findRecipient,
  findSameTemplate,
  findTemplate,
  insertTemplate,
  insertTemplateMessage,
  insertTemplateReply,
  listTemplates,
  lockAccountTemplates,
  lockRecipient,
  nextTemplateMsgId,
  saveIndustries,
  type TemplateRow,
  type TemplateSendRow,
} from './templates.repo.js';
import { dataViolation, draftOf, placeholderKeys, renderTemplate, TEMPLATE_LIMITS, type TemplateData } from './templates.rules.js';

/**
 * Template messages (模板消息, ../shared/wechat-protocol.md §10.3): the account's two industries, its private
 * templates (added from the built-in catalogue, at most 25), and sends to one follower at a time, which land in the
 * follower's inbox and are announced to the developer's server as TEMPLATESENDJOBFINISH. Both APIs call here:
 * /cgi-bin answers a refusal's `details.errcode`, /v1 its code.
 */

/** §10.3.3's Status. 'failed: system failed' (WeChat's other reasons) never happens here. */
export type TemplateSendStatus = 'success' | 'failed:user block';

/** What the follower's inbox shows (webhook_replies.message of kind 'template'). */
export interface TemplateInboxMessage {
  /** 64-bit, as a string. */
  msgId: string;
  templateId: string;
  title: string;
  /** The template's content with the placeholders filled in. */
  content: string;
  url: string | null;
  miniprogram: { appid: string; pagepath: string } | null;
  data: TemplateData;
}

export interface TemplateSendInput {
  openid: string;
  templateId: string;
  data: TemplateData;
  /** Absent or empty: no link. */
  url?: string;
  miniprogram?: { appid: string; pagepath: string };
  clientMsgId?: string;
}

export interface TemplateSendResult {
  msgId: string;
  openid: string;
  templateId: string;
  status: TemplateSendStatus;
  sentAt: Date;
  /** The answer of an earlier send with the same client_msg_id (within 10 minutes), sent again. */
  replayed: boolean;
}

/** A send checked and rendered, to be delivered (deliver()); or the earlier send its client_msg_id names. */
export type PreparedTemplateSend =
  | { replay: TemplateSendResult }
  | { accountId: number; openid: string; clientMsgId: string | null; message: Omit<TemplateInboxMessage, 'msgId'> };

export interface TemplateView {
  templateId: string;
  templateIdShort: string;
  title: string;
  primaryIndustry: string;
  deputyIndustry: string;
  content: string;
  example: string;
  /** The keys `data` takes: the placeholders of the content, in order. */
  keys: string[];
  createdAt: Date;
}

const toTemplateView = (row: TemplateRow): TemplateView => ({
  templateId: row.templateId,
  templateIdShort: row.templateIdShort,
  title: row.title,
  primaryIndustry: row.primaryIndustry,
  deputyIndustry: row.deputyIndustry,
  content: row.content,
  example: row.example,
  keys: placeholderKeys(row.content),
  createdAt: row.createdAt,
});

/** A refusal with WeChat's errcode and errmsg (§10.3.2) beside the stable code. */
function refusal(code: ErrorCode, errcode: number, errmsg: string, message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError(code, message, { errcode, errmsg, ...details });
}

const templateNotFound = (templateId: string) => refusal('TEMPLATE_NOT_FOUND', 40037, 'invalid template_id', `The account has no template ${templateId}`);

/** A template_id as WeChat's look: 43 url-safe characters from 32 random bytes. */
const newTemplateId = () => randomBytes(32).toString('base64url');

const replayOf = (row: TemplateSendRow, openid: string): TemplateSendResult => ({ msgId: row.msgId, openid, templateId: row.templateId, status: row.status, sentAt: row.sentAt, replayed: true });

export type TemplatesService = ReturnType<typeof createTemplatesService>;

export function createTemplatesService(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;

  const industriesView = (row: { primaryIndustryId: number; secondaryIndustryId: number } | undefined) => ({
    primary: row ? industryOf(row.primaryIndustryId)! : null,
    secondary: row ? industryOf(row.secondaryIndustryId)! : null,
  });

  /**
   * Checks a send and renders it, reading without locks. In order: an earlier send to the openid with the same
   * client_msg_id within 10 minutes is answered again as it was (before any other check, so a retry gets the first
   * answer); the template (40037); data (47003: see dataViolation); url (40066); miniprogram (47003); the recipient
   * (40003 not the account's openid, 43004 not following, 43019 blacklisted).
   */
  async function prepare(accountId: number, input: TemplateSendInput): Promise<PreparedTemplateSend> {
    const clientMsgId = input.clientMsgId === undefined || input.clientMsgId === '' ? null : input.clientMsgId;
    if (clientMsgId !== null && [...clientMsgId].length > TEMPLATE_LIMITS.clientMsgIdChars) {
      throw refusal('VALIDATION_FAILED', 40097, `invalid args: client_msg_id must be at most ${TEMPLATE_LIMITS.clientMsgIdChars} characters`, 'client_msg_id is too long', {
        field: 'client_msg_id',
      });
    }
    if (clientMsgId !== null) {
      const earlier = await findRecentSend(db, accountId, input.openid, clientMsgId, new Date(clock.now().getTime() - TEMPLATE_LIMITS.clientMsgIdWindowMs));
      if (earlier) return { replay: replayOf(earlier, input.openid) };
    }

    const template = await findTemplate(db, accountId, input.templateId);
    if (!template) throw templateNotFound(input.templateId);
    const violation = dataViolation(template.content, input.data);
    if (violation) throw refusal('VALIDATION_FAILED', 47003, violation.errmsg, violation.errmsg, { field: `data.${violation.key}` });
    const url = input.url === undefined || input.url === '' ? null : input.url;
    if (url !== null && (!HTTP_URL.test(url) || url.length > TEMPLATE_LIMITS.urlChars)) {
      throw refusal('VALIDATION_FAILED', 40066, 'invalid url', 'url must be an http(s) URL', { field: 'url' });
    }
    const miniprogram = input.miniprogram ?? null;
    if (miniprogram !== null) {
      for (const field of ['appid', 'pagepath'] as const) {
        const value = miniprogram[field];
        const invalid = (field === 'appid' && value.trim() === '') || [...value].length > TEMPLATE_LIMITS.miniprogramFieldChars;
        if (invalid) throw refusal('VALIDATION_FAILED', 47003, `argument invalid! miniprogram.${field} invalid`, `miniprogram.${field} is empty or too long`, { field: `miniprogram.${field}` });
      }
    }

    const recipient = await findRecipient(db, accountId, input.openid);
    if (!recipient) throw refusal('FOLLOWER_NOT_FOUND', 40003, 'invalid openid', `${input.openid} is not a follower of this account`);
    if (!recipient.subscribed) throw refusal('NOT_FOLLOWING', 43004, 'require subscribe', `${input.openid} does not follow the account`);
    if (recipient.blacklisted) throw refusal('BLACKLISTED', 43019, 'require remove blacklist', `${input.openid} is in the account's blacklist`);

    const data: TemplateData = Object.fromEntries(
      Object.entries(input.data).map(([key, { value, color }]) => [key, color === undefined || color === '' ? { value } : { value, color }]),
    );
    return {
      accountId,
      openid: input.openid,
      clientMsgId,
      message: { templateId: template.templateId, title: template.title, content: renderTemplate(template.content, data), url, miniprogram, data },
    };
  }

  /**
   * Delivers a prepared send in one transaction, with the follower's row locked: into their inbox if they still
   * follow and are not blacklisted (Status 'success'), else nowhere ('failed:user block': they left between the
   * check and the delivery). Either way the send gets its msgid, and its TEMPLATESENDJOBFINISH push is written with
   * it (trigger, migration 0020). A send with a client_msg_id already delivered meanwhile answers that one.
   */
  async function deliver(prepared: PreparedTemplateSend): Promise<TemplateSendResult> {
    if ('replay' in prepared) return prepared.replay;
    const { accountId, openid, clientMsgId, message } = prepared;
    return db.transaction(async (tx) => {
      const recipient = await lockRecipient(tx, accountId, openid);
      if (!recipient) throw refusal('FOLLOWER_NOT_FOUND', 40003, 'invalid openid', `${openid} is not a follower of this account`);
      const now = clock.now();
      if (clientMsgId !== null) {
        const earlier = await findRecentSend(tx, accountId, openid, clientMsgId, new Date(now.getTime() - TEMPLATE_LIMITS.clientMsgIdWindowMs));
        if (earlier) return replayOf(earlier, openid);
      }
      const msgId = await nextTemplateMsgId(tx);
      const status: TemplateSendStatus = recipient.subscribed && !recipient.blacklisted ? 'success' : 'failed:user block';
      const replyId = status === 'success' ? await insertTemplateReply(tx, accountId, openid, { msgId, ...message }, now) : null;
      await insertTemplateMessage(tx, { accountId, followerId: recipient.followerId, openid, msgId, templateId: message.templateId, clientMsgId, status, replyId, sentAt: now });
      return { msgId, openid, templateId: message.templateId, status, sentAt: now, replayed: false };
    });
  }

  return {
    /** The account's two industries; null until it sets them. */
    async industries(accountId: number): Promise<{ primary: Industry | null; secondary: Industry | null }> {
      return industriesView(await findIndustries(db, accountId));
    },

    /**
     * Sets the account's two industries (WeChat's codes 1–41, two different ones). Industry templates of any other
     * industry are deleted, as WeChat deletes them (§10.3); category templates stay. WeChat also allows one change a
     * month; that rule has no documented errcode and is not enforced here.
     */
    async setIndustries(accountId: number, primaryIndustryId: number, secondaryIndustryId: number) {
      for (const [field, id] of [
        ['industry_id1', primaryIndustryId],
        ['industry_id2', secondaryIndustryId],
      ] as const) {
        if (!industryOf(id)) throw refusal('VALIDATION_FAILED', 40097, `invalid args: ${field} must be an industry code from 1 to ${INDUSTRIES.length}`, `${field} must be 1–${INDUSTRIES.length}`, { field });
      }
      if (primaryIndustryId === secondaryIndustryId) {
        throw refusal('VALIDATION_FAILED', 40097, 'invalid args: industry_id1 and industry_id2 must differ', 'the two industries must differ', { field: 'industry_id2' });
      }
      const industries = { primaryIndustryId, secondaryIndustryId };
      const removedTemplates = await db.transaction(async (tx) => {
        await lockAccountTemplates(tx, accountId);
        await saveIndustries(tx, accountId, industries, clock.now());
        return deleteTemplatesOutsideIndustries(tx, accountId, [primaryIndustryId, secondaryIndustryId]);
      });
      return { ...industriesView(industries), removedTemplates };
    },

    async list(accountId: number): Promise<TemplateView[]> {
      return (await listTemplates(db, accountId)).map(toTemplateView);
    },

    /**
     * Adds a template from the catalogue: 40037 for an id the catalogue lacks, 40246 for a category template's
     * keyword list that is empty, repeats a keyword or names one it lacks, 45027 for an industry template outside the
     * account's industries, 45026 past 25 templates. The same entry with the same keywords again answers the template
     * the account already has (created: false), so an SDK that adds its templates at each start does not use up the 25.
     */
    async add(accountId: number, input: { templateIdShort: string; keywordNames?: string[] }): Promise<{ created: boolean; template: TemplateView }> {
      const entry = findCatalogueEntry(input.templateIdShort);
      if (!entry) {
        throw refusal('VALIDATION_FAILED', 40037, 'invalid template_id', `No template ${JSON.stringify(input.templateIdShort)} in the library`, { field: 'template_id_short' });
      }
      const draft = draftOf(entry, input.keywordNames);
      if (!draft) {
        const names = entry.kind === 'category' ? entry.keywords.map((keyword) => keyword.name).join(', ') : '';
        throw refusal('VALIDATION_FAILED', 40246, 'keyword name invalid', `keyword_name_list must name 1 or more different keywords of template ${entry.templateIdShort} (${names})`, {
          field: 'keyword_name_list',
        });
      }
      const category = entry.kind === 'category' ? entry.category : undefined;
      const industry = draft.industryId === null ? undefined : industryOf(draft.industryId)!;
      return db.transaction(async (tx) => {
        await lockAccountTemplates(tx, accountId);
        const existing = await findSameTemplate(tx, accountId, draft.templateIdShort, draft.keywordNames);
        if (existing) return { created: false, template: toTemplateView(existing) };
        if (industry) {
          const chosen = await findIndustries(tx, accountId);
          if (!chosen || (chosen.primaryIndustryId !== industry.id && chosen.secondaryIndustryId !== industry.id)) {
            throw refusal(
              'TEMPLATE_INDUSTRY_CONFLICT',
              45027,
              'template conflict with industry',
              `Template ${entry.templateIdShort} is of industry ${industry.id} (${industry.firstClass}/${industry.secondClass}), which is not one of the account's industries`,
              { industryId: industry.id },
            );
          }
        }
        if ((await countTemplates(tx, accountId)) >= TEMPLATE_LIMITS.privatePerAccount) {
          throw refusal('TEMPLATE_LIMIT_REACHED', 45026, 'template num exceeds limit', `The account has ${TEMPLATE_LIMITS.privatePerAccount} templates, the most it may have`, {
            limit: TEMPLATE_LIMITS.privatePerAccount,
          });
        }
        const row = await insertTemplate(tx, accountId, {
          ...draft,
          templateId: newTemplateId(),
          primaryIndustry: industry?.firstClass ?? category!.firstClass,
          deputyIndustry: industry?.secondClass ?? category!.secondClass,
          createdAt: clock.now(),
        });
        return { created: true, template: toTemplateView(row) };
      });
    },

    async remove(accountId: number, templateId: string): Promise<void> {
      if (!(await deleteTemplate(db, accountId, templateId))) throw templateNotFound(templateId);
    },

    prepare,
    deliver,

    /** prepare, then deliver: what both APIs' send does. */
    async send(accountId: number, input: TemplateSendInput): Promise<TemplateSendResult> {
      return deliver(await prepare(accountId, input));
    },
  };
}
