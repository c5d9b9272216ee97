import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { HTTP_URL } from '../../http/json-fields.js';
import type { AccountType } from '../accounts/accounts.repo.js';
import type { MediaService } from '../media/media.service.js';
import { chargeCustomQuota, CUSTOM_TRIGGERS, findCustomRecipient, findLastExchange, insertCustomMessage, type CustomRecipient, type CustomTrigger } from './custom.repo.js';
import type { TypingState } from './typing.js';

/**
 * Customer-service messages (客服消息, ../shared/wechat-protocol.md §10.2): one message from the account to one
 * follower, allowed only within the quotas the follower's actions opened (48 hours, 20 messages each), shown in the
 * follower's inbox; and the "typing…" state (§10.2.2). Both APIs send through here: /cgi-bin/message/custom/send
 * answers a refusal's `details.errcode`, /v1 its code.
 */

/** As stored and shown in the inbox: the /v1 body, and the WeChat body in camelCase. */
export type CustomMessage =
  | { type: 'text'; content: string }
  | { type: 'image'; mediaId: string }
  | { type: 'news'; articles: Array<{ title: string; description: string; url: string; picUrl: string }> }
  | { type: 'msgmenu'; headContent: string; list: Array<{ id: string; content: string }>; tailContent: string };

export const CUSTOM_MESSAGE_TYPES = ['text', 'image', 'news', 'msgmenu'] as const;

/**
 * What each of the follower's actions opens (§10.2.1): a window, and how many messages the account may send in it.
 * These are the old docs' rules, which the 2018 capture of 45047 confirms: a message, a menu click (click,
 * scancode_push, scancode_waitmsg), a scan or a follow each open 48 hours, with 20 messages until the follower acts
 * again. WeChat since cut them (2021: menu, scan and follow 3 messages within 1 minute; today a message opens 5 in
 * 48 hours, date unknown); those are a change of these numbers. A window's end is exclusive: an action exactly
 * 48 hours old no longer counts (47:59:59 later a message goes, 48:00:00 later it is refused), as "within 48 hours"
 * reads.
 */
export const CUSTOM_QUOTAS: Record<CustomTrigger, { windowMs: number; messages: number }> = {
  message: { windowMs: 48 * 3_600_000, messages: 20 },
  menu: { windowMs: 48 * 3_600_000, messages: 20 },
  scan: { windowMs: 48 * 3_600_000, messages: 20 },
  follow: { windowMs: 48 * 3_600_000, messages: 20 },
};

/** Typing needs a message exchanged with the follower within this (§10.2.2; otherwise 45080). */
export const TYPING_EXCHANGE_MS = 30_000;

export const CUSTOM_LIMITS = {
  /** No maximum is confirmed (§10.2 "text"); 45002 exists. The bound of a mass text message (§2). */
  textChars: 2048,
  /** Since 2018-10-12 a news message holds 1 article, more is 45008 (§10.2 "news"). */
  newsArticles: 1,
  /** More items is 45098; WeChat's maximum is unconfirmed, WeCom's kf variant allows 10 (§10.2 "msgmenu"). */
  menuItems: 10,
  /** Our bounds, not WeChat's: a menu item's id and text, a news article's fields. */
  menuIdChars: 64,
  articleTitleChars: 64,
  articleDescriptionChars: 512,
  urlChars: 2048,
} as const;


/** A refusal with WeChat's errcode and errmsg (§10.2.3) beside the stable code. */
function refusal(code: 'VALIDATION_FAILED', errcode: number, errmsg: string, path: string, message: string): AppError {
  return new AppError(code, `body${path} ${message}`, { errcode, errmsg, errors: [{ in: 'body', path, message, errcode, errmsg }] });
}

const chars = (text: string) => [...text].length;

export interface CustomMessagesDeps {
  db: Database;
  clock: Clock;
  media: Pick<MediaService, 'findLive'>;
  typing: TypingState;
}

export type TypingCommand = 'Typing' | 'CancelTyping';

const CLOSED = { errcode: 45015, errmsg: 'response out of time limit or subscription is canceled' };

/** The quotas the follower's actions opened that are still open at `now`, the one that closes first first. */
function openQuotas(recipient: CustomRecipient, now: Date): Array<{ trigger: CustomTrigger; openedAt: Date }> {
  return CUSTOM_TRIGGERS.flatMap((trigger) => {
    const openedAt = recipient.triggers[trigger];
    return openedAt !== null && openedAt.getTime() + CUSTOM_QUOTAS[trigger].windowMs > now.getTime() ? [{ trigger, openedAt }] : [];
  }).sort((a, b) => a.openedAt.getTime() + CUSTOM_QUOTAS[a.trigger].windowMs - (b.openedAt.getTime() + CUSTOM_QUOTAS[b.trigger].windowMs));
}

