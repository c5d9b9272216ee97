import { describe, expect, it } from 'vitest';
import { csvBlob, csvFileName } from './csv';

describe('CSV downloads', () => {
  it('names the file by report, account, days and granularity', () => {
    expect(csvFileName({ report: 'followers', appid: 'wx0123456789abcdef', from: '2026-01-01', to: '2026-01-31', granularity: 'week' })).toBe(
      'followers_wx0123456789abcdef_2026-01-01_2026-01-31_week.csv',
    );
    expect(csvFileName({ report: 'attributes', appid: 'wx0123456789abcdef', date: '2026-12-06' })).toBe('attributes_wx0123456789abcdef_2026-12-06.csv');
    expect(csvFileName({ report: 'article', appid: 'wx1', extra: '42', date: '2026-12-06' })).toBe('article_wx1_42_2026-12-06.csv');
  });

  it('keeps only safe characters in a name', () => {
    expect(csvFileName({ report: 'reads/hourly', appid: '../wx 1' })).toBe('reads-hourly_wx-1.csv');
  });

  it('saves the API’s bytes unchanged', async () => {
    const csv = 'refDate,newUser\r\n2026-12-06,6\r\n';
    expect(await csvBlob(csv).text()).toBe(csv);
  });
});
