import { describe, expect, it } from 'vitest';
import { CATALOGUE, findCatalogueEntry, INDUSTRIES, industryOf } from '../../src/modules/templates/catalogue.js';
import { dataViolation, draftOf, placeholderKeys, renderTemplate, valueLimitOf } from '../../src/modules/templates/templates.rules.js';
import { renderPushXml } from '../../src/modules/webhooks/push-render.js';

const TM00015 = '{{first.DATA}}\n\n支付金额：{{orderMoneySum.DATA}}\n商品信息：{{orderProductName.DATA}}\n{{Remark.DATA}}';

describe('placeholders', () => {
  it('reads each {{key.DATA}} once, in order, tolerating spaces inside the braces', () => {
    expect(placeholderKeys(TM00015)).toEqual(['first', 'orderMoneySum', 'orderProductName', 'Remark']);
    expect(placeholderKeys('{{ a.DATA }} {{b.DATA}} {{a.DATA}} {{c.data}} {{.DATA}} {d.DATA}')).toEqual(['a', 'b']);
    expect(placeholderKeys('no placeholders')).toEqual([]);
  });

  it('renders the values in place, optional first/remark left out as nothing, the whole trimmed', () => {
    const data = { orderMoneySum: { value: '30.00元' }, orderProductName: { value: '巧克力' } };
    expect(renderTemplate(TM00015, data)).toBe('支付金额：30.00元\n商品信息：巧克力');
    expect(renderTemplate(TM00015, { ...data, first: { value: '已支付' }, Remark: { value: '谢谢' } })).toBe('已支付\n\n支付金额：30.00元\n商品信息：巧克力\n谢谢');
    // A value is text, never a pattern: "$&" stays as it is.
    expect(renderTemplate('{{a.DATA}}', { a: { value: '$& $1' } })).toBe('$& $1');
  });
});

describe('data rules (47003)', () => {
  const content = '{{first.DATA}}\n商品：{{thing1.DATA}}\n单号：{{character_string2.DATA}}\n电话：{{phone_number3.DATA}}\n车牌：{{car_number4.DATA}}\n金额：{{amount5.DATA}}\n{{remark.DATA}}';
  const full = {
    thing1: { value: '巧'.repeat(20) },
    character_string2: { value: 'A'.repeat(32) },
    phone_number3: { value: '1'.repeat(17) },
    car_number4: { value: '粤B12345' },
    amount5: { value: '9'.repeat(200) },
  };

  it('takes values at their limits, first and remark left out, and colours #rgb/#rrggbb', () => {
    expect(dataViolation(content, full)).toBeUndefined();
    expect(dataViolation(content, { ...full, thing1: { value: 'x', color: '#173177' }, amount5: { value: '1', color: '#fff' } })).toBeUndefined();
  });

  it('refuses a key the template lacks, a missing or blank required value, a value one over its limit, a bad colour', () => {
    expect(dataViolation(content, { ...full, keyword1: { value: 'x' } })).toEqual({ key: 'keyword1', errmsg: expect.stringMatching(/^argument invalid! data\.keyword1 is not a keyword of the template/) });
    const { thing1: _omitted, ...withoutThing } = full;
    expect(dataViolation(content, withoutThing)).toEqual({ key: 'thing1', errmsg: 'argument invalid! data.thing1.value is empty' });
    expect(dataViolation(content, { ...full, thing1: { value: '  ' } })?.key).toBe('thing1');
    for (const [key, limit] of [['thing1', 20], ['character_string2', 32], ['phone_number3', 17], ['car_number4', 8], ['amount5', 200]] as const) {
      // Characters, not UTF-16 units or bytes: 字 and 😀 are one each.
      const violation = dataViolation(content, { ...full, [key]: { value: '😀'.repeat(limit + 1) } });
      expect(violation, key).toEqual({ key, errmsg: `argument invalid! data.${key}.value invalid: longer than ${limit} characters` });
      expect(dataViolation(content, { ...full, [key]: { value: '😀'.repeat(limit) } }), key).toBeUndefined();
    }
    expect(dataViolation(content, { ...full, thing1: { value: 'x', color: 'red' } })).toEqual({ key: 'thing1', errmsg: 'argument invalid! data.thing1.color invalid: must be #rgb or #rrggbb' });
  });

  it('types keys by their prefix: keyword1, first and remark take the general limit', () => {
    expect([valueLimitOf('thing12'), valueLimitOf('character_string7'), valueLimitOf('keyword1'), valueLimitOf('first'), valueLimitOf('thing')]).toEqual([20, 32, 200, 200, 200]);
  });
});

