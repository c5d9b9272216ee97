import { encryptWechatMessage, wechatMsgSignature, wechatSignature } from './wechat-crypto.js';
import { renderEncryptedPush, renderWechatXml, type XmlFields, type XmlValue } from './wechat-xml.js';

/**
 * What the relay sends to a developer's server: the push XML of a message or an event, element for element as
 * WeChat writes it (protocol reference §5.2, §5.3, §2.9), and the signed (and, in compatible and safe mode,
 * encrypted) request around it (§6).
 */

export type PushMessageType = 'text' | 'image' | 'voice' | 'video' | 'shortvideo' | 'location' | 'link';

/** The menu events a tap raises (§10.1.7): Event is CLICK or VIEW, or the button's type for the others. */
export const MENU_EVENTS = ['CLICK', 'VIEW', 'scancode_push', 'scancode_waitmsg', 'pic_sysphoto', 'pic_photo_or_album', 'pic_weixin', 'location_select'] as const;
export type MenuEvent = (typeof MENU_EVENTS)[number];

export function isMenuEvent(kind: string): kind is MenuEvent {
  return (MENU_EVENTS as readonly string[]).includes(kind);
}

/** The nested block of a scan, photo or location menu event, under WeChat's names (§10.1.7). */
export type MenuEventDetails =
  | { ScanCodeInfo: { ScanType: string; ScanResult: string } }
  | { SendPicsInfo: { Count: number; PicList: Array<{ PicMd5Sum: string }> } }
  | { SendLocationInfo: { Location_X: string; Location_Y: string; Scale: string; Label: string; Poiname: string } };

export type PushContent =
  | {
      kind: 'menu';
      event: MenuEvent;
      /** The button's key; the URL for VIEW. */
      eventKey: string;
      /** The menu's menuid (decimal), pushed as MenuId with VIEW. */
      menuId: string | null;
      details: MenuEventDetails | null;
    }
  | {
      kind: 'message';
      msgType: PushMessageType;
      /** A 64-bit decimal id: kept as a string and written through BigInt, never through a JS number. */
      msgId: string;
      /** The message's fields as stored, under WeChat's names (Content, PicUrl, MediaId, Location_X, …). */
      body: Record<string, unknown>;
    }
  | { kind: 'subscribe'; qrScene: number | null; qrSceneStr: string | null; ticket: string | null }
  | { kind: 'unsubscribe' }
  | { kind: 'SCAN'; scene: string; ticket: string | null }
  | {
      kind: 'MASSSENDJOBFINISH';
      msgId: string;
      /** 'send success' | 'send fail' | 'err(n)' */
      status: string;
      totalCount: number;
      filterCount: number;
      sentCount: number;
      errorCount: number;
    }
  | {
      kind: 'TEMPLATESENDJOBFINISH';
      msgId: string;
      /** 'success' | 'failed:user block' | 'failed: system failed' (§10.3.3). */
      status: string;
    };

export interface PushHeader {
  /** The account's original id (gh_…). */
  toUserName: string;
  /** The follower's openid. */
  fromUserName: string;
  /** Seconds since the epoch. */
  createTime: number;
}

export type PushMode = 'plaintext' | 'compatible' | 'safe';

/** The POST the relay makes: the XML body, and the query string WeChat puts on the developer's URL. */
export interface PushRequest {
  body: string;
  query: Record<string, string>;
}

const UINT64_MAX = (1n << 64n) - 1n;

function id64(name: string, value: string): bigint {
  if (!/^[0-9]{1,20}$/.test(value) || BigInt(value) > UINT64_MAX) {
    throw new Error(`${name} ${JSON.stringify(value)} is not a 64-bit unsigned decimal`);
  }
  return BigInt(value);
}

