import { createDecipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildPushRequest, pushXmlFields, renderPushXml, type PushContent, type PushHeader, type PushMode } from '../../src/modules/webhooks/push-render.js';
import { parseWechatXml } from '../../src/modules/webhooks/wechat-xml.js';

// Expected XML is written out by hand from the protocol reference (§5.2, §5.3, §2.9), and requests are decoded
// below with node:crypto straight from §6.2, so neither side leans on the code under test.

const header: PushHeader = { toUserName: 'gh_10f6c3c3ac5a', fromUserName: 'oyORnuP8q7ou2gfYjqLzSIWZf0rs', createTime: 1409735668 };
const HEAD = [
  '<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>',
  '<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>',
  '<CreateTime>1409735668</CreateTime>',
];
const xml = (...lines: string[]) => [...HEAD, ...lines, '</xml>'].join('\n');

function message(msgType: Extract<PushContent, { kind: 'message' }>['msgType'], body: Record<string, unknown>, msgId = '6054768590064713728'): PushContent {
  return { kind: 'message', msgType, msgId, body };
}

function sha1OfSorted(parts: string[]): string {
  return createHash('sha1').update([...parts].sort().join('')).digest('hex');
}

/** §6.2: base64 → AES-256-CBC (key = base64(EncodingAESKey + "="), IV = key[0..16)) → unpad to 32 → random ‖ len ‖ msg ‖ appid. */
function decryptBySpec(encrypted: string, encodingAesKey: string): { random: Buffer; message: string; appid: string } {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  expect(key.length).toBe(32);
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
  const pad = padded[padded.length - 1]!;
  expect(pad).toBeGreaterThanOrEqual(1);
  expect(pad).toBeLessThanOrEqual(32);
  expect([...padded.subarray(padded.length - pad)].every((byte) => byte === pad)).toBe(true);
  const plain = padded.subarray(0, padded.length - pad);
  const length = plain.readUInt32BE(16);
  return { random: plain.subarray(0, 16), message: plain.subarray(20, 20 + length).toString('utf8'), appid: plain.subarray(20 + length).toString('utf8') };
}

