import { describe, expect, it } from 'vitest';
import { itemsJson } from '../../src/modules/stats/stats.json.js';
import { createPeriodCache } from '../../src/modules/stats/stats.periods.js';
import type { RollupState } from '../../src/modules/stats/stats.repo.js';
import { periodStarts, type StatsRange } from '../../src/modules/stats/stats.service.js';

type Item = { refDate: string; n: number; title: string };

const state = (version: number, epoch = 1): RollupState => ({
  version: `messages:${version}`,
  epochs: `messages:${epoch}`,
  sources: [{ source: 'messages', version, epoch }],
});

/**
 * Items of a made-up view, each period's the same whatever range it is asked in: 0–3 per period (none in some),
 * titles with 3- and 4-byte characters and escapes; `bump` adds to n from `from` on.
 */
function itemsOf(range: StatsRange, bump: { from: string; by: number } = { from: '9999-12-31', by: 0 }): Item[] {
  return periodStarts(range.from, range.to, range.granularity).flatMap((refDate) => {
    const day = Date.parse(`${refDate}T00:00:00Z`) / 86_400_000;
    return Array.from({ length: (day * 7) % 4 }, (_, i) => ({ refDate, n: day * 10 + i + (refDate >= bump.from ? bump.by : 0), title: `标题 ${i} 🙂 "q" \\ ${refDate}` }));
  });
}

const serializeItem = (item: Item) => JSON.stringify(item);

describe('kept periods', () => {
  it('are the bytes itemsJson gives for the same items, for any range over those kept, and compute only what is missing', async () => {
    const asked: string[] = [];
    const cache = createPeriodCache(1024 * 1024, async () => undefined);
    const answer = (range: StatsRange, at: RollupState) =>
      cache.itemsJson({
        accountId: 1,
        view: 'test',
        range,
        state: at,
        serializeItem,
        compute: async (part) => {
          asked.push(`${part.from}..${part.to}`);
          return itemsOf(part);
        },
      });
    const year = { from: '2026-01-01', to: '2026-12-31', granularity: 'day' as const };
    expect((await answer(year, state(1))).toString()).toBe(itemsJson(itemsOf(year), serializeItem).toString());
    const june = { from: '2026-06-01', to: '2026-06-30', granularity: 'day' as const };
    expect((await answer(june, state(1))).toString()).toBe(itemsJson(itemsOf(june), serializeItem).toString());
    // A day with no items.
    const quiet = { from: '2026-01-03', to: '2026-01-03', granularity: 'day' as const };
    expect((await answer(quiet, state(1))).toString()).toBe('{"items":[]}');
    expect(asked).toEqual(['2026-01-01..2026-12-31']);

    // A range reaching past the kept periods: from the first missing period to the last.
    const longer = { from: '2025-12-30', to: '2026-12-31', granularity: 'day' as const };
    expect((await answer(longer, state(1))).toString()).toBe(itemsJson(itemsOf(longer), serializeItem).toString());
    expect(asked.at(-1)).toBe('2025-12-30..2025-12-31');
  });

  it('drop the periods from the first day changed on when the state moves, and all of them when the epoch does', async () => {
    let firstChanged: string | undefined = '2026-03-10';
    let bump = { from: '2026-03-10', by: 1000 };
    const asked: string[] = [];
    const cache = createPeriodCache(1024 * 1024, async () => firstChanged);
    const answer = (range: StatsRange, at: RollupState) =>
      cache.itemsJson({
        accountId: 1,
        view: 'test',
        range,
        state: at,
        serializeItem,
        compute: async (part) => {
          asked.push(`${part.from}..${part.to}`);
          return itemsOf(part, bump);
        },
      });
    const weeks = { from: '2026-01-01', to: '2026-03-31', granularity: 'week' as const };
    await answer(weeks, state(1));
    expect(asked).toEqual(['2026-01-01..2026-03-31']);
    // 2026-03-10 is a Tuesday: its week starts on Monday 2026-03-09.
    expect((await answer(weeks, state(2))).toString()).toBe(itemsJson(itemsOf(weeks, bump), serializeItem).toString());
    expect(asked.at(-1)).toBe('2026-03-09..2026-03-31');
    // Told by the read of the state itself (readRollupState's changedSince), for the versions the periods are kept at.
    firstChanged = '2000-01-01';
    bump = { from: '2026-03-30', by: 5 };
    const told = { ...state(3), changedSince: { since: state(2).sources, firstDay: '2026-03-30' } };
    // `since` must be the very versions kept: these are a copy, so the cache asks for itself (and is told 2000-01-01).
    await answer(weeks, told);
    expect(asked.at(-1)).toBe('2026-01-01..2026-03-31');
    const kept = cache.keptSince(1, 'test', 'week')!;
    expect((await answer(weeks, { ...state(4), changedSince: { since: kept, firstDay: '2026-03-30' } })).toString()).toBe(
      itemsJson(itemsOf(weeks, bump), serializeItem).toString(),
    );
    expect(asked.at(-1)).toBe('2026-03-30..2026-03-31');
    // A new epoch (a recount, a reset): everything again, whatever changed days say.
    firstChanged = undefined;
    await answer(weeks, state(5, 2));
    expect(asked.at(-1)).toBe('2026-01-01..2026-03-31');
  });
});
