import { describe, expect, it } from 'vitest';
import { itemsJson } from '../../src/modules/stats/stats.json.js';
import { createPeriodCache } from '../../src/modules/stats/stats.periods.js';
import type { RollupState } from '../../src/modules/stats/stats.repo.js';
import { periodStarts, type StatsRange } from '../../src/modules/stats/stats.service.js';

type Item = { refDate: string; n: number; title: string };

/**
 * The rollups' versions as a database would give them: one source, the days each version changed, and an epoch;
 * readState answers as readRollupState does.
 */
function versions() {
  let epoch = 1;
  let version = 1;
  const changes: Array<{ version: number; day: string }> = [];
  const stateOf = (): RollupState => ({ version: `messages:${version}`, epochs: `messages:${epoch}`, sources: [{ source: 'messages', version, epoch }] });
  return {
    /** A fold that changed `day`. */
    fold(day: string) {
      changes.push({ version: ++version, day });
    },
    /** A recount: a new epoch, and the days recorded go with the rows it deletes. */
    recount() {
      epoch = version = version + 1;
      changes.length = 0;
    },
    state: stateOf,
    readState: async (_accountId: number, since?: Array<{ version: number }>): Promise<RollupState> => {
      const days = since ? changes.filter((change) => change.version > since[0]!.version).map((change) => change.day) : [];
      return { ...stateOf(), ...(since && { changedSince: { since: since as RollupState['sources'], firstDay: days.sort()[0] } }) };
    },
  };
}
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

/** The answer a fresh computation gives: itemsJson of the made-up view's items over the whole range. */
const fresh = (range: StatsRange, bump?: { from: string; by: number }) => itemsJson(itemsOf(range, bump), serializeItem).toString();

/**
 * A period cache over made-up rollups, asked as the route asks it (the state read with the versions its periods are
 * kept at, then the answer). `asked` lists the ranges computed; `view` says what the computing gives: the made-up
 * items with `bump`, or none (`empty`), and what happens once it has read them (`afterCompute`: a fold committing).
 */
function harness(maxBytes = 1024 * 1024) {
  const rollups = versions();
  const cache = createPeriodCache(maxBytes, rollups.readState);
  const asked: string[] = [];
  const view: { bump?: { from: string; by: number }; empty?: boolean; afterCompute?: () => void } = {};
  /** Asks for `range`, with the state as read now, or as read earlier (`at`: an ask whose read came before). */
  const answer = async (range: StatsRange, accountId = 1, at?: RollupState) =>
    cache.itemsJson({
      accountId,
      view: 'test',
      range,
      state: at ?? (await rollups.readState(accountId, cache.keptSince(accountId, 'test', range.granularity))),
      serializeItem,
      compute: async (part) => {
        asked.push(`${part.from}..${part.to}`);
        const items = view.empty ? [] : itemsOf(part, view.bump);
        const after = view.afterCompute;
        view.afterCompute = undefined;
        after?.();
        return items;
      },
    });
  const text = async (range: StatsRange) => (await answer(range)).body.toString();
  return { rollups, cache, asked, view, answer, text };
}