describe('push XML of ordinary messages', () => {
  it('writes a text message byte for byte as the plaintext of WeChat’s published safe-mode vector', () => {
    expect(renderPushXml(header, message('text', { Content: 'abcdteT' }))).toBe(
      xml('<MsgType><![CDATA[text]]></MsgType>', '<Content><![CDATA[abcdteT]]></Content>', '<MsgId>6054768590064713728</MsgId>'),
    );
  });

  it('writes a location with bare numbers in the order X, Y, Scale, Label', () => {
    expect(renderPushXml(header, message('location', { Location_X: 23.134521, Location_Y: 113.358803, Scale: 20, Label: '位置信息' }, '1234567890123456'))).toBe(
      xml(
        '<MsgType><![CDATA[location]]></MsgType>',
        '<Location_X>23.134521</Location_X>',
        '<Location_Y>113.358803</Location_Y>',
        '<Scale>20</Scale>',
        '<Label><![CDATA[位置信息]]></Label>',
        '<MsgId>1234567890123456</MsgId>',
      ),
    );
  });

  it.each([
    ['image', { PicUrl: 'http://example.com/p.jpg', MediaId: 'media_id' }, ['<PicUrl><![CDATA[http://example.com/p.jpg]]></PicUrl>', '<MediaId><![CDATA[media_id]]></MediaId>']],
    ['voice', { MediaId: 'media_id', Format: 'amr' }, ['<MediaId><![CDATA[media_id]]></MediaId>', '<Format><![CDATA[amr]]></Format>']],
    [
      'voice',
      { MediaId: 'media_id', Format: 'amr', Recognition: '你好' },
      ['<MediaId><![CDATA[media_id]]></MediaId>', '<Format><![CDATA[amr]]></Format>', '<Recognition><![CDATA[你好]]></Recognition>'],
    ],
    ['video', { MediaId: 'media_id', ThumbMediaId: 'thumb_media_id' }, ['<MediaId><![CDATA[media_id]]></MediaId>', '<ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>']],
    ['shortvideo', { MediaId: 'media_id', ThumbMediaId: 'thumb_media_id' }, ['<MediaId><![CDATA[media_id]]></MediaId>', '<ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>']],
    [
      'link',
      { Title: '公众平台官网链接', Description: '公众平台官网链接', Url: 'url' },
      ['<Title><![CDATA[公众平台官网链接]]></Title>', '<Description><![CDATA[公众平台官网链接]]></Description>', '<Url><![CDATA[url]]></Url>'],
    ],
  ] as const)('writes a %s message with its own elements, then MsgId', (msgType, body, lines) => {
    expect(renderPushXml(header, message(msgType, body))).toBe(xml(`<MsgType><![CDATA[${msgType}]]></MsgType>`, ...lines, '<MsgId>6054768590064713728</MsgId>'));
  });

  it('writes the largest 64-bit MsgId exactly, bare', () => {
    const pushed = renderPushXml(header, message('text', { Content: 'x' }, '9223372036854775807'));
    expect(pushed).toContain('\n<MsgId>9223372036854775807</MsgId>\n</xml>');
    expect(parseWechatXml(pushed).MsgId).toBe('9223372036854775807');
  });

  it('pushes only the fields of the type, whatever else the stored body holds', () => {
    const pushed = renderPushXml(header, message('video', { MediaId: 'm', ThumbMediaId: 't', MediaUrl: 'http://example.com/v.mp4', ThumbUrl: 'http://example.com/t.jpg', Content: 'x' }));
    expect(pushed).toBe(xml('<MsgType><![CDATA[video]]></MsgType>', '<MediaId><![CDATA[m]]></MediaId>', '<ThumbMediaId><![CDATA[t]]></ThumbMediaId>', '<MsgId>6054768590064713728</MsgId>'));
    expect(renderPushXml(header, message('voice', { MediaId: 'm', Format: 'amr', Recognition: null }))).not.toContain('Recognition');
  });

  it('throws an error naming the field a stored message lacks, or holds with the wrong type', () => {
    expect(() => renderPushXml(header, message('text', {}))).toThrow(/Content/);
    expect(() => renderPushXml(header, message('image', { PicUrl: 'p' }))).toThrow(/MediaId/);
    expect(() => renderPushXml(header, message('location', { Location_X: 1, Location_Y: '2', Scale: 3, Label: 'l' }))).toThrow(/Location_Y/);
    expect(() => renderPushXml(header, message('link', { Title: 't', Description: 'd' }))).toThrow(/Url/);
    expect(() => renderPushXml(header, message('voice', { MediaId: 'm', Format: 'amr', Recognition: 3 }))).toThrow(/Recognition/);
  });

  it('refuses a MsgId that is not a 64-bit decimal', () => {
    for (const msgId of ['', '-1', '1e3', '18446744073709551616', '12 ']) {
      expect(() => renderPushXml(header, message('text', { Content: 'x' }, msgId))).toThrow(/MsgId/);
    }
    expect(renderPushXml(header, message('text', { Content: 'x' }, '18446744073709551615'))).toContain('<MsgId>18446744073709551615</MsgId>');
  });
});

