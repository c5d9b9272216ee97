import { LRUCache } from 'lru-cache';
import { itemsJson } from './stats.json.js';
import type { RollupState, SourceVersion } from './stats.repo.js';
import { MAX_RANGE_DAYS, periodEnd, periodStart, periodStarts, type StatsRange } from './stats.service.js';

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
 * Every period kept in an entry is as it is at the entry's rollup state: a computed period is kept only if no fold
 * changed it between that state and a read taken after the compute, and the entry moves to a later state only by
 * dropping what changed in between, as read in or after that state's read. A reset or a recount gives the account
 * new epochs, which drop everything. An answer that joins kept periods to computed ones is checked against a fold
 * that committed while it was computed (see itemsJson). Per process, bounded by the memory the periods hold.
 */
export interface PeriodCache {
  /**
   * The versions `view`'s periods are kept at, if any: read the rollup state with them (readRollupState's `since`),
   * and what changed since comes in the same read.
   */
  keptSince(accountId: number, view: string, granularity: StatsRange['granularity']): SourceVersion[] | undefined;
  /**
   * The JSON `{items}` of `range` by `view`, and the rollup state it is true at (`state`, or a later one): each
   * period's items kept, or computed by `compute` (the view's items over a range, in period order, each named by its
   * period's refDate) and serialized by `serializeItem`, then kept. `range` must be checked already.
   */
  itemsJson<Item extends { refDate: string }>(input: {
    accountId: number;
    view: string;
    range: StatsRange;
    state: RollupState;
    compute: (range: StatsRange) => Promise<Item[]>;
    serializeItem: (item: Item) => string;
  }): Promise<{ body: Buffer; state: RollupState }>;
}

interface Entry {
  /** The rollup state the periods are kept at: as read before any of them was computed, or later. */
  version: string;
  epochs: string;
  sources: SourceVersion[];
  /** Each kept period's items as JSON joined by ',' ('' for a period without items), by its first day. */
  periods: Map<string, Buffer>;
  /**
   * Drawn anew whenever the entry moves to another state (or is made afresh): a compute begun at one generation
   * stores only into it (copies of an entry, made to resize it, share it).
   */
  generation: number;
}