export type CustomMessagesService = ReturnType<typeof createCustomMessagesService>;

export function createCustomMessagesService(deps: CustomMessagesDeps) {
  const { db, clock, media, typing } = deps;

  /**
   * The follower with this openid, who must follow the account and be reachable (§10.2.3: 40003 not the account's
   * openid, 43019 blacklisted, 45015 unfollowed), with the quotas their actions opened; 45015 when none is open.
   */
  async function reachable(accountId: number, openid: string, now: Date) {
    const since = Object.fromEntries(CUSTOM_TRIGGERS.map((trigger) => [trigger, new Date(now.getTime() - CUSTOM_QUOTAS[trigger].windowMs)])) as Record<CustomTrigger, Date>;
    const recipient = await findCustomRecipient(db, accountId, openid, since);
    if (!recipient) throw new AppError('FOLLOWER_NOT_FOUND', `${openid} is not a follower of this account`, { errcode: 40003, errmsg: 'invalid openid' });
    if (recipient.blacklisted) throw new AppError('BLACKLISTED', `${openid} is in the account's blacklist`, { errcode: 43019, errmsg: 'require remove blacklist' });
    if (!recipient.subscribed) throw new AppError('NOT_FOLLOWING', `${openid} no longer follows the account`, { ...CLOSED, reason: 'unsubscribed' });
    const quotas = openQuotas(recipient, now);
    if (quotas.length === 0) {
      throw new AppError('REPLY_WINDOW_CLOSED', `${openid} has not messaged, tapped the menu, scanned or followed in the last 48 hours`, { ...CLOSED });
    }
    return { followerId: recipient.followerId, quotas };
  }

  /** The message checked with WeChat's codes (§10.2, §10.2.3), normalized as stored. */
  async function checked(account: { id: number; type: AccountType }, message: CustomMessage): Promise<CustomMessage> {
    switch (message.type) {
      case 'text': {
        if (message.content.trim() === '') throw refusal('VALIDATION_FAILED', 44004, 'empty content', '/content', 'must not be empty');
        if (chars(message.content) > CUSTOM_LIMITS.textChars) {
          throw refusal('VALIDATION_FAILED', 45002, 'content size out of limit', '/content', `must be at most ${CUSTOM_LIMITS.textChars} characters`);
        }
        return { type: 'text', content: message.content };
      }
      case 'image': {
        if (message.mediaId === '') throw refusal('VALIDATION_FAILED', 41006, 'media_id missing', '/mediaId', 'is required');
        const image = await media.findLive(account.id, message.mediaId, ['image']);
        if (!image) throw refusal('VALIDATION_FAILED', 40007, 'invalid media_id', '/mediaId', 'is not a live image of this account');
        return { type: 'image', mediaId: image.mediaId };
      }
      case 'news': {
        if (message.articles.length === 0) throw refusal('VALIDATION_FAILED', 44003, 'empty news data', '/articles', 'must hold an article');
        if (message.articles.length > CUSTOM_LIMITS.newsArticles) {
          throw refusal('VALIDATION_FAILED', 45008, 'article size out of limit', '/articles', `must hold at most ${CUSTOM_LIMITS.newsArticles} article`);
        }
        const articles = message.articles.map((article, i) => {
          if (article.title.trim() === '') throw refusal('VALIDATION_FAILED', 44003, 'empty news data', `/articles/${i}/title`, 'must not be empty');
          if (chars(article.title) > CUSTOM_LIMITS.articleTitleChars) {
            throw refusal('VALIDATION_FAILED', 45003, 'title size out of limit', `/articles/${i}/title`, `must be at most ${CUSTOM_LIMITS.articleTitleChars} characters`);
          }
          if (chars(article.description) > CUSTOM_LIMITS.articleDescriptionChars) {
            throw refusal('VALIDATION_FAILED', 45004, 'description size out of limit', `/articles/${i}/description`, `must be at most ${CUSTOM_LIMITS.articleDescriptionChars} characters`);
          }
          for (const field of ['url', 'picUrl'] as const) {
            const url = article[field];
            if (url !== '' && (!HTTP_URL.test(url) || url.length > CUSTOM_LIMITS.urlChars)) {
              throw refusal('VALIDATION_FAILED', 40066, 'invalid url', `/articles/${i}/${field}`, 'must be an http(s) URL');
            }
          }
          return { title: article.title, description: article.description, url: article.url, picUrl: article.picUrl };
        });
        return { type: 'news', articles };
      }
      case 'msgmenu': {
        // Formal, verified accounts only; test and subscription accounts get 40200 (§10.2 "msgmenu").
        if (account.type !== 'service') throw refusal('VALIDATION_FAILED', 40200, 'invalid account type', '/type', 'msgmenu is for service accounts only');
        if (message.list.length === 0) throw refusal('VALIDATION_FAILED', 44004, 'empty content', '/list', 'must hold an item');
        if (message.list.length > CUSTOM_LIMITS.menuItems) {
          throw refusal('VALIDATION_FAILED', 45098, 'msgmenu list size is out of limit', '/list', `must hold at most ${CUSTOM_LIMITS.menuItems} items`);
        }
        const list = message.list.map((item, i) => {
          if (item.id.trim() === '' || chars(item.id) > CUSTOM_LIMITS.menuIdChars) {
            throw refusal('VALIDATION_FAILED', 40097, 'invalid args', `/list/${i}/id`, `must be 1 to ${CUSTOM_LIMITS.menuIdChars} characters`);
          }
          if (item.content.trim() === '') throw refusal('VALIDATION_FAILED', 44004, 'empty content', `/list/${i}/content`, 'must not be empty');
          return { id: item.id, content: item.content };
        });
        const total = chars(message.headContent) + chars(message.tailContent) + list.reduce((sum, item) => sum + chars(item.content), 0);
        if (total > CUSTOM_LIMITS.textChars) {
          throw refusal('VALIDATION_FAILED', 45002, 'content size out of limit', '', `msgmenu text must be at most ${CUSTOM_LIMITS.textChars} characters in all`);
        }
        return { type: 'msgmenu', headContent: message.headContent, list, tailContent: message.tailContent };
      }
    }
  }

  return {
    /**
     * Sends one message to a follower: checks it, then the recipient and the quotas their actions opened (§10.2.1:
     * 45015 when none is open, 45047 when the open ones are used up), and stores it for their inbox. The message is
     * charged to the open quota that closes first, in the transaction that stores it. It ends the typing state.
     */
    async send(account: { id: number; type: AccountType }, openid: string, input: CustomMessage) {
      const message = await checked(account, input);
      const now = clock.now();
      const { followerId, quotas } = await reachable(account.id, openid, now);
      const sent = await db.transaction(async (tx) => {
        for (const quota of quotas) {
          const charged = await chargeCustomQuota(tx, { accountId: account.id, followerId, ...quota, limit: CUSTOM_QUOTAS[quota.trigger].messages });
          if (charged) {
            await insertCustomMessage(tx, account.id, openid, message, now);
            return true;
          }
        }
        return false;
      });
      if (!sent) {
        throw new AppError('CUSTOM_MESSAGE_QUOTA_EXCEEDED', `${openid} has been sent all the messages their last actions allow; a new message, menu click, scan or follow of theirs opens more`, {
          errcode: 45047,
          errmsg: 'out of response count limit',
        });
      }
      // The state would end by itself within 15 s: a Redis failure here must not turn a stored message into an error
      // (the caller would send it again).
      await typing.cancel({ accountId: account.id, openid }).catch(() => {});
      return { openid, sentAt: now, message };
    },

    /**
     * Shows or hides "typing…" to a follower (§10.2.2): inside an open window (45015 otherwise), after a message
     * exchanged with them in the last 30 seconds (45080), not while it already shows (45081); it lasts 15 seconds
     * unless a message or CancelTyping ends it.
     */
    async typing(accountId: number, openid: string, command: TypingCommand): Promise<void> {
      const now = clock.now();
      const { followerId } = await reachable(accountId, openid, now);
      if (command === 'CancelTyping') {
        await typing.cancel({ accountId, openid });
        return;
      }
      const exchangedAt = await findLastExchange(db, accountId, { followerId, openid }, new Date(now.getTime() - TYPING_EXCHANGE_MS));
      if (exchangedAt === null) {
        throw new AppError('TYPING_NOT_ALLOWED', `No message was exchanged with ${openid} in the last 30 seconds`, {
          errcode: 45080,
          errmsg: 'no message exchanged with the user in the last 30 seconds',
        });
      }
      if (!(await typing.start({ accountId, openid }))) {
        throw new AppError('TYPING_NOT_ALLOWED', `The typing state already shows to ${openid}; it lasts 15 seconds`, { errcode: 45081, errmsg: 'already typing' });
      }
    },
  };
}
