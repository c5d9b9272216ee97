import type { PushMode } from './push-render.js';
import { decryptWechatMessage, signatureMatches, WechatCryptoError, wechatMsgSignature } from './wechat-crypto.js';
import { parseWechatXml, WechatXmlError, type ParsedXml } from './wechat-xml.js';

/**
 * What a developer's server answered to a push (protocol reference §5.4, §6): nothing (`success` or an empty
 * body), a hand-over to customer service, or one message for the follower. The body is whatever that server sent,
 * so every problem becomes a reason, never an exception; and the reading is as tolerant as WeChat's own.
 */

export type ReplyMessage =
  | { type: 'text'; content: string }
  | { type: 'image'; mediaId: string }
  | { type: 'voice'; mediaId: string }
  | { type: 'video'; mediaId: string; title: string | null; description: string | null }
  | { type: 'music'; title: string | null; description: string | null; musicUrl: string | null; hqMusicUrl: string | null; thumbMediaId: string }
  | { type: 'news'; articles: Array<{ title: string; description: string; picUrl: string; url: string }> };

export type PassiveReply =
  | { kind: 'none' }
  | { kind: 'transfer_customer_service' }
  | { kind: 'reply'; message: ReplyMessage; /** seconds */ createTime: number };

export type PassiveReplyResult = { ok: true; reply: PassiveReply } | { ok: false; reason: string };

/** WeChat shows at most 8 articles in a news reply and drops the rest. */
export const MAX_NEWS_ARTICLES = 8;

/** Beyond this a CreateTime is in milliseconds (10^11 seconds is the year 5138). */
const MILLISECONDS_FROM = 1e11;

/** A reply that cannot be used; thrown inside this module only, and turned into `{ ok: false, reason }`. */
class Refusal extends Error {}

function isNoReply(body: string): boolean {
  const trimmed = body.trim();
  return trimmed === '' || trimmed === 'success';
}

function parse(text: string, what: string): ParsedXml {
  try {
    return parseWechatXml(text);
  } catch (error) {
    if (error instanceof WechatXmlError) throw new Refusal(`unreadable ${what} (${error.reason}): ${error.message}`);
    throw new Refusal(`unreadable ${what}: ${(error as Error).message}`);
  }
}

