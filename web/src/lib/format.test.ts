import { describe, expect, it } from 'vitest';
import { formatNumber } from './format';

describe('formatNumber', () => {
  it('writes whole numbers as Intl.NumberFormat does in both languages, without creating one', () => {
    const values = [0, 7, -7, 999, 1000, -1000, 12_345, 999_999, 1_000_000, -1_234_567, 123_456_789_012, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
    for (const [locale, intl] of [['zh', 'zh-CN'], ['en', 'en-GB']] as const) {
      const format = new Intl.NumberFormat(intl);
      expect(values.map((value) => formatNumber(value, locale))).toEqual(values.map((value) => format.format(value)));
    }
  });

  it('leaves fractions, -0 and numbers beyond the safe integers to Intl', () => {
    expect(formatNumber(1234.5, 'en')).toBe('1,234.5');
    expect(formatNumber(-0, 'zh')).toBe(new Intl.NumberFormat('zh-CN').format(-0));
    expect(formatNumber(1e21, 'en')).toBe('1,000,000,000,000,000,000,000');
  });
});
