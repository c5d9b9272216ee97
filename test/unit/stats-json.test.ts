import { describe, expect, it } from 'vitest';
import { itemsJson } from '../../src/modules/stats/stats.json.js';

describe('itemsJson', () => {
  it('writes {items} as one JSON text, whatever the number of items', () => {
    for (const count of [0, 1, 2, 700]) {
      const items = Array.from({ length: count }, (_, index) => ({ refDate: '2026-11-30', index }));
      expect(itemsJson(items, JSON.stringify).toString()).toBe(JSON.stringify({ items }));
    }
  });

  it('encodes items that span many batches, and characters of every width, as UTF-8', () => {
    // About 1.3 MB of JSON: Chinese titles (three bytes a character), an emoji (four), quotes and control characters
    // to escape, and items of very different lengths, so that batches end at every kind of place.
    const items = Array.from({ length: 6000 }, (_, index) => ({
      msgDataId: 2_247_483_647 + index,
      title: `${'今日要闻'.repeat(index % 37)} "第${index}篇" 🧧\n\t\u0001`,
      shareUser: index * 3,
    }));
    const body = itemsJson(items, JSON.stringify);
    expect(body.length).toBeGreaterThan(1_000_000);
    expect(body.equals(Buffer.from(JSON.stringify({ items })))).toBe(true);
    expect(JSON.parse(body.toString('utf8'))).toEqual({ items });
  });
});