describe('push XML of events', () => {
  it('writes a follow by parametric QR code with the qrscene_ prefix and the ticket', () => {
    expect(renderPushXml(header, { kind: 'subscribe', qrScene: 123123, qrSceneStr: null, ticket: 'TICKET' })).toBe(
      xml('<MsgType><![CDATA[event]]></MsgType>', '<Event><![CDATA[subscribe]]></Event>', '<EventKey><![CDATA[qrscene_123123]]></EventKey>', '<Ticket><![CDATA[TICKET]]></Ticket>'),
    );
    expect(renderPushXml(header, { kind: 'subscribe', qrScene: null, qrSceneStr: 'spring', ticket: null })).toBe(
      xml('<MsgType><![CDATA[event]]></MsgType>', '<Event><![CDATA[subscribe]]></Event>', '<EventKey><![CDATA[qrscene_spring]]></EventKey>'),
    );
  });

  it('writes a plain follow with an empty EventKey and no Ticket', () => {
    expect(renderPushXml(header, { kind: 'subscribe', qrScene: null, qrSceneStr: null, ticket: null })).toBe(
      xml('<MsgType><![CDATA[event]]></MsgType>', '<Event><![CDATA[subscribe]]></Event>', '<EventKey><![CDATA[]]></EventKey>'),
    );
  });

  it('writes an unfollow with an empty EventKey', () => {
    expect(renderPushXml(header, { kind: 'unsubscribe' })).toBe(xml('<MsgType><![CDATA[event]]></MsgType>', '<Event><![CDATA[unsubscribe]]></Event>', '<EventKey><![CDATA[]]></EventKey>'));
  });

  it('writes a SCAN with the raw scene (no prefix), and the ticket when known', () => {
    expect(renderPushXml(header, { kind: 'SCAN', scene: '123123', ticket: 'TICKET' })).toBe(
      xml('<MsgType><![CDATA[event]]></MsgType>', '<Event><![CDATA[SCAN]]></Event>', '<EventKey><![CDATA[123123]]></EventKey>', '<Ticket><![CDATA[TICKET]]></Ticket>'),
    );
    expect(renderPushXml(header, { kind: 'SCAN', scene: 'spring', ticket: null })).toBe(
      xml('<MsgType><![CDATA[event]]></MsgType>', '<Event><![CDATA[SCAN]]></Event>', '<EventKey><![CDATA[spring]]></EventKey>'),
    );
  });

  it('writes MASSSENDJOBFINISH with MsgID (capital ID, bare, exact), the counts and an empty copyright check', () => {
    const content: PushContent = {
      kind: 'MASSSENDJOBFINISH',
      msgId: '9223372036854775807',
      status: 'send success',
      totalCount: 2,
      filterCount: 1,
      sentCount: 1,
      errorCount: 0,
    };
    expect(renderPushXml({ toUserName: 'gh_4d00ed8d6399', fromUserName: 'oV5CrjpxgaGXNHIQigzNlgLTnwic', createTime: 1481013459 }, content)).toBe(
      [
        '<xml><ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName>',
        '<FromUserName><![CDATA[oV5CrjpxgaGXNHIQigzNlgLTnwic]]></FromUserName>',
        '<CreateTime>1481013459</CreateTime>',
        '<MsgType><![CDATA[event]]></MsgType>',
        '<Event><![CDATA[MASSSENDJOBFINISH]]></Event>',
        '<MsgID>9223372036854775807</MsgID>',
        '<Status><![CDATA[send success]]></Status>',
        '<TotalCount>2</TotalCount>',
        '<FilterCount>1</FilterCount>',
        '<SentCount>1</SentCount>',
        '<ErrorCount>0</ErrorCount>',
        '<CopyrightCheckResult><Count>0</Count><ResultList></ResultList><CheckState>1</CheckState></CopyrightCheckResult>',
        '</xml>',
      ].join('\n'),
    );
  });

  it('gives the elements as fields in order, the same that renderPushXml writes', () => {
    const fields = pushXmlFields(header, { kind: 'SCAN', scene: '7', ticket: null });
    expect(fields.map(([name]) => name)).toEqual(['ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Event', 'EventKey']);
  });
});

describe('the push request in each mode', () => {
  const token = 'spamtest';
  const encodingAesKey = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
  const appid = 'wx2c2769f8efd9abc2';
  const timestamp = '1409735669';
  const nonce = '1320562132';
  const content = message('text', { Content: 'abcdteT' });
  const build = (mode: PushMode, openid: string | null = 'oyORnuP8q7ou2gfYjqLzSIWZf0rs') =>
    buildPushRequest({ header, content, mode, token, encodingAesKey, appid, openid, timestamp, nonce });

  it('plaintext: the push XML, signed with sha1 of the sorted token, timestamp and nonce, and the openid', () => {
    const request = build('plaintext');
    expect(request.body).toBe(renderPushXml(header, content));
    expect(request.query).toEqual({ signature: sha1OfSorted([token, timestamp, nonce]), timestamp, nonce, openid: 'oyORnuP8q7ou2gfYjqLzSIWZf0rs' });
    expect(request.query.signature).toBe('16120ec1b8dbb870f510d87ce6bc2463eae6ca1a');
  });

  it('leaves openid out when the push is not a follower’s', () => {
    expect(build('plaintext', null).query).not.toHaveProperty('openid');
    expect(build('safe', null).query).not.toHaveProperty('openid');
  });

  it.each(['safe', 'compatible'] as const)('%s: encrypt_type=aes, msg_signature over the Encrypt, which decrypts to the push XML', (mode) => {
    const request = build(mode);
    const parsed = parseWechatXml(request.body);
    const encrypted = parsed.Encrypt as string;
    expect(request.query).toEqual({
      signature: sha1OfSorted([token, timestamp, nonce]),
      timestamp,
      nonce,
      openid: 'oyORnuP8q7ou2gfYjqLzSIWZf0rs',
      encrypt_type: 'aes',
      msg_signature: sha1OfSorted([token, timestamp, nonce, encrypted]),
    });
    const decrypted = decryptBySpec(encrypted, encodingAesKey);
    expect(decrypted.message).toBe(renderPushXml(header, content));
    expect(decrypted.appid).toBe(appid);
    expect(decrypted.random.length).toBe(16);
  });

  it('safe: the body holds the recipient and the Encrypt only', () => {
    const request = build('safe');
    const encrypted = parseWechatXml(request.body).Encrypt as string;
    expect(request.body).toBe(`<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<Encrypt><![CDATA[${encrypted}]]></Encrypt>\n</xml>`);
  });

  it('compatible: the body holds the plaintext fields followed by the Encrypt', () => {
    const request = build('compatible');
    const encrypted = parseWechatXml(request.body).Encrypt as string;
    expect(request.body).toBe(renderPushXml(header, content).replace(/\n<\/xml>$/, `\n<Encrypt><![CDATA[${encrypted}]]></Encrypt>\n</xml>`));
  });

  it('uses fresh random bytes each time unless given some', () => {
    expect(parseWechatXml(build('safe').body).Encrypt).not.toBe(parseWechatXml(build('safe').body).Encrypt);
  });

  it('reproduces WeChat’s published vector A (WXBizMsgCrypt sample): Encrypt and msg_signature', () => {
    const published =
      'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=';
    for (const mode of ['safe', 'compatible'] as const) {
      const request = buildPushRequest({ header, content, mode, token, encodingAesKey, appid, openid: null, timestamp, nonce, random: Buffer.from('89465c840c5f116f') });
      expect(parseWechatXml(request.body).Encrypt).toBe(published);
      expect(request.query.msg_signature).toBe('5d197aaffba7e9b25a30732f161a50dee96bd5fa');
    }
  });
});

