import { randomBytes } from 'node:crypto';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createAnswerCache } from '../../src/modules/stats/stats.cache.js';

const body = (bytes: number, fill = 'x') => Buffer.from(fill.repeat(bytes));

describe('stats answer cache', () => {
  it('gives an answer back only at the version it was computed at', () => {
    const cache = createAnswerCache(1000);
    cache.set('followers', 'v1', body(10));
    expect(cache.get('followers', 'v1')?.body).toEqual(body(10));
    expect(cache.get('followers', 'v2')).toBeUndefined();
    // A miss on a newer version drops the old answer: going back to v1 finds nothing either.
    expect(cache.get('followers', 'v1')).toBeUndefined();
    expect(cache.get('reads', 'v1')).toBeUndefined();
  });

  it('replaces an answer kept under the same key', () => {
    const cache = createAnswerCache(1000);
    cache.set('followers', 'v1', body(10, 'a'));
    cache.set('followers', 'v2', body(10, 'b'));
    expect(cache.get('followers', 'v2')?.body).toEqual(body(10, 'b'));
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
    expect(cache.set('huge', 'v', body(101)).body).toEqual(body(101));
    expect(cache.get('huge', 'v')).toBeUndefined();
    expect(cache.get('a', 'v')).toBeDefined();
  });

  it('keeps the compressed copies of an answer beside it, each made once', () => {
    const cache = createAnswerCache(1_000_000);
    const json = Buffer.from(JSON.stringify({ items: Array.from({ length: 500 }, (_, day) => ({ refDate: `2026-01-${day % 28}`, newUser: day })) }));
    const kept = cache.set('followers', 'v1', json);
    const brotli = kept.encoded('br');
    expect(brotliDecompressSync(brotli)).toEqual(json);
    expect(gunzipSync(kept.encoded('gzip'))).toEqual(json);
    expect(brotli.length).toBeLessThan(json.length / 4);
    // Asked again, through the cache: the very same bytes, not compressed again.
    expect(cache.get('followers', 'v1')!.encoded('br')).toBe(brotli);
  });

  it('counts an answer as its JSON and the compressed copies it has gained', () => {
    // Random bytes do not compress: each copy is about as large as the JSON.
    const cache = createAnswerCache(5000);
    const a = cache.set('a', 'v', randomBytes(2000));
    cache.set('b', 'v', randomBytes(2000));
    expect(cache.get('a', 'v')).toBeDefined(); // now b is the least recently used
    // a's copy (2,000 bytes and a few) brings the total to 6,000: b goes, a stays.
    a.encoded('br');
    expect(cache.get('b', 'v')).toBeUndefined();
    expect(cache.get('a', 'v')!.encoded('br')).toBeDefined();
    // Its second copy makes it 6,000 bytes, larger than the whole cache: it is no longer kept.
    cache.get('a', 'v')!.encoded('gzip');
    expect(cache.get('a', 'v')).toBeUndefined();
  });
});
