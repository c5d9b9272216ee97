import { describe, expect, it } from 'vitest';
import { emptyArticle, HTTP_URL, messageOf, targetOf, type ComposeValues } from './compose';
import { parseOpenids } from './format';

const values = (overrides: Partial<ComposeValues>): ComposeValues => ({ type: 'news', articles: [emptyArticle()], targetKind: 'all', ...overrides });

describe('the compose form → the broadcast body', () => {
  it('leaves empty optional article fields out and trims the rest', () => {
    const message = messageOf(values({ articles: [{ ...emptyArticle(), title: ' Title ', content: '<p>x</p>', thumbUrl: ' https://e.com/c.jpg ', author: '  ' }] }));
    expect(message).toEqual({
      type: 'news',
      articles: [{ title: 'Title', content: '<p>x</p>', thumbUrl: 'https://e.com/c.jpg', showCoverPic: true, needOpenComment: false, author: undefined, digest: undefined, contentSourceUrl: undefined }],
    });
    expect(JSON.parse(JSON.stringify(message)).articles[0]).not.toHaveProperty('author');
  });

  it('sends text and images as themselves', () => {
    expect(messageOf(values({ type: 'text', text: 'hello' }))).toEqual({ type: 'text', content: 'hello' });
    expect(messageOf(values({ type: 'image', imageUrl: ' https://e.com/i.png' }))).toEqual({ type: 'image', imageUrl: 'https://e.com/i.png' });
  });

  it('turns the target choice into {all}, {tagId} or {openids}', () => {
    expect(targetOf(values({}))).toEqual({ all: true });
    expect(targetOf(values({ targetKind: 'tag', tagId: 100 }))).toEqual({ tagId: 100 });
    expect(targetOf(values({ targetKind: 'openids', openids: 'oA\noB\n\noA ' }))).toEqual({ openids: ['oA', 'oB'] });
  });

  it('reads openids one a line (or separated by commas), once each', () => {
    expect(parseOpenids(' o1 \n o2,o3;o1\n\n')).toEqual(['o1', 'o2', 'o3']);
    expect(parseOpenids('')).toEqual([]);
  });

  it('accepts only http(s) URLs with a host, as the API does', () => {
    expect(HTTP_URL.test('https://example.com/a.jpg')).toBe(true);
    expect(HTTP_URL.test('http://127.0.0.1:8080')).toBe(true);
    expect(HTTP_URL.test('https://')).toBe(false);
    expect(HTTP_URL.test('javascript:alert(1)')).toBe(false);
    expect(HTTP_URL.test('ftp://example.com')).toBe(false);
  });
});