/** An element's text; absent is undefined; a repeated element or one with children is refused. */
function text(node: ParsedXml, name: string, path = name): string | undefined {
  const value = node[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new Refusal(`${path} must be a single text element`);
}

function required(node: ParsedXml, name: string, path = name): string {
  const value = text(node, name, path);
  if (value === undefined || value === '') throw new Refusal(`${path} is missing or empty`);
  return value;
}

function orNull(node: ParsedXml, name: string, path: string): string | null {
  return text(node, name, path) ?? null;
}

/** A child element holding elements; an empty one (`<Image></Image>`) reads as having none. */
function group(node: ParsedXml, name: string): ParsedXml {
  const value = node[name];
  if (value === undefined) throw new Refusal(`${name} is missing`);
  if (value === '') return {};
  if (typeof value === 'string' || Array.isArray(value)) throw new Refusal(`${name} must be a single element holding elements`);
  return value;
}

function createTimeOf(root: ParsedXml): number {
  const raw = required(root, 'CreateTime');
  if (!/^[0-9]{1,16}$/.test(raw)) throw new Refusal(`CreateTime ${JSON.stringify(raw)} is not a number of seconds`);
  const value = Number(raw);
  return value > MILLISECONDS_FROM ? Math.floor(value / 1000) : value;
}

function newsArticles(root: ParsedXml): Array<{ title: string; description: string; picUrl: string; url: string }> {
  required(root, 'ArticleCount');
  const items = group(root, 'Articles').item;
  // The parser gives one <item> as an object and several as an array.
  const list = items === undefined ? [] : Array.isArray(items) ? items : [items];
  if (list.length === 0) throw new Refusal('Articles holds no item');
  return list.slice(0, MAX_NEWS_ARTICLES).map((item, index) => {
    if (typeof item === 'string' && item !== '') throw new Refusal(`Articles/item[${index + 1}] must hold elements`);
    const fields = typeof item === 'string' ? {} : item;
    const field = (name: string) => text(fields, name, `Articles/item[${index + 1}]/${name}`) ?? '';
    return { title: field('Title'), description: field('Description'), picUrl: field('PicUrl'), url: field('Url') };
  });
}

function readReplyXml(root: ParsedXml, openid: string): PassiveReply {
  const toUserName = text(root, 'ToUserName');
  if (toUserName !== openid) {
    throw new Refusal(`ToUserName ${JSON.stringify(toUserName ?? null)} is not the follower the push came from (${openid})`);
  }
  const msgType = required(root, 'MsgType');
  const createTime = createTimeOf(root);
  const reply = (message: ReplyMessage): PassiveReply => ({ kind: 'reply', message, createTime });
  switch (msgType) {
    case 'text':
      // WeChat refuses an empty Content: an empty reply is an empty body, not an empty message.
      return reply({ type: 'text', content: required(root, 'Content') });
    case 'image':
      return reply({ type: 'image', mediaId: required(group(root, 'Image'), 'MediaId', 'Image/MediaId') });
    case 'voice':
      return reply({ type: 'voice', mediaId: required(group(root, 'Voice'), 'MediaId', 'Voice/MediaId') });
    case 'video': {
      const video = group(root, 'Video');
      return reply({
        type: 'video',
        mediaId: required(video, 'MediaId', 'Video/MediaId'),
        title: orNull(video, 'Title', 'Video/Title'),
        description: orNull(video, 'Description', 'Video/Description'),
      });
    }
    case 'music': {
      const music = group(root, 'Music');
      return reply({
        type: 'music',
        title: orNull(music, 'Title', 'Music/Title'),
        description: orNull(music, 'Description', 'Music/Description'),
        musicUrl: orNull(music, 'MusicUrl', 'Music/MusicUrl'),
        hqMusicUrl: orNull(music, 'HQMusicUrl', 'Music/HQMusicUrl'),
        thumbMediaId: required(music, 'ThumbMediaId', 'Music/ThumbMediaId'),
      });
    }
    case 'news':
      return reply({ type: 'news', articles: newsArticles(root) });
    case 'transfer_customer_service':
      return { kind: 'transfer_customer_service' };
    default:
      throw new Refusal(`unsupported MsgType ${msgType}`);
  }
}

function decryptReply(root: ParsedXml, encrypted: string, input: { token: string; encodingAesKey: string; appid: string }): string {
  const msgSignature = required(root, 'MsgSignature');
  // Used exactly as sent: a TimeStamp in milliseconds or a numeric Nonce signs like any other string.
  const timestamp = required(root, 'TimeStamp');
  const nonce = required(root, 'Nonce');
  try {
    if (!signatureMatches(wechatMsgSignature(input.token, timestamp, nonce, encrypted), msgSignature)) {
      throw new WechatCryptoError('ValidateSignature', 'MsgSignature does not match the encrypted reply');
    }
    return decryptWechatMessage(encrypted, { encodingAesKey: input.encodingAesKey, appid: input.appid }).message;
  } catch (error) {
    if (error instanceof WechatCryptoError) throw new Refusal(`${error.reason} (${error.code}): ${error.message}`);
    throw error;
  }
}

/**
 * Reads a developer server's answer to a push. `success` or an empty body (surrounding whitespace allowed) needs
 * no encryption in any mode; anything else must be an encrypted reply in safe mode, and may be plain or encrypted
 * in the other two. FromUserName is not checked (WeChat does not), ToUserName must be the follower.
 */
export function readPassiveReply(input: {
  body: string;
  mode: PushMode;
  token: string;
  encodingAesKey: string;
  appid: string;
  openid: string;
  /** The account's gh_ id: what FromUserName should be, though WeChat does not insist, and neither does this. */
  originalId: string;
}): PassiveReplyResult {
  try {
    if (isNoReply(input.body)) return { ok: true, reply: { kind: 'none' } };
    let root = parse(input.body, 'reply');
    const encrypted = text(root, 'Encrypt');
    if (encrypted !== undefined) {
      const inner = decryptReply(root, encrypted, input);
      if (isNoReply(inner)) return { ok: true, reply: { kind: 'none' } };
      root = parse(inner, 'decrypted reply');
      if (root.Encrypt !== undefined) throw new Refusal('the decrypted reply is encrypted again');
    } else if (input.mode === 'safe') {
      throw new Refusal('safe mode requires an encrypted reply (only success or an empty body may be plain)');
    }
    return { ok: true, reply: readReplyXml(root, input.openid) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, reason: error.message };
    // Not expected; still the server's doing, so reported rather than thrown into the relay.
    return { ok: false, reason: `the reply could not be read: ${(error as Error).message}` };
  }
}
