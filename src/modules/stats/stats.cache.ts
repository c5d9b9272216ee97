import { LRUCache } from 'lru-cache';
import { encodeBody, type StoredEncoding } from '../../http/compression.js';

/** A kept answer: its JSON, and the same compressed in each encoding it has been asked in so far. */
export interface KeptAnswer {
  body: Buffer;
  /** The body in `encoding`, compressed the first time it is asked for and kept beside it from then on. */
  encoded(encoding: StoredEncoding): Buffer;
}

/**
 * Serialized JSON answers of the stats routes, each kept with the version of its account's rollups it was computed at
 * (see StatsService.rollupState) and served again while that version holds: a year of daily figures is hundreds of
 * kilobytes of JSON, and building it again (reading thousands of rollup rows, shaping and serializing them) costs
 * several times what sending it costs. Only answers computed from the rollups alone belong here: the version does not
 * move when anything else changes. Per process and bounded by size (each answer's JSON and compressed copies); the
 * least recently used answers go first.
 */
export interface AnswerCache {
  /** The answer kept for `key` if it was computed at `version`. */
  get(key: string, version: string): KeptAnswer | undefined;
  /** Keeps `body` for `key` at `version`, and gives it back as a kept answer (also when it is too large to keep). */
  set(key: string, version: string, body: Buffer): KeptAnswer;
}

interface Entry {
  version: string;
  body: Buffer;
  encodings: Map<StoredEncoding, Buffer>;
}

const sizeOf = (entry: Entry) => {
  let size = entry.body.length;
  for (const encoded of entry.encodings.values()) size += encoded.length;
  return Math.max(1, size);
};

export function createAnswerCache(maxBytes: number): AnswerCache {
  // lru-cache bounds the total size and refuses an entry larger than the whole (maxEntrySize defaults to maxSize).
  const entries = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: sizeOf });

  const answerOf = (key: string, entry: Entry): KeptAnswer => ({
    body: entry.body,
    encoded(encoding) {
      let encoded = entry.encodings.get(encoding);
      if (!encoded) {
        entry.encodings.set(encoding, (encoded = encodeBody(entry.body, encoding)));
        // lru-cache sizes an entry when it is set: set it again (as a new object, or the size stays) to count the
        // copy, if this answer is still the one kept (copies of an entry share its encodings).
        const kept = entries.peek(key);
        if (kept?.encodings === entry.encodings) entries.set(key, { ...kept });
      }
      return encoded;
    },
  });

  return {
    get(key, version) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.version === version) return answerOf(key, entry);
      // Computed at an older version: it can never be served again.
      entries.delete(key);
      return undefined;
    },
    set(key, version, body) {
      const entry: Entry = { version, body, encodings: new Map() };
      entries.set(key, entry);
      return answerOf(key, entry);
    },
  };
}
