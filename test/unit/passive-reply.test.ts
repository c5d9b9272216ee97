import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readPassiveReply, type PassiveReply } from '../../src/modules/webhooks/passive-reply.js';
import type { PushMode } from '../../src/modules/webhooks/push-render.js';
import { encryptWechatMessage, wechatMsgSignature } from '../../src/modules/webhooks/wechat-crypto.js';

// Replies are written as the protocol reference shows them (§5.4), and encrypted envelopes are built here with
// node:crypto straight from §6.2, so the reader is checked against the specification, not against itself.

const token = 'spamtest';
const encodingAesKey = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const appid = 'wx2c2769f8efd9abc2';
const openid = 'oyORnuP8q7ou2gfYjqLzSIWZf0rs';
const originalId = 'gh_10f6c3c3ac5a';

function read(body: string, mode: PushMode = 'plaintext') {
  return readPassiveReply({ body, mode, token, encodingAesKey, appid, openid, originalId });
}

function accepted(body: string, mode: PushMode = 'plaintext'): PassiveReply {
  const result = read(body, mode);
  if (!result.ok) throw new Error(`expected the reply to be accepted, refused: ${result.reason}`);
  return result.reply;
}

function refused(body: string, mode: PushMode = 'plaintext'): string {
  const result = read(body, mode);
  if (result.ok) throw new Error(`expected the reply to be refused, got ${JSON.stringify(result.reply)}`);
  return result.reason;
}

/** A reply as WeChat's templates write it: the header, then the type's own elements. */
function replyXml(msgType: string, inner: string, options: { to?: string; createTime?: string } = {}): string {
  return (
    `<xml><ToUserName><![CDATA[${options.to ?? openid}]]></ToUserName><FromUserName><![CDATA[${originalId}]]></FromUserName>` +
    `<CreateTime>${options.createTime ?? '1409735669'}</CreateTime><MsgType><![CDATA[${msgType}]]></MsgType>${inner}</xml>`
  );
}

