import { describe, expect, it } from 'vitest';
import { createAnswerCache } from '../../src/modules/stats/stats.cache.js';

const body = (bytes: number, fill = 'x') => Buffer.from(fill.repeat(bytes));

describe('stats answer cache', () => {
  it('gives an answer back only at the version it was computed at', () => {
    const cache = createAnswerCache(1000);
    cache.set('followers', 'v1', body(10));
    expect(cache.get('followers', 'v1')).toEqual(body(10));
    expect(cache.get('followers', 'v2')).toBeUndefined();
    // A miss on a newer version drops the old answer: going back to v1 finds nothing either.
    expect(cache.get('followers', 'v1')).toBeUndefined();
    expect(cache.get('reads', 'v1')).toBeUndefined();
  });

  it('replaces an answer kept under the same key', () => {
    const cache = createAnswerCache(1000);
    cache.set('followers', 'v1', body(10, 'a'));
    cache.set('followers', 'v2', body(10, 'b'));
    expect(cache.get('followers', 'v2')).toEqual(body(10, 'b'));
  });

  it('keeps at most its size, dropping the least recently used answers first', () => {
    const cache = createAnswerCache(100);
    cache.set('a', 'v', body(40));
    cache.set('b', 'v', body(40));
    expect(cache.get('a', 'v')).toBeDefined(); // now b is the least recently used
    cache.set('c', 'v', body(40));
    expect(cache.get('b', 'v')).toBeUndefined();
    expect(cache.get('a', 'v')).toBeDefined();
    expect(cache.get('c', 'v')).toBeDefined();
    // An answer larger than the whole cache is not kept, and pushes nothing out.
    cache.set('huge', 'v', body(101));
    expect(cache.get('huge', 'v')).toBeUndefined();
    expect(cache.get('a', 'v')).toBeDefined();
  });
});
