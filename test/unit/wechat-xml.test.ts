import { describe, expect, it } from 'vitest';
import { MAX_WECHAT_XML_BYTES, parseWechatXml, renderEncryptedPush, renderWechatXml, WechatXmlError } from '../../src/modules/webhooks/wechat-xml.js';

function refusal(text: string): string {
  try {
    parseWechatXml(text);
  } catch (error) {
    expect(error).toBeInstanceOf(WechatXmlError);
    return (error as WechatXmlError).reason;
  }
  throw new Error('expected the XML to be refused');
}

describe('writing WeChat XML', () => {
  it("writes a text message push byte for byte as WeChat's sample (the plaintext of its safe-mode vector)", () => {
    const xml = renderWechatXml([
      ['ToUserName', 'gh_10f6c3c3ac5a'],
      ['FromUserName', 'oyORnuP8q7ou2gfYjqLzSIWZf0rs'],
      ['CreateTime', 1409735668],
      ['MsgType', 'text'],
      ['Content', 'abcdteT'],
      ['MsgId', 6054768590064713728n],
    ]);
    expect(xml).toBe(
      [
        '<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>',
        '<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>',
        '<CreateTime>1409735668</CreateTime>',
        '<MsgType><![CDATA[text]]></MsgType>',
        '<Content><![CDATA[abcdteT]]></Content>',
        '<MsgId>6054768590064713728</MsgId>',
        '</xml>',
      ].join('\n'),
    );
  });

  it('nests lists of items (MASSSENDJOBFINISH) and reads back what it wrote, 64-bit ids exact', () => {
    const xml = renderWechatXml([
      ['ToUserName', 'gh_4d00ed8d6399'],
      ['FromUserName', 'oV5CrjpxgaGXNHIQigzNlgLTnwic'],
      ['CreateTime', 1481013459],
      ['MsgType', 'event'],
      ['Event', 'MASSSENDJOBFINISH'],
      ['MsgID', 9223372036854775807n],
      ['Status', 'send success'],
      ['TotalCount', 2],
      ['FilterCount', 1],
      ['SentCount', 1],
      ['ErrorCount', 0],
      [
        'ArticleUrlResult',
        [
          ['Count', 2],
          [
            'ResultList',
            [
              ['item', [['ArticleIdx', 1], ['ArticleUrl', 'http://example.com/1']]],
              ['item', [['ArticleIdx', 2], ['ArticleUrl', 'http://example.com/2']]],
            ],
          ],
        ],
      ],
    ]);
    expect(xml).toContain('<TotalCount>2</TotalCount>\n<FilterCount>1</FilterCount>');
    const parsed = parseWechatXml(xml);
    expect(parsed).toMatchObject({ MsgID: '9223372036854775807', Status: 'send success', ErrorCount: '0' });
    expect(parsed.ArticleUrlResult).toEqual({
      Count: '2',
      ResultList: { item: [{ ArticleIdx: '1', ArticleUrl: 'http://example.com/1' }, { ArticleIdx: '2', ArticleUrl: 'http://example.com/2' }] },
    });
  });

  it('keeps text that contains "]]>", markup or emoji intact, and replaces characters XML cannot carry', () => {
    const content = 'a]]>b <b>&amp;</b> 😀 \u0001\u001f end';
    const xml = renderWechatXml([['Content', content]]);
    expect(parseWechatXml(xml).Content).toBe('a]]>b <b>&amp;</b> 😀 \uFFFD\uFFFD end');
  });

  it('refuses element names and numbers XML cannot carry', () => {
    expect(() => renderWechatXml([['bad name', 'x']])).toThrow(RangeError);
    expect(() => renderWechatXml([['Scale', Number.NaN]])).toThrow(RangeError);
  });

  it('wraps an encrypted push in the safe-mode envelope', () => {
    expect(parseWechatXml(renderEncryptedPush('gh_97417a04a28d', 'abc+/='))).toEqual({ ToUserName: 'gh_97417a04a28d', Encrypt: 'abc+/=' });
  });
});

describe('reading XML a receiver sent back', () => {
  it('reads a reply as developers write them: CDATA or plain text, a numeric Nonce, an XML declaration, predefined entities', () => {
    const reply = `<?xml version="1.0" encoding="UTF-8"?>
      <xml>
        <ToUserName><![CDATA[oUser]]></ToUserName>
        <FromUserName>gh_123</FromUserName>
        <CreateTime>1714112445123</CreateTime>
        <Nonce>415670741</Nonce>
        <MsgType><![CDATA[news]]></MsgType>
        <Content>Tom &amp; Jerry &#20320;&#x597D;</Content>
        <Articles><item><Title><![CDATA[one]]></Title></item></Articles>
      </xml>`;
    expect(parseWechatXml(reply)).toEqual({
      ToUserName: 'oUser',
      FromUserName: 'gh_123',
      CreateTime: '1714112445123',
      Nonce: '415670741',
      MsgType: 'news',
      Content: 'Tom & Jerry 你好',
      Articles: { item: { Title: 'one' } },
    });
    expect(parseWechatXml('<xml></xml>')).toEqual({});
  });

  it('refuses a billion-laughs reply and external entities without expanding anything', () => {
    const laughs = `<?xml version="1.0"?>
      <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
      <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
      <xml><Content>&lol3;</Content></xml>`;
    expect(refusal(laughs)).toBe('doctype');
    expect(refusal('<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>')).toBe('doctype');
    expect(refusal('<!doctype xml><xml/>')).toBe('doctype');
    // An undeclared entity is not expanded from anywhere: the document is simply not well-formed, or kept literal.
    const undeclared = (() => {
      try {
        return parseWechatXml('<xml><Content>&lol;</Content></xml>').Content;
      } catch (error) {
        return (error as WechatXmlError).reason;
      }
    })();
    expect(['&lol;', 'malformed']).toContain(undeclared);
  });

  it('refuses a reply over 64 KiB before parsing it', () => {
    const big = `<xml><Content><![CDATA[${'x'.repeat(MAX_WECHAT_XML_BYTES)}]]></Content></xml>`;
    expect(refusal(big)).toBe('too_large');
    // Counted in bytes: 22,000 three-byte characters are over the limit.
    expect(refusal(`<xml><Content>${'你'.repeat(22_000)}</Content></xml>`)).toBe('too_large');
  });

  it.each([
    ['an unclosed element', '<xml><Content>hi</xml>'],
    ['JSON', '{"Content":"hi"}'],
    ['two roots', '<xml></xml><xml></xml>'],
    ['text after the root', '<xml></xml>trailing'],
  ])('refuses %s as malformed', (_what, text) => {
    expect(refusal(text)).toBe('malformed');
  });

  it('refuses a document whose root is not <xml>', () => {
    expect(refusal('<reply><Content>hi</Content></reply>')).toBe('not_wechat_xml');
  });
});