/** §6.2 by hand: random(16) ‖ uint32 BE length ‖ msg ‖ appid, PKCS#7 to 32, AES-256-CBC, key = base64(key + "="), IV = key[0..16). */
function encryptBySpec(message: string, forAppid = appid): string {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const plain = Buffer.concat([randomBytes(16), length, body, Buffer.from(forAppid, 'utf8')]);
  const pad = 32 - (plain.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

function envelope(encrypted: string, options: { timestamp?: string; nonce?: string; signature?: string; nonceXml?: string } = {}): string {
  const timestamp = options.timestamp ?? '1409735670';
  const nonce = options.nonce ?? 'abc123';
  const signature = options.signature ?? createHash('sha1').update([token, timestamp, nonce, encrypted].sort().join('')).digest('hex');
  return [
    '<xml>',
    `<Encrypt><![CDATA[${encrypted}]]></Encrypt>`,
    `<MsgSignature><![CDATA[${signature}]]></MsgSignature>`,
    `<TimeStamp>${timestamp}</TimeStamp>`,
    options.nonceXml ?? `<Nonce><![CDATA[${nonce}]]></Nonce>`,
    '</xml>',
  ].join('\n');
}

const item = (n: number) => `<item><Title><![CDATA[title ${n}]]></Title><Description><![CDATA[description ${n}]]></Description><PicUrl><![CDATA[http://example.com/${n}.jpg]]></PicUrl><Url><![CDATA[http://example.com/${n}]]></Url></item>`;
const article = (n: number) => ({ title: `title ${n}`, description: `description ${n}`, picUrl: `http://example.com/${n}.jpg`, url: `http://example.com/${n}` });

const cases: Array<[name: string, body: string, expected: PassiveReply]> = [
  ['text', replyXml('text', '<Content><![CDATA[你好]]></Content>'), { kind: 'reply', createTime: 1409735669, message: { type: 'text', content: '你好' } }],
  ['image', replyXml('image', '<Image><MediaId><![CDATA[media_id]]></MediaId></Image>'), { kind: 'reply', createTime: 1409735669, message: { type: 'image', mediaId: 'media_id' } }],
  ['voice', replyXml('voice', '<Voice><MediaId><![CDATA[media_id]]></MediaId></Voice>'), { kind: 'reply', createTime: 1409735669, message: { type: 'voice', mediaId: 'media_id' } }],
  [
    'video',
    replyXml('video', '<Video><MediaId><![CDATA[media_id]]></MediaId><Title><![CDATA[title]]></Title><Description><![CDATA[description]]></Description></Video>'),
    { kind: 'reply', createTime: 1409735669, message: { type: 'video', mediaId: 'media_id', title: 'title', description: 'description' } },
  ],
  [
    'video without title or description',
    replyXml('video', '<Video><MediaId><![CDATA[media_id]]></MediaId></Video>'),
    { kind: 'reply', createTime: 1409735669, message: { type: 'video', mediaId: 'media_id', title: null, description: null } },
  ],
  [
    'music',
    replyXml(
      'music',
      '<Music><Title><![CDATA[TITLE]]></Title><Description><![CDATA[DESCRIPTION]]></Description><MusicUrl><![CDATA[MUSIC_Url]]></MusicUrl><HQMusicUrl><![CDATA[HQ_MUSIC_Url]]></HQMusicUrl><ThumbMediaId><![CDATA[media_id]]></ThumbMediaId></Music>',
    ),
    { kind: 'reply', createTime: 1409735669, message: { type: 'music', title: 'TITLE', description: 'DESCRIPTION', musicUrl: 'MUSIC_Url', hqMusicUrl: 'HQ_MUSIC_Url', thumbMediaId: 'media_id' } },
  ],
  [
    'music with the thumbnail only',
    replyXml('music', '<Music><ThumbMediaId><![CDATA[media_id]]></ThumbMediaId></Music>'),
    { kind: 'reply', createTime: 1409735669, message: { type: 'music', title: null, description: null, musicUrl: null, hqMusicUrl: null, thumbMediaId: 'media_id' } },
  ],
  [
    'news with one article',
    replyXml('news', `<ArticleCount>1</ArticleCount><Articles>${item(1)}</Articles>`),
    { kind: 'reply', createTime: 1409735669, message: { type: 'news', articles: [article(1)] } },
  ],
  [
    'news with two articles, one lacking fields',
    replyXml('news', `<ArticleCount>2</ArticleCount><Articles>\n${item(1)}\n<item><Title><![CDATA[only a title]]></Title></item>\n</Articles>`),
    { kind: 'reply', createTime: 1409735669, message: { type: 'news', articles: [article(1), { title: 'only a title', description: '', picUrl: '', url: '' }] } },
  ],
  ['transfer to customer service', replyXml('transfer_customer_service', ''), { kind: 'transfer_customer_service' }],
];

describe('plain replies', () => {
  it.each(cases)('reads a %s reply', (_name, body, expected) => {
    expect(accepted(body)).toEqual(expected);
    expect(accepted(body, 'compatible')).toEqual(expected);
  });

  it.each(['success', '', '  success\n', '\r\n'])('reads %j as no reply, in every mode', (body) => {
    for (const mode of ['plaintext', 'compatible', 'safe'] as const) expect(accepted(body, mode)).toEqual({ kind: 'none' });
  });

  it('refuses a plain reply in safe mode', () => {
    expect(refused(cases[0]![1], 'safe')).toMatch(/safe mode requires an encrypted reply/);
  });

  it('reads a CreateTime in milliseconds as seconds', () => {
    expect(accepted(replyXml('text', '<Content>hi</Content>', { createTime: '1409735669123' }))).toMatchObject({ createTime: 1409735669 });
  });

  it('refuses a reply to another follower, or without ToUserName', () => {
    expect(refused(replyXml('text', '<Content>hi</Content>', { to: 'oSomeoneElse' }))).toMatch(/ToUserName "oSomeoneElse"/);
    expect(refused('<xml><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>')).toMatch(/ToUserName null/);
  });

  it('does not check FromUserName', () => {
    expect(accepted(replyXml('text', '<Content>hi</Content>').replace(originalId, 'gh_other'))).toMatchObject({ kind: 'reply' });
  });

  it('keeps the first 8 articles of a news reply, as WeChat does', () => {
    const reply = accepted(replyXml('news', `<ArticleCount>10</ArticleCount><Articles>${Array.from({ length: 10 }, (_, i) => item(i + 1)).join('')}</Articles>`));
    expect(reply).toEqual({ kind: 'reply', createTime: 1409735669, message: { type: 'news', articles: Array.from({ length: 8 }, (_, i) => article(i + 1)) } });
  });

  it.each([
    ['an empty text', replyXml('text', '<Content><![CDATA[]]></Content>'), /Content is missing or empty/],
    ['a text without Content', replyXml('text', ''), /Content is missing/],
    ['an image without MediaId', replyXml('image', '<Image></Image>'), /Image\/MediaId is missing/],
    ['a voice without Voice', replyXml('voice', '<MediaId>m</MediaId>'), /Voice is missing/],
    ['a music without ThumbMediaId', replyXml('music', '<Music><Title>t</Title></Music>'), /Music\/ThumbMediaId is missing/],
    ['news without articles', replyXml('news', '<ArticleCount>0</ArticleCount><Articles></Articles>'), /Articles holds no item/],
    ['news without ArticleCount', replyXml('news', `<Articles>${item(1)}</Articles>`), /ArticleCount is missing/],
    ['an unknown MsgType', replyXml('miniprogrampage', ''), /^unsupported MsgType miniprogrampage$/],
    ['no MsgType', `<xml><ToUserName>${openid}</ToUserName><CreateTime>1</CreateTime></xml>`, /MsgType is missing/],
    ['a CreateTime that is not a number', replyXml('text', '<Content>hi</Content>', { createTime: 'soon' }), /CreateTime "soon"/],
    ['a repeated Content', replyXml('text', '<Content>a</Content><Content>b</Content>'), /Content must be a single text element/],
    ['a JSON body', '{"ToUserName":"x","MsgType":"text","Content":"hi"}', /^unreadable reply \(malformed\): /],
    ['another root', '<reply><MsgType>text</MsgType></reply>', /^unreadable reply \(not_wechat_xml\)/],
  ])('refuses %s with a reason', (_name, body, reason) => {
    expect(refused(body)).toMatch(reason);
  });

  it('refuses a billion-laughs reply without expanding it, with a reason and no exception', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
      replyXml('text', '<Content>&lol3;</Content>');
    expect(refused(laughs)).toMatch(/^unreadable reply \(doctype\)/);
    expect(refused(laughs, 'safe')).toMatch(/^unreadable reply \(doctype\)/);
  });

  it('refuses a reply over 64 KiB with a reason', () => {
    expect(refused(replyXml('text', `<Content>${'a'.repeat(70_000)}</Content>`))).toMatch(/^unreadable reply \(too_large\)/);
  });
});

describe('encrypted replies', () => {
  it.each(cases)('reads an encrypted %s reply in every mode (envelope built from the specification)', (_name, body, expected) => {
    const encrypted = envelope(encryptBySpec(body));
    for (const mode of ['plaintext', 'compatible', 'safe'] as const) expect(accepted(encrypted, mode)).toEqual(expected);
  });

  it('reads a reply encrypted with the shared encryptor, as an SDK would send it', () => {
    const encrypted = encryptWechatMessage(cases[0]![1], { encodingAesKey, appid });
    const body = `<xml><Encrypt><![CDATA[${encrypted}]]></Encrypt><MsgSignature><![CDATA[${wechatMsgSignature(token, '1409735670', '42', encrypted)}]]></MsgSignature><TimeStamp>1409735670</TimeStamp><Nonce><![CDATA[42]]></Nonce></xml>`;
    expect(accepted(body, 'safe')).toEqual(cases[0]![2]);
  });

  it('accepts a numeric Nonce and a TimeStamp in milliseconds, signed as sent', () => {
    const encrypted = encryptBySpec(replyXml('text', '<Content>hi</Content>', { createTime: '1409735669000' }));
    const body = envelope(encrypted, { timestamp: '1409735670000', nonce: '1320562132', nonceXml: '<Nonce>1320562132</Nonce>' });
    expect(accepted(body, 'safe')).toEqual({ kind: 'reply', createTime: 1409735669, message: { type: 'text', content: 'hi' } });
  });

  it('refuses a bad MsgSignature', () => {
    const body = envelope(encryptBySpec(cases[0]![1]), { signature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa' });
    expect(refused(body, 'safe')).toMatch(/^ValidateSignature \(-40001\)/);
  });

  it('refuses a reply encrypted for another appid', () => {
    expect(refused(envelope(encryptBySpec(cases[0]![1], 'wx0000000000000000')), 'safe')).toMatch(/^ValidateAppid \(-40005\)/);
  });

  it('refuses a reply encrypted with another key, or an Encrypt that is not base64', () => {
    const otherKey = encryptWechatMessage(cases[0]![1], { encodingAesKey: 'A'.repeat(43), appid });
    expect(refused(envelope(otherKey), 'safe')).toMatch(/^(IllegalBuffer \(-40008\)|ValidateAppid \(-40005\))/);
    expect(refused(envelope('not base64!'), 'safe')).toMatch(/^DecodeBase64 \(-40010\)/);
  });

  it('refuses an Encrypt without MsgSignature, TimeStamp or Nonce', () => {
    const encrypted = encryptBySpec(cases[0]![1]);
    const full = envelope(encrypted);
    expect(refused(full.replace(/<MsgSignature>.*<\/MsgSignature>/, ''), 'safe')).toMatch(/MsgSignature is missing/);
    expect(refused(full.replace(/<TimeStamp>.*<\/TimeStamp>/, ''), 'safe')).toMatch(/TimeStamp is missing/);
    expect(refused(full.replace(/<Nonce>.*<\/Nonce>/, ''), 'safe')).toMatch(/Nonce is missing/);
  });

  it('refuses what the decrypted reply holds as it would a plain one', () => {
    expect(refused(envelope(encryptBySpec(replyXml('text', '<Content>hi</Content>', { to: 'oSomeoneElse' }))), 'safe')).toMatch(/ToUserName/);
    expect(refused(envelope(encryptBySpec('{"MsgType":"text"}')), 'safe')).toMatch(/^unreadable decrypted reply \(malformed\): /);
  });

  it('reads an encrypted success as no reply', () => {
    expect(accepted(envelope(encryptBySpec('success')), 'safe')).toEqual({ kind: 'none' });
  });
});
