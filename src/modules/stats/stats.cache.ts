import { LRUCache } from 'lru-cache';

/**
 * Serialized JSON answers of the stats routes, each kept with the version of its account's rollups it was computed at
 * (see StatsService.rollupVersion) and served again while that version holds: a year of daily figures is hundreds of
 * kilobytes of JSON, and building it again (reading thousands of rollup rows, shaping and serializing them) costs
 * several times what sending it costs. Only answers computed from the rollups alone belong here: the version does not
 * move when anything else changes. Per process and bounded by size; the least recently used answers go first.
 */
export interface AnswerCache {
  /** The answer kept for `key` if it was computed at `version`. */
  get(key: string, version: string): Buffer | undefined;
  set(key: string, version: string, body: Buffer): void;
}

export function createAnswerCache(maxBytes: number): AnswerCache {
  // lru-cache bounds the total size and refuses an entry larger than the whole (maxEntrySize defaults to maxSize).
  const entries = new LRUCache<string, { version: string; body: Buffer }>({ maxSize: maxBytes, sizeCalculation: (entry) => Math.max(1, entry.body.length) });
  return {
    get(key, version) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.version === version) return entry.body;
      // Computed at an older version: it can never be served again.
      entries.delete(key);
      return undefined;
    },
    set(key, version, body) {
      entries.set(key, { version, body });
    },
  };
}
