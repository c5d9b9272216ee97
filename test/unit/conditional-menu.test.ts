import { describe, expect, it } from 'vitest';
import { checkMatchRule, matchConditionalMenu, menuDomains, ruleMatches, type MenuViewer } from '../../src/modules/menus/conditional-menu.js';

const errcodesOf = (value: unknown) => {
  const checked = checkMatchRule(value);
  return checked.ok ? [] : checked.violations.map((v) => [v.path, v.errcode]);
};

describe('checkMatchRule (§10.1.5, §10.1.6)', () => {
  it("keeps the doc's sample rule, every field as a string", () => {
    const sample = { tag_id: '2', sex: '1', country: '中国', province: '广东', city: '广州', client_platform_type: '2', language: 'zh_CN' };
    expect(checkMatchRule(sample)).toEqual({ ok: true, rule: sample });
  });

  it('takes numbers where the values are numeric, and drops empty and unknown fields', () => {
    expect(checkMatchRule({ tag_id: 100, sex: 2, client_platform_type: 1, country: '', city: null, group_id: 5 })).toEqual({
      ok: true,
      rule: { tag_id: '100', sex: '2', client_platform_type: '1' },
    });
  });

  it('is 65304 without a non-empty rule field', () => {
    expect(errcodesOf(undefined)).toEqual([['/matchrule', 65304]]);
    expect(errcodesOf([{ sex: '1' }])).toEqual([['/matchrule', 65304]]);
    expect(errcodesOf({})).toEqual([['/matchrule', 65304]]);
    expect(errcodesOf({ tag_id: '', sex: null, language: '' })).toEqual([['/matchrule', 65304]]);
  });

  it('wants the country with a province or city (65310) and the province with a city (65311)', () => {
    expect(errcodesOf({ province: '广东' })).toEqual([['/matchrule/country', 65310]]);
    expect(errcodesOf({ country: '中国', city: '广州' })).toEqual([['/matchrule/province', 65311]]);
    expect(errcodesOf({ city: '广州' })).toEqual([
      ['/matchrule/country', 65310],
      ['/matchrule/province', 65311],
    ]);
  });

  it('refuses a bad value of each field with its code', () => {
    expect(errcodesOf({ country: 86 })).toEqual([['/matchrule/country', 65312]]);
    expect(errcodesOf({ country: '中国', province: 'x'.repeat(65) })).toEqual([['/matchrule/province', 65313]]);
    expect(errcodesOf({ country: '中国', province: '广东', city: ['广州'] })).toEqual([['/matchrule/city', 65314]]);
    expect(errcodesOf({ country: '   ' })).toEqual([['/matchrule/country', 65312]]);
    expect(errcodesOf({ tag_id: 'vip' })).toEqual([['/matchrule/tag_id', 45159]]);
    expect(errcodesOf({ tag_id: 2 ** 31 })).toEqual([['/matchrule/tag_id', 45159]]);
    expect(errcodesOf({ tag_id: '999999999999999' })).toEqual([['/matchrule/tag_id', 45159]]);
    expect(errcodesOf({ sex: '0' })).toEqual([['/matchrule/sex', 40097]]);
    expect(errcodesOf({ client_platform_type: '4' })).toEqual([['/matchrule/client_platform_type', 40097]]);
    expect(errcodesOf({ language: 'chinese' })).toEqual([['/matchrule/language', 40097]]);
  });
});

const viewer: MenuViewer = { tagIds: [100, 102], sex: 2, country: '中国', province: '广东', city: '深圳', language: 'zh_CN', platform: 'android' };

describe('ruleMatches and matchConditionalMenu', () => {
  it('matches when every given field matches the viewer', () => {
    expect(ruleMatches({ tag_id: '102' }, viewer)).toBe(true);
    expect(ruleMatches({ tag_id: '101' }, viewer)).toBe(false);
    expect(ruleMatches({ sex: '2', language: 'zh_CN' }, viewer)).toBe(true);
    expect(ruleMatches({ sex: '2', language: 'en' }, viewer)).toBe(false);
    expect(ruleMatches({ country: '中国', province: '广东' }, viewer)).toBe(true);
    expect(ruleMatches({ country: '中国', province: '广东', city: '广州' }, viewer)).toBe(false);
    expect(ruleMatches({ client_platform_type: '2' }, viewer)).toBe(true);
    expect(ruleMatches({ client_platform_type: '1' }, viewer)).toBe(false);
    expect(ruleMatches({ client_platform_type: '1' }, { ...viewer, platform: 'ios' })).toBe(true);
    // A viewer of unknown sex (0) matches no sex rule.
    expect(ruleMatches({ sex: '1' }, { ...viewer, sex: 0 })).toBe(false);
  });

  it('picks the newest matching menu (the highest menuid), whatever the order given, or none', () => {
    const menus = [
      { menuId: 400000010, rule: { sex: '2' } },
      { menuId: 400000012, rule: { language: 'en' } },
      { menuId: 400000011, rule: { tag_id: '100' } },
    ];
    expect(matchConditionalMenu(menus, viewer)?.menuId).toBe(400000011);
    expect(matchConditionalMenu(menus, { ...viewer, language: 'en' })?.menuId).toBe(400000012);
    expect(matchConditionalMenu(menus, { ...viewer, tagIds: [], sex: 1 })).toBeUndefined();
  });
});

describe('menuDomains', () => {
  it('lists the distinct host names of the view buttons, lower-cased', () => {
    expect(
      menuDomains([
        { type: 'view', name: 'a', url: 'https://Example.com/a' },
        { name: 'p', sub_button: [{ type: 'view', name: 'b', url: 'http://example.com:8080/b' }, { type: 'click', name: 'c', key: 'K' }, { type: 'view', name: 'd', url: 'https://docs.example.org/' }] },
      ]),
    ).toEqual(['example.com', 'docs.example.org']);
  });
});
