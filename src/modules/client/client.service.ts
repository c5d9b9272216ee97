import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { findAccountByAppid } from '../accounts/accounts.repo.js';
import type { EventsService } from '../events/events.service.js';
import { newMediaId, newOpenid, newUnionid } from '../followers/identifiers.js';
import type { EngagementAction, MessageType, ReadSource, SubscribeScene } from '../followers/wechat-constants.js';
import { insertWechatUser, type NewWechatUser } from './wechat-users.repo.js';

/** The message a WeChat user sends, as the client API accepts it. */
export type UpstreamMessage =
  | { msgType: 'text'; content: string }
  | { msgType: 'image'; picUrl: string }
  | { msgType: 'voice'; format: string; recognition?: string }
  | { msgType: 'video' | 'shortvideo'; videoUrl: string; thumbUrl: string }
  | { msgType: 'location'; latitude: number; longitude: number; scale: number; label: string }
  | { msgType: 'link'; title: string; description: string; url: string };

/**
 * The fields of the message under WeChat's push XML names, so the webhook module can render them as they are.
 * Media ids stand in for the media WeChat would have stored.
 */
export function toWechatMessageBody(message: UpstreamMessage): Record<string, unknown> {
  switch (message.msgType) {
    case 'text':
      return { Content: message.content };
    case 'image':
      return { PicUrl: message.picUrl, MediaId: newMediaId() };
    case 'voice':
      return { MediaId: newMediaId(), Format: message.format, ...(message.recognition !== undefined ? { Recognition: message.recognition } : {}) };
    case 'video':
    case 'shortvideo':
      return { MediaId: newMediaId(), ThumbMediaId: newMediaId(), MediaUrl: message.videoUrl, ThumbUrl: message.thumbUrl };
    case 'location':
      return { Location_X: message.latitude, Location_Y: message.longitude, Scale: message.scale, Label: message.label };
    case 'link':
      return { Title: message.title, Description: message.description, Url: message.url };
  }
}

export type ClientService = ReturnType<typeof createClientService>;

const ACCOUNT_CACHE_MS = 60_000;

/**
 * What a WeChat user does on the app side: rules and answers here, the facts themselves written by the events
 * module (group-committed: each call returns once its row is committed).
 */
export function createClientService(deps: { db: Database; clock: Clock; events: EventsService }) {
  const { db, events } = deps;
  // Accounts are never deleted and their appid never changes, so a short-lived cache is safe and saves a query
  // on every client request.
  const accountsByAppid = new Map<string, { accountId: number; ownerId: number; until: number }>();

  async function resolveAppid(appid: string) {
    const now = Date.now();
    const cached = accountsByAppid.get(appid);
    if (cached && cached.until > now) return cached;
    const account = await findAccountByAppid(db, appid);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No official account has appid ${appid}`);
    const entry = { accountId: account.id, ownerId: account.createdBy, until: now + ACCOUNT_CACHE_MS };
    if (accountsByAppid.size > 10_000) accountsByAppid.clear();
    accountsByAppid.set(appid, entry);
    return entry;
  }

  return {
    async createUser(profile: NewWechatUser) {
      const user = await insertWechatUser(db, profile);
      return user.id;
    },

    /** Follows (idempotently); the openid is the same on every follow of the same account by the same user. */
    async follow(wechatUserId: number, input: { appid: string; scene: SubscribeScene; qrScene?: number | string }) {
      const { accountId, ownerId } = await resolveAppid(input.appid);
      if (input.qrScene !== undefined && input.scene !== 'ADD_SCENE_QR_CODE') {
        throw new AppError('VALIDATION_FAILED', 'body/qrScene is only allowed with scene ADD_SCENE_QR_CODE');
      }
      const followed = await events.follow({
        accountId,
        ownerId,
        wechatUserId,
        candidateOpenid: newOpenid(),
        candidateUnionid: newUnionid(),
        scene: input.scene,
        qrScene: typeof input.qrScene === 'number' ? input.qrScene : null,
        qrSceneStr: typeof input.qrScene === 'string' ? input.qrScene : null,
        at: deps.clock.now(),
      });
      return { openid: followed.openid, alreadyFollowing: followed.alreadyFollowing };
    },

    async unfollow(wechatUserId: number, appid: string) {
      const { accountId } = await resolveAppid(appid);
      const result = await events.unfollow({ accountId, wechatUserId, at: deps.clock.now() });
      if (!result) throw new AppError('NOT_FOLLOWING', `You do not follow ${appid}`);
      return { openid: result.openid };
    },

    async sendMessage(wechatUserId: number, input: { appid: string } & UpstreamMessage) {
      const { accountId } = await resolveAppid(input.appid);
      const outcome = await events.recordMessage({
        accountId,
        wechatUserId,
        msgType: input.msgType as MessageType,
        body: toWechatMessageBody(input),
        at: deps.clock.now(),
      });
      if (outcome.status === 'not_following') throw new AppError('NOT_FOLLOWING', `Only followers may message ${input.appid}`);
      if (outcome.status === 'blacklisted') throw new AppError('BLACKLISTED', `${input.appid} does not accept messages from you`);
      return { msgId: outcome.msgId };
    },

    async engage(
      wechatUserId: number,
      input: { appid: string; msgDataId: number; articleIndex: number; action: EngagementAction; source?: ReadSource; shareScene?: string },
    ) {
      const { accountId } = await resolveAppid(input.appid);
      if ((input.action === 'share') !== (input.shareScene !== undefined)) {
        throw new AppError('VALIDATION_FAILED', input.action === 'share' ? 'body/shareScene is required when sharing' : 'body/shareScene is only allowed with action "share"');
      }
      // Recorded only for an article the account sent and has not deleted, checked in the statement that writes it.
      const stored = await events.recordEngagement({
        accountId,
        wechatUserId,
        msgDataId: input.msgDataId,
        articleIndex: input.articleIndex,
        action: input.action,
        source: input.source ?? 'session',
        shareScene: input.shareScene ?? null,
        at: deps.clock.now(),
      });
      if (stored.status === 'article_not_found') {
        throw new AppError('ARTICLE_NOT_FOUND', `Article ${input.msgDataId}_${input.articleIndex} does not exist on ${input.appid}`);
      }
      return { engagementId: stored.id, follower: stored.wasFollower };
    },
  };
}
