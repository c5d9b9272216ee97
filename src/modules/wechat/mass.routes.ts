import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { WechatError } from '../../errors.js';
import { HTTP_URL, integerOf, objectOf } from '../../http/json-fields.js';
import { INT4_MAX } from '../../http/schemas.js';
import type { BroadcastMessage, BroadcastTargetInput } from '../broadcasts/broadcasts.service.js';
import { sanitizeArticleHtml } from '../broadcasts/sanitize.js';
import type { NewsArticle } from '../media/media.repo.js';
import { mediaUrl } from '../media/media.service.js';
import { ERRMSG, wechatError } from './errcodes.js';
import { requireBody } from './users.wechat.js';
import { OK, sendWechatError } from './wechat.plugin.js';

const tags = ['wechat'];
const query = Type.Object({ access_token: Type.Optional(Type.String()) });
type Body = Record<string, unknown>;

/** WeChat's limits on an mpnews article (uploadnews), with its codes for each. */
const ARTICLE_LIMITS = {
  title: { max: 64, error: () => new WechatError(45003, 'title size out of limit') },
  author: { max: 64, error: () => new WechatError(45110, 'author size out of limit') },
  digest: { max: 120, error: () => new WechatError(45004, 'description size out of limit') },
  content: { max: 100_000, error: () => wechatError(45002) },
};
const MAX_ARTICLES = 8;
const TEXT_MAX_CHARS = 2048;
const CLIENT_MSG_ID_MAX_BYTES = 64;
const OPENIDS_MIN = 2;
const OPENIDS_MAX = 10_000;
/** msg_id and msg_data_id come from sequences far below 2^53: exact as JSON numbers, accepted as numbers or digits. */
const MSG_ID = /^[1-9][0-9]{0,15}$/;

const bodyOf = (request: FastifyRequest): Body => requireBody(request.body);

function msgIdOf(value: unknown): string {
  const digits = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!MSG_ID.test(digits) || !Number.isSafeInteger(Number(digits))) throw wechatError(40059);
  return digits;
}

/** 0/1 flags (WeChat sends numbers; booleans and "0"/"1" are taken too). */
const flagOf = (value: unknown): number => (value === true || value === 1 || value === '1' ? 1 : 0);

