import { LRUCache } from 'lru-cache';
import type { RollupState, SourceVersion } from './stats.repo.js';
import { periodEnd, periodStart, periodStarts, type StatsRange } from './stats.service.js';

/**
 * The items of period answers (a year of followers or activation by day, week or month; articles and reads by day),
 * kept per account, view and granularity as each period's JSON, so that an answer asked after a fold recomputes only
 * the periods the fold changed and takes the rest as they were.
 *
 * Why: a fold changes the days of the events it folds, which is today nearly always, but it moves the account's
 * version, and a kept whole answer (stats.cache.ts) is then thrown away: on a live account, a year by day was read,
 * shaped and serialized afresh on every ask, 5–13 ms of work for the figures of one day. Each fold now records the
 * days it changed with its version (stats_day_changes), so the periods kept at version v stay true except those from
 * the first day changed after v on. From there on, not just that day: the running figures (followers to date, and
 * activation's followers who sent nothing, which counts them) of every later period depend on it.
 *
 * Every period kept in an entry was computed after the entry's rollup state was read (its content is that state or
 * later), and the entry moves to a later state only by dropping what changed in between, as read after that state.
 * A reset or a recount gives the account new epochs, which drop everything. Per process, bounded by size.
 */
export interface PeriodCache {
  /**
   * The versions `view`'s periods are kept at, if any: read the rollup state with them (readRollupState's `since`),
   * and what changed since comes in the same read.
   */
  keptSince(accountId: number, view: string, granularity: StatsRange['granularity']): SourceVersion[] | undefined;
  /**
   * The JSON `{items}` of `range` by `view`: each period's items kept at `state`, or computed by `compute` (the
   * view's items over a range, in period order, each named by its period's refDate) and serialized by
   * `serializeItem`, then kept. `range` must be checked already.
   */
  itemsJson<Item extends { refDate: string }>(input: {
    accountId: number;
    view: string;
    range: StatsRange;
    state: RollupState;
    compute: (range: StatsRange) => Promise<Item[]>;
    serializeItem: (item: Item) => string;
  }): Promise<Buffer>;
}

interface Entry {
  /** The rollup state the periods are kept at: as read before any of them was computed, or later. */
  version: string;
  epochs: string;
  sources: SourceVersion[];
  /** Each kept period's items as JSON joined by ',' ('' for a period without items), by its first day. */
  periods: Map<string, Buffer>;
  bytes: number;
}

const OPEN = Buffer.from('{"items":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

/**
 * Each period's items as JSON, in one allocation (the periods are views into it): a year of articles is thousands of
 * small strings, and a Buffer each would hold an 8 KB pool slab apiece.
 */
function serializePeriods<Item extends { refDate: string }>(starts: string[], items: Item[], serializeItem: (item: Item) => string): Map<string, Buffer> {
  const texts: string[] = [];
  let next = 0;
  for (const start of starts) {
    let text = '';
    for (; next < items.length && items[next]!.refDate === start; next++) text += (text === '' ? '' : ',') + serializeItem(items[next]!);
    texts.push(text);
  }
  if (next < items.length) throw new Error(`items out of period order at ${items[next]!.refDate}`);
  const lengths = texts.map((text) => Buffer.byteLength(text));
  const bytes = Buffer.allocUnsafeSlow(lengths.reduce((sum, length) => sum + length, 0));
  const periods = new Map<string, Buffer>();
  let offset = 0;
  starts.forEach((start, index) => {
    bytes.write(texts[index]!, offset);
    periods.set(start, bytes.subarray(offset, offset + lengths[index]!));
    offset += lengths[index]!;
  });
  return periods;
}

/** `{"items":[…]}` of the periods in order, those without items left out. */
function joinPeriods(periods: Buffer[]): Buffer {
  const parts: Buffer[] = [OPEN];
  for (const period of periods) {
    if (period.length === 0) continue;
    if (parts.length > 1) parts.push(COMMA);
    parts.push(period);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

export function createPeriodCache(
  maxBytes: number,
  firstDayChangedSince: (accountId: number, since: SourceVersion[]) => Promise<string | undefined>,
): PeriodCache {
  const entries = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (entry) => Math.max(1, entry.bytes) });

  /** The entry of `key` moved to `state`: what changed since its own state dropped; a fresh one for a new epoch. */
  async function entryAt(key: string, accountId: number, granularity: StatsRange['granularity'], state: RollupState): Promise<Entry> {
    const kept = entries.get(key);
    if (kept?.version === state.version) return kept;
    const entry: Entry = { version: state.version, epochs: state.epochs, sources: state.sources, periods: new Map(), bytes: 0 };
    if (kept && kept.epochs === state.epochs) {
      // Read after `state`: the periods it leaves were not changed between their computing and this read, so they
      // are at `state` or later.
      const firstChanged = state.changedSince?.since === kept.sources ? state.changedSince.firstDay : await firstDayChangedSince(accountId, kept.sources);
      const firstDropped = firstChanged === undefined ? undefined : periodStart(firstChanged, granularity);
      for (const [start, period] of kept.periods) {
        if (firstDropped !== undefined && start >= firstDropped) continue;
        entry.periods.set(start, period);
        entry.bytes += period.length;
      }
    }
    entries.set(key, entry);
    return entry;
  }

  const keyOf = (accountId: number, view: string, granularity: StatsRange['granularity']) => `${accountId} ${view} ${granularity}`;

  return {
    keptSince: (accountId, view, granularity) => entries.peek(keyOf(accountId, view, granularity))?.sources,

    async itemsJson({ accountId, view, range, state, compute, serializeItem }) {
      const key = keyOf(accountId, view, range.granularity);
      const entry = await entryAt(key, accountId, range.granularity, state);
      const starts = periodStarts(range.from, range.to, range.granularity);
      const missing = starts.filter((start) => !entry.periods.has(start));
      let computed: Map<string, Buffer> | undefined;
      if (missing.length > 0) {
        // One read from the first missing period to the last (those between are computed again too: after a fold
        // it is the last period or two alone). Within the asked range, so the range still passes the service's checks.
        const from = missing[0]! > range.from ? missing[0]! : range.from;
        const lastEnd = periodEnd(missing.at(-1)!, range.granularity);
        const to = lastEnd < range.to ? lastEnd : range.to;
        const spanned = periodStarts(from, to, range.granularity);
        computed = serializePeriods(spanned, await compute({ from, to, granularity: range.granularity }), serializeItem);
        // Kept only if the entry is still the current one: one moved to a later state meanwhile may not take periods
        // computed before that state was read.
        if (entries.peek(key) === entry) {
          for (const [start, period] of computed) {
            entry.bytes += period.length - (entry.periods.get(start)?.length ?? 0);
            entry.periods.set(start, period);
          }
          // lru-cache sizes an entry when it is set: set it again, as a new object (the periods are shared).
          entries.set(key, { ...entry });
        }
      }
      return joinPeriods(starts.map((start) => computed?.get(start) ?? entry.periods.get(start)!));
    },
  };
}
