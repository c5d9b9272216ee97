import { Readable } from 'node:stream';

/** A CSV field as RFC 4180 writes it: quoted when it holds a comma, quote or line break. */
function field(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Characters of CSV a stream chunk holds at least (the last may hold fewer). Not a line each: every chunk is a write
 * to the socket and, when compressed, a block of its own, and Brotli at the fastest level (src/http/compression.ts)
 * made a year's CSV sent a line at a time larger than the CSV itself.
 */
const CHUNK_CHARS = 16 * 1024;

/**
 * The rows of a stats answer as CSV, streamed a chunk of lines at a time: a header of `columns`, then one line per
 * row. A column may name a nested value with a path ('distribution.1-5' reads row.distribution['1-5']).
 */
export function csvStream(columns: string[], rows: Iterable<Record<string, unknown>>): Readable {
  const read = (row: Record<string, unknown>, column: string) => {
    const dot = column.indexOf('.');
    if (dot < 0) return row[column];
    return (row[column.slice(0, dot)] as Record<string, unknown> | undefined)?.[column.slice(dot + 1)];
  };
  function* chunks() {
    let pending = `${columns.map(field).join(',')}\r\n`;
    for (const row of rows) {
      pending += `${columns.map((column) => field(read(row, column))).join(',')}\r\n`;
      if (pending.length >= CHUNK_CHARS) {
        yield pending;
        pending = '';
      }
    }
    if (pending.length > 0) yield pending;
  }
  return Readable.from(chunks());
}