describe('the catalogue and api_add_template drafts', () => {
  it("lists WeChat's 41 industries by code, with the codes the reference quotes", () => {
    expect(INDUSTRIES).toHaveLength(41);
    expect(INDUSTRIES.map((industry) => industry.id)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    expect(industryOf(1)).toEqual({ id: 1, firstClass: 'IT科技', secondClass: '互联网|电子商务' });
    expect(industryOf(4)).toEqual({ id: 4, firstClass: 'IT科技', secondClass: '电子技术' });
    expect(industryOf(13)).toEqual({ id: 13, firstClass: '运输与仓储', secondClass: '快递' });
    expect([industryOf(0), industryOf(42)]).toEqual([undefined, undefined]);
  });

  it('has unique ids, industry templates of known industries, category keywords with unique names and keys', () => {
    expect(new Set(CATALOGUE.map((entry) => entry.templateIdShort)).size).toBe(CATALOGUE.length);
    for (const entry of CATALOGUE) {
      if (entry.kind === 'industry') {
        expect(industryOf(entry.industryId), entry.templateIdShort).toBeDefined();
        expect(placeholderKeys(entry.content).length, entry.templateIdShort).toBeGreaterThan(0);
      } else {
        expect(new Set(entry.keywords.map((keyword) => keyword.name)).size).toBe(entry.keywords.length);
        expect(new Set(entry.keywords.map((keyword) => keyword.key)).size).toBe(entry.keywords.length);
        for (const keyword of entry.keywords) expect(dataViolation(`{{${keyword.key}.DATA}}`, { [keyword.key]: { value: keyword.example } }), keyword.key).toBeUndefined();
      }
    }
  });

  it("builds a category template's content from the chosen keywords in their order; refuses none, repeats and unknown ones", () => {
    const entry = findCatalogueEntry('47123')!;
    expect(draftOf(entry, ['金额', '时间', '地点'])).toEqual({
      templateIdShort: '47123',
      keywordNames: ['金额', '时间', '地点'],
      industryId: null,
      title: '消费成功通知',
      content: '金额:{{amount3.DATA}}\n时间:{{time1.DATA}}\n地点:{{thing2.DATA}}',
      example: '金额:39.80元\n时间:2024年5月1日 12:30\n地点:深圳湾万象城店',
    });
    for (const names of [undefined, [], ['时间', '时间'], ['时间', '温度']]) expect(draftOf(entry, names), JSON.stringify(names)).toBeUndefined();
  });

  it("keeps an industry template's fixed content whatever keyword list comes with it", () => {
    const entry = findCatalogueEntry('TM00015')!;
    expect(draftOf(entry, undefined)).toMatchObject({ keywordNames: [], industryId: 1, content: TM00015 });
    expect(draftOf(entry, ['anything'])).toEqual(draftOf(entry, undefined));
  });
});

describe('TEMPLATESENDJOBFINISH push XML (§10.3.3)', () => {
  it('writes MsgID (capital ID, 64-bit exact) and Status after the event', () => {
    const header = { toUserName: 'gh_7f083739789a', fromUserName: 'oia2TjuEGTNoeX76QEjQNrcURxG8', createTime: 1395658920 };
    for (const status of ['success', 'failed:user block', 'failed: system failed']) {
      expect(renderPushXml(header, { kind: 'TEMPLATESENDJOBFINISH', msgId: '3487542469355618313', status })).toBe(
        [
          '<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>',
          '<FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName>',
          '<CreateTime>1395658920</CreateTime>',
          '<MsgType><![CDATA[event]]></MsgType>',
          '<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>',
          '<MsgID>3487542469355618313</MsgID>',
          `<Status><![CDATA[${status}]]></Status>`,
          '</xml>',
        ].join('\n'),
      );
    }
    expect(() => renderPushXml(header, { kind: 'TEMPLATESENDJOBFINISH', msgId: '12e3', status: 'success' })).toThrow(/MsgID/);
  });
});