const OPEN = Buffer.from('{"items":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

/** What a kept period costs besides its bytes: its Map slot, its 'YYYY-MM-DD' key and its Buffer view. */
const PERIOD_OVERHEAD_BYTES = 200;

/**
 * The most periods an entry keeps: a rolling range gains a period a day. Past it, those outside the range just asked
 * are dropped.
 */
const MAX_KEPT_PERIODS = 2 * MAX_RANGE_DAYS;

/** How many times an answer is made again when folds keep committing while its periods are computed. */
const ATTEMPTS = 3;

/**
 * Each period's items as JSON, in one allocation (the periods are views into it): a year of articles is thousands of
 * small strings, and a Buffer each would hold an 8 KB pool slab apiece.
 */
function serializePeriods<Item extends { refDate: string }>(starts: readonly string[], items: Item[], serializeItem: (item: Item) => string): Map<string, Buffer> {
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

/**
 * The memory an entry's periods hold: the allocations they are views into (a period keeps all of its own alive, so
 * each is counted whole), and what each period costs besides.
 */
function heldBytes(periods: Map<string, Buffer>): number {
  const blocks = new Set<ArrayBufferLike>();
  let held = periods.size * PERIOD_OVERHEAD_BYTES;
  for (const period of periods.values()) {
    if (blocks.has(period.buffer)) continue;
    blocks.add(period.buffer);
    held += period.buffer.byteLength;
  }
  return held;
}

/**
 * The periods copied into one allocation of their own size when the allocations they are views into hold more than
 * twice that (periods computed again one by one, each replacing one view into a year's allocation, would otherwise
 * keep every old allocation alive).
 */
function compacted(periods: Map<string, Buffer>): Map<string, Buffer> {
  let live = 0;
  for (const period of periods.values()) live += period.length;
  if (heldBytes(periods) - periods.size * PERIOD_OVERHEAD_BYTES <= 2 * live + 64 * 1024) return periods;
  const bytes = Buffer.allocUnsafeSlow(live);
  const copies = new Map<string, Buffer>();
  let offset = 0;
  for (const [start, period] of periods) {
    period.copy(bytes, offset);
    copies.set(start, bytes.subarray(offset, offset + period.length));
    offset += period.length;
  }
  return copies;
}

export function createPeriodCache(maxBytes: number, readState: (accountId: number, since?: SourceVersion[]) => Promise<RollupState>): PeriodCache {
  const entries = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (entry) => Math.max(1, heldBytes(entry.periods)) });
  const keyOf = (accountId: number, view: string, granularity: StatsRange['granularity']) => `${accountId} ${view} ${granularity}`;
  let generations = 0;

  /**
   * The entry of `key` moved to `state` (what changed since its own state dropped; a fresh one for a new epoch), and
   * the state it is now at: `state`, or a later one read here when the entry was not at the versions `state` was read
   * against (another ask moved it meanwhile).
   */
  async function entryAt(key: string, accountId: number, granularity: StatsRange['granularity'], state: RollupState): Promise<{ entry: Entry; state: RollupState }> {
    const kept = entries.get(key);
    if (kept?.version === state.version) return { entry: kept, state };
    let periods = new Map<string, Buffer>();
    if (kept && kept.epochs === state.epochs) {
      // Read against the entry's own versions: in the same read as `state`, or read now (and the entry moved to that).
      if (state.changedSince?.since !== kept.sources) state = await readState(accountId, kept.sources);
      if (state.epochs === kept.epochs) {
        // The periods it leaves did not change between their state and this read, so they are at this state.
        // Dropped in place: asks take the periods they join when they start, and only the entry of the latest
        // generation is added to.
        const firstChanged = state.changedSince?.firstDay;
        if (firstChanged !== undefined) {
          const firstDropped = periodStart(firstChanged, granularity);
          for (const start of kept.periods.keys()) if (start >= firstDropped) kept.periods.delete(start);
        }
        periods = kept.periods;
      }
    }
    const entry: Entry = { version: state.version, epochs: state.epochs, sources: state.sources, periods, generation: ++generations };
    entries.set(key, entry);
    return { entry, state };
  }

  /**
   * Keeps, in the entry of `key` if it is still at `generation` (so at `state`), the periods computed for `range`
   * that no fold changed between `state` and `after` (a read against `state`'s versions taken after the compute): a
   * period is kept only as it is at its entry's state, or an entry would join periods of different states.
   */
  function keep(key: string, generation: number, state: RollupState, after: RollupState, computed: Map<string, Buffer>, range: StatsRange): void {
    const entry = entries.peek(key);
    if (entry?.generation !== generation || after.epochs !== state.epochs) return;
    const firstChanged = after.changedSince?.firstDay;
    const firstChangedStart = firstChanged === undefined ? undefined : periodStart(firstChanged, range.granularity);
    for (const [start, period] of computed) if (firstChangedStart === undefined || start < firstChangedStart) entry.periods.set(start, period);
    if (entry.periods.size > MAX_KEPT_PERIODS) {
      const asked = new Set(periodStarts(range.from, range.to, range.granularity));
      for (const start of entry.periods.keys()) if (!asked.has(start)) entry.periods.delete(start);
    }
    // Set again, as a new object: lru-cache sizes an entry when it is set.
    entries.set(key, { ...entry, periods: compacted(entry.periods) });
  }

  return {
    keptSince: (accountId, view, granularity) => entries.peek(keyOf(accountId, view, granularity))?.sources,

    async itemsJson({ accountId, view, range, state, compute, serializeItem }) {
      const key = keyOf(accountId, view, range.granularity);
      const starts = periodStarts(range.from, range.to, range.granularity);
      for (let attempt = 1; ; attempt++) {
        const moved = await entryAt(key, accountId, range.granularity, state);
        const { entry } = moved;
        state = moved.state;
        const { generation } = entry;
        // Taken now: an ask moving the entry on meanwhile drops from its periods, not from these.
        const periods = starts.map((start) => entry.periods.get(start));
        const missing = starts.filter((_, index) => periods[index] === undefined);
        if (missing.length === 0) return { body: joinPeriods(periods as Buffer[]), state };
        // One read from the first missing period to the last (those between are computed again too: after a fold
        // it is the last period or two alone). Within the asked range, so the range still passes the service's checks.
        const from = missing[0]! > range.from ? missing[0]! : range.from;
        const lastEnd = periodEnd(missing.at(-1)!, range.granularity);
        const to = lastEnd < range.to ? lastEnd : range.to;
        const computed = serializePeriods(periodStarts(from, to, range.granularity), await compute({ from, to, granularity: range.granularity }), serializeItem);
        // A fold that committed while these were computed may have changed kept periods as well: they would be older
        // than the computed ones, and the answer true at no state (followers to date jumping by more than a day's
        // follows). Asked while the answer is joined; also what keep() needs. With nothing kept joined, the answer is
        // a fresh computation whatever the read says.
        const after = readState(accountId, state.sources);
        const keptStarts = starts.filter((start, index) => periods[index] !== undefined && !computed.has(start));
        const body = joinPeriods(starts.map((start, index) => computed.get(start) ?? periods[index]!));
        const now = await after;
        const firstChanged = now.changedSince?.firstDay;
        const torn =
          keptStarts.length > 0 &&
          (now.epochs !== state.epochs || (firstChanged !== undefined && keptStarts.some((start) => start >= periodStart(firstChanged, range.granularity))));
        if (!torn) {
          keep(key, generation, state, now, computed, range);
          return { body, state };
        }
        if (attempt === ATTEMPTS) {
          // Folds keep landing on kept periods: the answer computed whole, as a fresh one is.
          return { body: itemsJson(await compute(range), serializeItem), state: now };
        }
        state = now;
      }
    },
  };
}