function count(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

/** Reads the stored fields of one message type; a field that is missing or of the wrong type is named in the error. */
function bodyReader(msgType: PushMessageType, body: Record<string, unknown>) {
  const refuse = (name: string, expected: string): never => {
    const value = body[name];
    throw new Error(`the stored ${msgType} message has no ${name} (${expected}), got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
  };
  const text = (name: string): string => {
    const value = body[name];
    return typeof value === 'string' ? value : refuse(name, 'a string');
  };
  const number = (name: string): number => {
    const value = body[name];
    return typeof value === 'number' && Number.isFinite(value) ? value : refuse(name, 'a number');
  };
  const optionalText = (name: string): string | undefined => (body[name] === undefined || body[name] === null ? undefined : text(name));
  return { text, number, optionalText };
}

/** The type's own elements, in WeChat's order; whatever else the stored body holds is not pushed. */
function messageFields(msgType: PushMessageType, body: Record<string, unknown>): Array<[string, XmlValue]> {
  const read = bodyReader(msgType, body);
  switch (msgType) {
    case 'text':
      return [['Content', read.text('Content')]];
    case 'image':
      return [
        ['PicUrl', read.text('PicUrl')],
        ['MediaId', read.text('MediaId')],
      ];
    case 'voice': {
      const recognition = read.optionalText('Recognition');
      return [['MediaId', read.text('MediaId')], ['Format', read.text('Format')], ...(recognition === undefined ? [] : [['Recognition', recognition] as [string, XmlValue]])];
    }
    case 'video':
    case 'shortvideo':
      return [
        ['MediaId', read.text('MediaId')],
        ['ThumbMediaId', read.text('ThumbMediaId')],
      ];
    case 'location':
      return [
        ['Location_X', read.number('Location_X')],
        ['Location_Y', read.number('Location_Y')],
        ['Scale', read.number('Scale')],
        ['Label', read.text('Label')],
      ];
    case 'link':
      return [
        ['Title', read.text('Title')],
        ['Description', read.text('Description')],
        ['Url', read.text('Url')],
      ];
    default:
      throw new Error(`message type ${JSON.stringify(msgType)} cannot be pushed`);
  }
}

/** The nested block of a menu event; a stored block of the wrong shape is named in the error. */
function menuDetailFields(details: MenuEventDetails): Array<[string, XmlValue]> {
  const text = (value: unknown, name: string): string => {
    if (typeof value !== 'string') throw new Error(`the menu event's ${name} must be a string, got ${JSON.stringify(value)}`);
    return value;
  };
  if ('ScanCodeInfo' in details) {
    const info = details.ScanCodeInfo;
    return [
      [
        'ScanCodeInfo',
        [
          ['ScanType', text(info.ScanType, 'ScanType')],
          ['ScanResult', text(info.ScanResult, 'ScanResult')],
        ],
      ],
    ];
  }
  if ('SendPicsInfo' in details) {
    const pics = details.SendPicsInfo.PicList;
    if (!Array.isArray(pics)) throw new Error('the menu event has no PicList');
    return [
      [
        'SendPicsInfo',
        [
          ['Count', count('Count', details.SendPicsInfo.Count)],
          ['PicList', pics.map((pic): [string, XmlValue] => ['item', [['PicMd5Sum', text(pic.PicMd5Sum, 'PicMd5Sum')]]])],
        ],
      ],
    ];
  }
  if ('SendLocationInfo' in details) {
    const info = details.SendLocationInfo;
    // CDATA strings here, unlike the bare numbers of a location message: as in WeChat's own samples.
    return [
      [
        'SendLocationInfo',
        (['Location_X', 'Location_Y', 'Scale', 'Label', 'Poiname'] as const).map((name): [string, XmlValue] => [name, text(info[name], name)]),
      ],
    ];
  }
  throw new Error(`menu event details ${JSON.stringify(details)} cannot be rendered`);
}

function contentFields(content: PushContent): Array<[string, XmlValue]> {
  switch (content.kind) {
    case 'menu': {
      const fields: Array<[string, XmlValue]> = [
        ['MsgType', 'event'],
        ['Event', content.event],
        ['EventKey', content.eventKey],
      ];
      // VIEW carries the bare number MenuId (the doc's table says MenuID; the element is MenuId): §10.1.7.
      if (content.event === 'VIEW') {
        if (content.menuId === null) throw new Error('a VIEW push needs its MenuId');
        fields.push(['MenuId', id64('MenuId', content.menuId)]);
      }
      if (content.details !== null) fields.push(...menuDetailFields(content.details));
      return fields;
    }
    case 'message':
      return [['MsgType', content.msgType], ...messageFields(content.msgType, content.body), ['MsgId', id64('MsgId', content.msgId)]];
    case 'subscribe': {
      const scene = content.qrScene ?? content.qrSceneStr;
      // A plain follow still carries an empty EventKey in real pushes.
      const fields: Array<[string, XmlValue]> = [
        ['MsgType', 'event'],
        ['Event', 'subscribe'],
        ['EventKey', scene === null ? '' : `qrscene_${scene}`],
      ];
      if (content.ticket !== null) fields.push(['Ticket', content.ticket]);
      return fields;
    }
    case 'unsubscribe':
      return [
        ['MsgType', 'event'],
        ['Event', 'unsubscribe'],
        ['EventKey', ''],
      ];
    case 'SCAN': {
      // The raw scene value: only a follow by QR code gets the qrscene_ prefix.
      const fields: Array<[string, XmlValue]> = [
        ['MsgType', 'event'],
        ['Event', 'SCAN'],
        ['EventKey', content.scene],
      ];
      if (content.ticket !== null) fields.push(['Ticket', content.ticket]);
      return fields;
    }
    case 'MASSSENDJOBFINISH':
      return [
        ['MsgType', 'event'],
        ['Event', 'MASSSENDJOBFINISH'],
        // Capital ID here, unlike the MsgId of ordinary messages.
        ['MsgID', id64('MsgID', content.msgId)],
        ['Status', content.status],
        ['TotalCount', count('TotalCount', content.totalCount)],
        ['FilterCount', count('FilterCount', content.filterCount)],
        ['SentCount', count('SentCount', content.sentCount)],
        ['ErrorCount', count('ErrorCount', content.errorCount)],
        // No copyright check runs here: what WeChat sends for a mass that was not judged a reprint.
        [
          'CopyrightCheckResult',
          [
            ['Count', 0],
            ['ResultList', []],
            ['CheckState', 1],
          ],
        ],
      ];
    case 'TEMPLATESENDJOBFINISH':
      return [
        ['MsgType', 'event'],
        ['Event', 'TEMPLATESENDJOBFINISH'],
        // Capital ID, as in MASSSENDJOBFINISH (§10.3.3).
        ['MsgID', id64('MsgID', content.msgId)],
        ['Status', content.status],
      ];
    default:
      throw new Error(`push kind ${JSON.stringify((content as { kind: unknown }).kind)} cannot be rendered`);
  }
}

/** The push's elements in WeChat's order; throws an Error naming the field when a stored message cannot be rendered. */
export function pushXmlFields(header: PushHeader, content: PushContent): XmlFields {
  if (!Number.isSafeInteger(header.createTime)) throw new Error(`CreateTime must be an integer number of seconds, got ${header.createTime}`);
  return [['ToUserName', header.toUserName], ['FromUserName', header.fromUserName], ['CreateTime', header.createTime], ...contentFields(content)];
}

export function renderPushXml(header: PushHeader, content: PushContent): string {
  return renderWechatXml(pushXmlFields(header, content));
}

/**
 * The request for one push in the account's mode. `signature` is always there (and `openid` for a follower's
 * push); compatible and safe mode add `encrypt_type=aes` and `msg_signature`, and send the encrypted push
 * alongside the plaintext fields (compatible) or alone (safe). `random` fixes the 16-byte prefix for tests.
 */
export function buildPushRequest(input: {
  header: PushHeader;
  content: PushContent;
  mode: PushMode;
  token: string;
  encodingAesKey: string;
  appid: string;
  openid: string | null;
  timestamp: string;
  nonce: string;
  random?: Buffer;
}): PushRequest {
  const { token, timestamp, nonce } = input;
  const query: Record<string, string> = { signature: wechatSignature(token, timestamp, nonce), timestamp, nonce };
  if (input.openid !== null) query.openid = input.openid;
  const fields = pushXmlFields(input.header, input.content);
  const plaintext = renderWechatXml(fields);
  if (input.mode === 'plaintext') return { body: plaintext, query };

  const encrypted = encryptWechatMessage(plaintext, { encodingAesKey: input.encodingAesKey, appid: input.appid }, input.random);
  query.encrypt_type = 'aes';
  query.msg_signature = wechatMsgSignature(token, timestamp, nonce, encrypted);
  const body = input.mode === 'safe' ? renderEncryptedPush(input.header.toUserName, encrypted) : renderWechatXml([...fields, ['Encrypt', encrypted]]);
  return { body, query };
}
