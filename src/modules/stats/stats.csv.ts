import { Readable } from 'node:stream';

/** A CSV field as RFC 4180 writes it: quoted when it holds a comma, quote or line break. */
function field(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The rows of a stats answer as CSV, streamed line by line: a header of `columns`, then one line per row. A column
 * may name a nested value with a path ('distribution.1-5' reads row.distribution['1-5']).
 */
export function csvStream(columns: string[], rows: Iterable<Record<string, unknown>>): Readable {
  const read = (row: Record<string, unknown>, column: string) => {
    const dot = column.indexOf('.');
    if (dot < 0) return row[column];
    return (row[column.slice(0, dot)] as Record<string, unknown> | undefined)?.[column.slice(dot + 1)];
  };
  function* lines() {
    yield `${columns.map(field).join(',')}\r\n`;
    for (const row of rows) yield `${columns.map((column) => field(read(row, column))).join(',')}\r\n`;
  }
  return Readable.from(lines());
}
