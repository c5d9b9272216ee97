import { createCipheriv, createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decryptWechatMessage,
  encryptWechatMessage,
  isEncodingAesKey,
  newEncodingAesKey,
  signatureMatches,
  WechatCryptoError,
  wechatMsgSignature,
  wechatSignature,
} from '../../src/modules/webhooks/wechat-crypto.js';

// Published vectors: WeChat's documentation and sample code, and the test suites of WxJava, easywechat, wechatpy
// and node-webot, each recomputed independently (see the protocol reference, sections 5.1 and 6.3).

describe('signature (URL verification and every push)', () => {
  it.each([
    ['AAAAA', '1714037059', '486452656', '899cf89e464efb63f54ddac96b0a0a235f53aa78'],
    ['test', '1410685589', 'test', 'f21891de399b4e33a1a93c9a7b8a8fffb5a443ff'],
    ['spamtest', '1409735669', '1320562132', '16120ec1b8dbb870f510d87ce6bc2463eae6ca1a'],
    ['AAAAA', '1714112445', '415670741', '6c5c811b55cc85e0e1b54100749188c20beb3f5d'],
    ['a', 'b', 'c', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
  ])('token %s, timestamp %s, nonce %s → %s', (token, timestamp, nonce, expected) => {
    expect(wechatSignature(token, timestamp, nonce)).toBe(expected);
  });

  it('msg_signature covers the Encrypt text too', () => {
    expect(wechatMsgSignature('RMNlACHlV5ThzfRlVS4D4', 'timestamp', 'nonce', 'encrypt')).toBe('8edac0945683c119ee71c9f6256d76c48aa08a96');
  });

  it('compares signatures whatever the case of the hex, and refuses a missing or different one', () => {
    const expected = wechatSignature('AAAAA', '1714037059', '486452656');
    expect(signatureMatches(expected, expected.toUpperCase())).toBe(true);
    expect(signatureMatches(expected, undefined)).toBe(false);
    expect(signatureMatches(expected, `${expected.slice(0, -1)}0`)).toBe(false);
    expect(signatureMatches(expected, expected.slice(1))).toBe(false);
  });
});

describe('safe-mode encryption', () => {
  const vectorA = {
    token: 'spamtest',
    key: { encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appid: 'wx2c2769f8efd9abc2' },
    timestamp: '1409735669',
    nonce: '1320562132',
    msgSignature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa',
    encrypt:
      'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=',
    random: '89465c840c5f116f',
    message: [
      '<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>',
      '<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>',
      '<CreateTime>1409735668</CreateTime>',
      '<MsgType><![CDATA[text]]></MsgType>',
      '<Content><![CDATA[abcdteT]]></Content>',
      '<MsgId>6054768590064713728</MsgId>',
      '</xml>',
    ].join('\n'),
  };

  it("decrypts WeChat's sample push and checks its msg_signature (vector A)", () => {
    expect(wechatMsgSignature(vectorA.token, vectorA.timestamp, vectorA.nonce, vectorA.encrypt)).toBe(vectorA.msgSignature);
    expect(decryptWechatMessage(vectorA.encrypt, vectorA.key)).toEqual({ message: vectorA.message, appid: vectorA.key.appid });
  });

  it('encrypts to the same bytes given the same random prefix (vector A, a pad of 2)', () => {
    expect(encryptWechatMessage(vectorA.message, vectorA.key, Buffer.from(vectorA.random))).toBe(vectorA.encrypt);
  });

  it("decrypts the new documentation's push and reproduces its encrypted reply (vector B, pads of 19 and 1)", () => {
    const key = { encodingAesKey: 'A'.repeat(43), appid: 'wxba5fad812f8e6fb9' };
    const inbound =
      '+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=';
    expect(wechatMsgSignature('AAAAA', '1714112445', '415670741', inbound)).toBe('046e02f8204d34f8ba5fa3b1db94908f3df2e9b3');
    expect(decryptWechatMessage(inbound, key).message).toBe(
      '{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}',
    );
    const reply = encryptWechatMessage('{"demo_resp":"good luck"}', key, Buffer.from('707722b803182950'));
    expect(reply).toBe('ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==');
    expect(wechatMsgSignature('AAAAA', '1713424427', '415670741', reply)).toBe('1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1');
  });

  it("matches WxJava's encryption of Chinese text and of a reply XML (vector C)", () => {
    const key = { encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appid: 'wxb11529c136998cb6' };
    const random = Buffer.from('aaaabbbbccccdddd');
    expect(encryptWechatMessage('我是中文abcd123', key, random)).toBe('jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==');
    const replyXml =
      '<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>';
    expect(encryptWechatMessage(replyXml, key, random)).toBe(
      'jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb',
    );
  });

  it("decrypts easywechat's vector, a pad of 21 that a 16-byte PKCS#7 unpadder refuses (vector D)", () => {
    const key = { encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appid: 'wxb11529c136998cb6' };
    const encrypt =
      'rTNFcsut4LfGuAFKEUVVpwcaCOTJzOd9twZdIW910jb3k+iicx2uvhttIZ3Qg9Qgty3BEF2xbOrz6boTfb30dMomcgrkTqdFPwnhqbk+kIQ7rZiwny9D7NUrTgA5kpX3KsZvrXzUZyP2x9YOlxbgm572lmxKvM7HAQQhIQ/p6HBmoY30bGXFK0BtIu1pW9TjhOYrLQoU18nWYjWqDA1ynkmOytpv7QRI1P1+0NoxL0q2zO1DgeSvnE8CZGo/o5Ap/WHK5W2RAsinpzN4/LjPnmB6U01I5XCoJoC0GK/yMZycd2Oh8Nq6+wBkC1U85oy0ktOY4nLvsQMLrourmMGdZHuTbqpeJ8Ao/5PRYJ+WBvRUwPfGKBL2+2IKZF49vAJqkcGWSHGE76ZN2erXeuNazf/o9o3lIE3q739o4c8t9QGPe31GT2Go/rOz1BsrASwvauNulCh+++yz+CQzBIuikA==';
    expect(wechatMsgSignature('pamtest', '1458300676', '260774613', encrypt)).toBe('4f3ad57b6989f09f4eb392acce4f9e93942ed890');
    expect(decryptWechatMessage(encrypt, key).message).toBe(
      '<xml><URL><![CDATA[http://wechat.laravel.so/server]]></URL><ToUserName><![CDATA[asdasdasd]]></ToUserName><FromUserName><![CDATA[asdasdasdsadasd]]></FromUserName><CreateTime>1234567898</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>12345</MsgId></xml>',
    );
  });

  it("decrypts wechatpy's vectors, push and echostr (vector E)", () => {
    const key = { encodingAesKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR', appid: 'wx49f0ab532d5d035a' };
    const echostr = '4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==';
    expect(wechatMsgSignature('123456', '1411443780', '437374425', echostr)).toBe('dd6b9c95b495b3f7e2901bfbc76c664930ffdb96');
    expect(decryptWechatMessage(echostr, key).message).toBe('5927782489442352469');
    const push =
      'RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=';
    expect(wechatMsgSignature('123456', '1411525903', '461056294', push)).toBe('74d92dfeb87ba7c714f89d98870ae5eb62dff26d');
    const { message } = decryptWechatMessage(push, key);
    expect(message).toContain('<Content><![CDATA[test]]></Content>');
    expect(message).toContain('messense');
  });

  it('round-trips any message, with pads from 1 to 32, through a decryptor written from the specification', () => {
    const key = { encodingAesKey: newEncodingAesKey(), appid: 'wx0123456789abcdef' };
    // Independent of the code under test: key = base64(EncodingAESKey + "="), IV = key[0..16), unpad by the last byte.
    const aesKey = Buffer.from(`${key.encodingAesKey}=`, 'base64');
    for (let length = 0; length <= 40; length++) {
      const message = 'x'.repeat(length);
      const encrypted = encryptWechatMessage(message, key);
      const decipher = createDecipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16)).setAutoPadding(false);
      const plain = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
      const pad = plain[plain.length - 1]!;
      expect(plain.length % 32).toBe(0);
      expect(pad).toBe(32 - ((16 + 4 + length + key.appid.length) % 32));
      const body = plain.subarray(0, plain.length - pad);
      expect(body.readUInt32BE(16)).toBe(length);
      expect(body.subarray(20, 20 + length).toString()).toBe(message);
      expect(body.subarray(20 + length).toString()).toBe(key.appid);
      expect(decryptWechatMessage(encrypted, key).message).toBe(message);
    }
  });

  it('refuses a wrong key, a wrong appid, a bad length, padding or base64 with WeChat sample-code error codes', () => {
    const key = { encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appid: 'wx2c2769f8efd9abc2' };
    const failure = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(WechatCryptoError);
        return (error as WechatCryptoError).code;
      }
      throw new Error('expected a WechatCryptoError');
    };
    expect(failure(() => decryptWechatMessage(vectorA.encrypt, { ...key, appid: 'wx0000000000000000' }))).toBe(-40005);
    // Another key: the padding (almost always) or the appid no longer makes sense.
    expect([-40008, -40005]).toContain(failure(() => decryptWechatMessage(vectorA.encrypt, { ...key, encodingAesKey: 'A'.repeat(43) })));
    expect(failure(() => decryptWechatMessage('not base64!', key))).toBe(-40010);
    expect(failure(() => decryptWechatMessage(Buffer.alloc(48).toString('base64'), key))).toBe(-40008);
    expect(failure(() => decryptWechatMessage('', key))).toBe(-40010);
    expect(failure(() => decryptWechatMessage(vectorA.encrypt, { ...key, encodingAesKey: 'short' }))).toBe(-40004);
    // A length field pointing past the end of the plaintext.
    const lying = encryptWechatMessage('hello', key, Buffer.alloc(16, 1));
    const aesKey = Buffer.from(`${key.encodingAesKey}=`, 'base64');
    const decipher = createDecipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16)).setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(Buffer.from(lying, 'base64')), decipher.final()]);
    plain.writeUInt32BE(1_000_000, 16);
    const cipher = createCipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16)).setAutoPadding(false);
    const forged = Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
    expect(failure(() => decryptWechatMessage(forged, key))).toBe(-40008);
  });
});

describe('EncodingAESKey', () => {
  it('is 43 letters and digits, fresh each time', () => {
    const keys = new Set(Array.from({ length: 50 }, () => newEncodingAesKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(isEncodingAesKey(key)).toBe(true);
    expect(isEncodingAesKey('a'.repeat(42))).toBe(false);
    expect(isEncodingAesKey(`${'a'.repeat(42)}=`)).toBe(false);
    // Decoded, it is a 32-byte AES-256 key.
    expect(Buffer.from(`${newEncodingAesKey()}=`, 'base64').length).toBe(32);
  });
});