describe('push XML of menu events (§10.1.7)', () => {
  const menu = (event: Extract<PushContent, { kind: 'menu' }>['event'], rest: Partial<Extract<PushContent, { kind: 'menu' }>> = {}): PushContent => ({
    kind: 'menu',
    event,
    eventKey: 'EVENTKEY',
    menuId: null,
    details: null,
    ...rest,
  });

  it('writes a CLICK with the key as EventKey and no MenuId', () => {
    expect(renderPushXml(header, menu('CLICK'))).toBe(xml('<MsgType><![CDATA[event]]></MsgType>', '<Event><![CDATA[CLICK]]></Event>', '<EventKey><![CDATA[EVENTKEY]]></EventKey>'));
  });

  it('writes a VIEW with the URL as EventKey and MenuId as a bare number', () => {
    expect(renderPushXml(header, menu('VIEW', { eventKey: 'www.qq.com', menuId: '410418124' }))).toBe(
      xml('<MsgType><![CDATA[event]]></MsgType>', '<Event><![CDATA[VIEW]]></Event>', '<EventKey><![CDATA[www.qq.com]]></EventKey>', '<MenuId>410418124</MenuId>'),
    );
    expect(() => pushXmlFields(header, menu('VIEW'))).toThrow(/MenuId/);
  });

  it('writes the nested blocks of scancode, picture and location events as WeChat’s samples do', () => {
    expect(renderPushXml(header, menu('scancode_push', { eventKey: '6', details: { ScanCodeInfo: { ScanType: 'qrcode', ScanResult: '1' } } }))).toBe(
      xml(
        '<MsgType><![CDATA[event]]></MsgType>',
        '<Event><![CDATA[scancode_push]]></Event>',
        '<EventKey><![CDATA[6]]></EventKey>',
        '<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>',
      ),
    );
    expect(
      renderPushXml(header, menu('pic_sysphoto', { eventKey: '6', details: { SendPicsInfo: { Count: 1, PicList: [{ PicMd5Sum: '1b5f7c23b5bf75682a53e7b6d163e185' }] } } })),
    ).toContain('<SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum></item></PicList></SendPicsInfo>');
    const location = { Location_X: '23', Location_Y: '113', Scale: '15', Label: '广州市海珠区客村艺苑路 106号', Poiname: '' };
    expect(renderPushXml(header, menu('location_select', { eventKey: '6', details: { SendLocationInfo: location } }))).toContain(
      '<SendLocationInfo><Location_X><![CDATA[23]]></Location_X><Location_Y><![CDATA[113]]></Location_Y><Scale><![CDATA[15]]></Scale><Label><![CDATA[广州市海珠区客村艺苑路 106号]]></Label><Poiname><![CDATA[]]></Poiname></SendLocationInfo>',
    );
  });
});