/** Mass messages under /cgi-bin (media/uploadnews, message/mass/*), over the broadcasts service. */
export const massRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const { broadcasts, accounts, followers } = deps.services;
  const media = deps.services.media;

  /** One uploadnews article, checked field by field with WeChat's codes; its thumb must be a live image or thumb. */
  async function articleOf(accountId: number, value: unknown): Promise<NewsArticle> {
    const article = objectOf(value);
    if (!article) throw wechatError(44003);
    const text = (field: keyof typeof ARTICLE_LIMITS | 'content_source_url') => {
      const given = article[field];
      if (given !== undefined && given !== null && typeof given !== 'string') throw wechatError(40097, `invalid args: ${field} must be a string`);
      return (given as string | undefined | null) ?? '';
    };
    const fields = { title: text('title'), author: text('author'), digest: text('digest'), content: text('content') };
    for (const [field, limit] of Object.entries(ARTICLE_LIMITS)) {
      if ([...fields[field as keyof typeof fields]].length > limit.max) throw limit.error();
    }
    if (fields.title.trim() === '' || sanitizeArticleHtml(fields.content).trim() === '') throw wechatError(44003, 'empty news data: an article needs a title and content');
    const sourceUrl = text('content_source_url');
    if (sourceUrl !== '' && (!HTTP_URL.test(sourceUrl) || sourceUrl.length > 2048)) throw wechatError(40097, 'invalid args: content_source_url must be an http(s) URL');
    const thumbMediaId = article.thumb_media_id;
    const thumb = typeof thumbMediaId === 'string' ? await media.findLive(accountId, thumbMediaId, ['thumb', 'image']) : undefined;
    if (!thumb) throw wechatError(40007, 'invalid media_id: thumb_media_id is not an image or thumb of this account');
    return {
      thumb_media_id: thumb.mediaId,
      thumb_key: thumb.storageKey!,
      ...fields,
      content_source_url: sourceUrl,
      show_cover_pic: flagOf(article.show_cover_pic),
      need_open_comment: flagOf(article.need_open_comment),
      only_fans_can_comment: flagOf(article.only_fans_can_comment),
    };
  }

  /**
   * The message of a send, preview or sendall body: mpnews (uploadnews media), text, or image (an uploaded image),
   * with the files it shows (kept once it is sent).
   */
  async function messageOf(request: FastifyRequest, body: Body): Promise<{ message: BroadcastMessage; files: string[] }> {
    const accountId = request.wechatAccount.id;
    const mediaIdIn = (value: unknown) => {
      const id = objectOf(value)?.media_id;
      if (typeof id !== 'string' || id === '') throw wechatError(41006);
      return id;
    };
    switch (body.msgtype) {
      case 'mpnews': {
        const news = await media.findLive(accountId, mediaIdIn(body.mpnews), ['news']);
        if (!news) throw wechatError(40007);
        const articles = news.articles as NewsArticle[];
        const message: BroadcastMessage = {
          type: 'news',
          articles: articles.map((a) => ({
            title: a.title,
            author: a.author,
            digest: a.digest,
            content: a.content,
            ...(a.content_source_url ? { contentSourceUrl: a.content_source_url } : {}),
            thumbUrl: mediaUrl(request, deps.config.publicUrl, a.thumb_key),
            showCoverPic: a.show_cover_pic === 1,
            needOpenComment: a.need_open_comment === 1,
          })),
        };
        return { message, files: articles.map((a) => a.thumb_key) };
      }
      case 'text': {
        const content = objectOf(body.text)?.content;
        if (typeof content !== 'string' || content.trim() === '') throw wechatError(44004);
        if ([...content].length > TEXT_MAX_CHARS) throw wechatError(45002);
        return { message: { type: 'text', content }, files: [] };
      }
      case 'image': {
        // The legacy form {image: {media_id}}, or the current {images: {media_ids: [...]}} with one image.
        const ids = objectOf(body.images)?.media_ids;
        const imageId = Array.isArray(ids) ? (ids.length === 1 ? mediaIdIn({ media_id: ids[0] }) : undefined) : mediaIdIn(body.image);
        if (imageId === undefined) throw wechatError(40097, 'invalid args: images.media_ids must hold exactly one image here');
        const image = await media.findLive(accountId, imageId, ['image']);
        if (!image) throw wechatError(40007);
        return { message: { type: 'image', imageUrl: mediaUrl(request, deps.config.publicUrl, image.storageKey!) }, files: [image.storageKey!] };
      }
      default:
        throw wechatError(40008);
    }
  }

  function clientMsgIdOf(value: unknown): string | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') throw wechatError(40097, 'invalid args: clientmsgid must be a string');
    const id = String(value);
    if (Buffer.byteLength(id) > CLIENT_MSG_ID_MAX_BYTES) throw wechatError(45067);
    return id;
  }

  function filterOf(value: unknown): BroadcastTargetInput {
    const filter = objectOf(value);
    if (!filter) throw wechatError(40097, 'invalid args: filter missing');
    if (filter.is_to_all === true) return { all: true };
    // group_id is the name tag_id had before 2016.
    const given = filter.tag_id ?? filter.group_id;
    if (given === undefined || given === null) throw wechatError(40097, 'invalid args: filter needs is_to_all:true or a tag_id');
    const tagId = integerOf(given);
    if (tagId === undefined || tagId > INT4_MAX) throw wechatError(45159);
    return { tagId };
  }

  /** Sends through the broadcasts service (quota, clientmsgid dedup, fan-out) and answers as WeChat does. */
  async function send(request: FastifyRequest, reply: FastifyReply, target: BroadcastTargetInput, body: Body) {
    const clientMsgId = clientMsgIdOf(body.clientmsgid);
    const { message, files } = await messageOf(request, body);
    const accountId = request.wechatAccount.id;
    // Pinned before the send: once it commits, followers' inboxes show these files, so the sweep must already spare
    // them (a send that then fails leaves them kept, which costs only their disk space).
    await media.pin(accountId, files);
    const sent = await broadcasts.send(accountId, null, { target, message, ...(clientMsgId === undefined ? {} : { clientMsgId }) });
    if (sent.duplicate) return sendWechatError(reply, request, 45065, ERRMSG[45065], { msg_id: Number(sent.msgId) });
    return {
      errcode: 0,
      errmsg: 'send job submission success',
      msg_id: Number(sent.msgId),
      ...(sent.msgDataId === null ? {} : { msg_data_id: sent.msgDataId }),
    };
  }

  app.post('/media/uploadnews', {
    schema: { tags, summary: 'Upload 1 to 8 news articles for a mass message (a temporary media: 3 days)', querystring: query },
    handler: async (request) => {
      const { articles } = bodyOf(request);
      if (!Array.isArray(articles) || articles.length === 0) throw wechatError(44003);
      if (articles.length > MAX_ARTICLES) throw new WechatError(45008, 'article size out of limit');
      const accountId = request.wechatAccount.id;
      const checked: NewsArticle[] = [];
      for (const article of articles) checked.push(await articleOf(accountId, article));
      const news = await media.createNews(accountId, checked);
      return { type: 'news', media_id: news.mediaId, created_at: Math.floor(news.createdAt.getTime() / 1000) };
    },
  });

  app.post('/message/mass/sendall', {
    schema: { tags, summary: 'Mass message to all followers or to a tag (one quota unit; clientmsgid dedups for 24 h)', querystring: query },
    handler: async (request, reply) => {
      const body = bodyOf(request);
      return send(request, reply, filterOf(body.filter), body);
    },
  });

  app.post('/message/mass/send', {
    schema: { tags, summary: 'Mass message to a list of 2 to 10000 openids (one quota unit)', querystring: query },
    handler: async (request, reply) => {
      const body = bodyOf(request);
      if (!Array.isArray(body.touser) || body.touser.some((openid) => typeof openid !== 'string' || openid === '' || openid.length > 64)) throw wechatError(40031);
      const openids = [...new Set(body.touser as string[])];
      if (openids.length < OPENIDS_MIN) throw wechatError(40130);
      if (openids.length > OPENIDS_MAX) throw wechatError(40032);
      return send(request, reply, { openids }, body);
    },
  });

  app.post('/message/mass/preview', {
    schema: { tags, summary: 'Preview a mass message to one follower (no quota; 100 a day)', querystring: query },
    handler: async (request) => {
      const body = bodyOf(request);
      const accountId = request.wechatAccount.id;
      // This platform has no WeChat IDs, so no towxname names anyone.
      if (body.touser === undefined && body.towxname !== undefined) throw new WechatError(40132, 'invalid username');
      if (typeof body.touser !== 'string' || body.touser === '') throw wechatError(41009);
      const follower = await followers.get(accountId, body.touser);
      if (follower.subscribe === 0) throw wechatError(43004);
      const { message, files } = await messageOf(request, body);
      await media.pin(accountId, files);
      const preview = await broadcasts.preview(accountId, null, { openids: [body.touser], message });
      return { errcode: 0, errmsg: 'preview success', msg_id: Number(preview.msgId) };
    },
  });

  app.post('/message/mass/delete', {
    schema: { tags, summary: 'Delete a sent mass message, or one article of it (article_idx, 1-based; 0 or absent: all)', querystring: query },
    handler: async (request) => {
      const body = bodyOf(request);
      if (body.msg_id === undefined && body.url !== undefined) throw wechatError(40059, 'invalid msg id: deleting by url is not supported, give msg_id');
      const msgId = msgIdOf(body.msg_id);
      const articleIdx = body.article_idx === undefined || body.article_idx === null ? 0 : integerOf(body.article_idx);
      if (articleIdx === undefined || articleIdx > MAX_ARTICLES) throw wechatError(40060);
      const accountId = request.wechatAccount.id;
      await broadcasts.remove(accountId, await broadcasts.idOfMsgId(accountId, msgId), articleIdx);
      return OK;
    },
  });

  app.post('/message/mass/get', {
    schema: {
      tags,
      summary: 'Status of a mass message: SEND_SUCCESS, SENDING, SEND_FAIL or DELETE',
      querystring: query,
      response: { 200: Type.Object({ msg_id: Type.Integer(), msg_status: Type.Enum(['SEND_SUCCESS', 'SENDING', 'SEND_FAIL', 'DELETE']) }) },
    },
    handler: async (request) => {
      const msgId = msgIdOf(bodyOf(request).msg_id);
      const accountId = request.wechatAccount.id;
      const broadcast = await broadcasts.get(accountId, await broadcasts.idOfMsgId(accountId, msgId));
      const articles = 'articles' in broadcast.message ? (broadcast.message.articles as Array<{ deleted: boolean }>) : [];
      const deleted = broadcast.deletedAt !== null || (articles.length > 0 && articles.every((a) => a.deleted));
      const msg_status: 'DELETE' | 'SENDING' | 'SEND_SUCCESS' | 'SEND_FAIL' = deleted ? 'DELETE' : broadcast.status === 'queued' ? 'SENDING' : broadcast.status;
      return { msg_id: Number(msgId), msg_status };
    },
  });

  app.post('/message/mass/speed/get', {
    schema: {
      tags,
      summary: 'Mass-send speed level (0 fastest … 4) and its rate in 10k recipients a minute',
      querystring: query,
      response: { 200: Type.Object({ speed: Type.Integer(), realspeed: Type.Integer() }) },
    },
    handler: async (request) => {
      // An account that never set a level goes as fast as level 0 allows, or faster: it is reported as 0.
      const { speed, recipientsPerMinute } = await accounts.getBroadcastSpeed(request.wechatAccount.id);
      return { speed: speed ?? 0, realspeed: Math.round((recipientsPerMinute ?? 800_000) / 10_000) };
    },
  });

  app.post('/message/mass/speed/set', {
    schema: { tags, summary: 'Set the mass-send speed level, 0 (800k a minute) to 4 (100k a minute)', querystring: query },
    handler: async (request) => {
      const given = objectOf(request.body)?.speed;
      if (given === undefined || given === null) throw wechatError(45084);
      const speed = integerOf(given);
      if (speed === undefined || speed > 4) throw wechatError(45083);
      await accounts.setBroadcastSpeed(request.wechatAccount.id, speed);
      return OK;
    },
  });
};