describe('kept periods', () => {
  it('are the bytes itemsJson gives for the same items, for any range over those kept, and compute only what is missing', async () => {
    const { asked, text } = harness();
    const year = { from: '2026-01-01', to: '2026-12-31', granularity: 'day' as const };
    expect(await text(year)).toBe(fresh(year));
    const june = { from: '2026-06-01', to: '2026-06-30', granularity: 'day' as const };
    expect(await text(june)).toBe(fresh(june));
    // A day with no items.
    expect(await text({ from: '2026-01-03', to: '2026-01-03', granularity: 'day' })).toBe('{"items":[]}');
    expect(asked).toEqual(['2026-01-01..2026-12-31']);

    // A range reaching past the kept periods: from the first missing period to the last.
    const longer = { from: '2025-12-30', to: '2026-12-31', granularity: 'day' as const };
    expect(await text(longer)).toBe(fresh(longer));
    expect(asked.at(-1)).toBe('2025-12-30..2025-12-31');
  });

  it('drop the periods from the first day changed on when the state moves, and all of them when the epoch does', async () => {
    const { rollups, asked, view, text } = harness();
    const weeks = { from: '2026-01-01', to: '2026-03-31', granularity: 'week' as const };
    await text(weeks);
    expect(asked).toEqual(['2026-01-01..2026-03-31']);
    // 2026-03-10 is a Tuesday: its week starts on Monday 2026-03-09, and every week from there on is computed again.
    view.bump = { from: '2026-03-09', by: 1000 };
    rollups.fold('2026-03-10');
    expect(await text(weeks)).toBe(fresh(weeks, view.bump));
    expect(asked.at(-1)).toBe('2026-03-09..2026-03-31');
    // Two folds: from the earlier of their days.
    view.bump = { from: '2026-02-02', by: 7 };
    rollups.fold('2026-03-30');
    rollups.fold('2026-02-03');
    expect(await text(weeks)).toBe(fresh(weeks, view.bump));
    expect(asked.at(-1)).toBe('2026-02-02..2026-03-31');
    // A new epoch (a recount, a reset): everything again.
    rollups.recount();
    await text(weeks);
    expect(asked.at(-1)).toBe('2026-01-01..2026-03-31');
    expect(asked).toHaveLength(4);
  });

  it('make an answer again when a fold lands on kept periods while others are computed, and keep none of it', async () => {
    const { rollups, asked, view, answer } = harness();
    const days = { from: '2026-05-01', to: '2026-05-31', granularity: 'day' as const };
    await answer(days);
    // Today's fold is folded before the answer; a late event of 05-10 is folded while today's period is computed.
    rollups.fold('2026-05-31');
    view.afterCompute = () => {
      rollups.fold('2026-05-10');
      view.bump = { from: '2026-05-10', by: 50 };
    };
    const made = await answer(days);
    // Not kept 05-10..05-30 from before the late fold beside a 05-31 computed after it: made again from 05-10.
    expect(asked.slice(1)).toEqual(['2026-05-31..2026-05-31', '2026-05-10..2026-05-31']);
    expect(made.body.toString()).toBe(fresh(days, view.bump));
    expect(made.state.version).toBe(rollups.state().version);
    // A fold of today alone while today is computed changes no kept period: the answer stands.
    rollups.fold('2026-05-31');
    view.afterCompute = () => rollups.fold('2026-05-31');
    await answer(days);
    expect(asked.at(-1)).toBe('2026-05-31..2026-05-31');
    expect(asked).toHaveLength(4);
  });

  it('keep a computed period only as it is at its entry\'s state, whatever asks come between', async () => {
    const { rollups, cache, view, answer } = harness();
    const early = { from: '2026-01-01', to: '2026-01-10', granularity: 'day' as const };
    const late = { from: '2026-01-11', to: '2026-01-20', granularity: 'day' as const };
    const both = { from: '2026-01-01', to: '2026-01-20', granularity: 'day' as const };
    await answer(early);
    // Two asks read the state; then a fold lands on 01-03, moving every later day's running figure.
    const readBefore = await rollups.readState(1, cache.keptSince(1, 'test', 'day'));
    rollups.fold('2026-01-03');
    view.bump = { from: '2026-01-03', by: 100 };
    // The first computes 01-11..01-20 after the fold: not kept as the entry's (the state before the fold) …
    expect((await answer(late, 1, readBefore)).body.toString()).toBe(fresh(late, view.bump));
    // … so the second does not join it to 01-01..01-10 from before the fold.
    expect((await answer(both, 1, readBefore)).body.toString()).toBe(fresh(both, view.bump));
  });

  it('move an entry by a read of their own when the ask read against other versions, and drop everything on a new epoch', async () => {
    const { rollups, view, answer } = harness();
    const days = { from: '2026-01-01', to: '2026-01-20', granularity: 'day' as const };
    await answer(days);
    rollups.fold('2026-01-05');
    view.bump = { from: '2026-01-05', by: 100 };
    // An ask reads the state against no versions (as when no period was kept yet), and waits.
    const readAfterFold = await rollups.readState(1);
    // A recount corrects every day's figures (and deletes the days recorded) before the waiting ask goes on: what
    // changed since the kept periods can no longer be told, only that the epoch moved.
    rollups.recount();
    view.bump = { from: '2026-01-01', by: 9 };
    const made = await answer(days, 1, readAfterFold);
    expect(made.body.toString()).toBe(fresh(days, view.bump));
    expect(made.state.epochs).toBe(rollups.state().epochs);
  });

  it('count in their size the allocations the periods are views into, and what each period costs besides', async () => {
    // Room for about two years of empty periods at 200 bytes each.
    const { cache, view, answer } = harness(150_000);
    view.empty = true;
    for (let accountId = 1; accountId <= 5; accountId++) await answer({ from: '2025-01-01', to: '2025-12-31', granularity: 'day' }, accountId);
    // Periods without items are not free: the oldest accounts' entries went.
    expect(cache.keptSince(1, 'test', 'day')).toBeUndefined();
    expect(cache.keptSince(5, 'test', 'day')).toBeDefined();
  });

  it('copy their periods together once the allocations they are views into hold more than twice their bytes', async () => {
    // About 1 MB: a year of these periods is some 100 KB, and each fold below makes the rest of the year again, so
    // without copying, the allocations of 300 folds (about 15 MB) would be held, and the entry would not fit.
    const { rollups, cache, text } = harness(1024 * 1024);
    const year = { from: '2026-01-01', to: '2026-12-31', granularity: 'day' as const };
    await text(year);
    for (let step = 0; step < 300; step++) {
      rollups.fold(new Date(Date.parse('2026-01-10T00:00:00Z') + step * 86_400_000).toISOString().slice(0, 10));
      expect(await text(year)).toBe(fresh(year));
      expect(cache.keptSince(1, 'test', 'day'), `step ${step}`).toBeDefined();
    }
  });
});
