import { describe, expect, it } from 'vitest';
import { en } from './en';
import { detectLocale, format } from './locale';
import { zh } from './zh';

describe('languages of the console', () => {
  it('starts in the stored choice, else the browser’s first Chinese or English language, else English', () => {
    expect(detectLocale('en', ['zh-CN'])).toBe('en');
    expect(detectLocale(null, ['zh-TW', 'en'])).toBe('zh');
    expect(detectLocale(null, ['fr-FR', 'en-GB', 'zh-CN'])).toBe('en');
    expect(detectLocale(null, ['fr-FR'])).toBe('en');
    expect(detectLocale('de', [])).toBe('en');
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(format('{used} of {limit}', { used: 1, limit: 2 })).toBe('1 of 2');
    expect(format('resets {when}', {})).toBe('resets {when}');
  });

  it('has every text in both languages, with the same placeholders', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      expect(zh[key], key).toBeTruthy();
      expect(placeholders(zh[key]), key).toEqual(placeholders(en[key]));
    }
  });

});
