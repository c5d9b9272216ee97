import type { Granularity } from '../api/types';

/**
 * The file name of a statistics download: what it is, for which account and which days, so that a folder of
 * downloads sorts and reads well (followers_wx12ab_2026-01-01_2026-01-31_day.csv).
 */
export function csvFileName(parts: { report: string; appid: string; from?: string; to?: string; date?: string; granularity?: Granularity; extra?: string }): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/\.{2,}/g, '').replace(/^[-.]+|[-.]+$/g, '');
  const pieces = [parts.report, parts.appid, parts.extra, parts.date, parts.from, parts.to, parts.granularity].filter((piece): piece is string => Boolean(piece)).map(safe);
  return `${pieces.filter(Boolean).join('_')}.csv`;
}

/**
 * The CSV as a file to save: the API's bytes unchanged (a download is the same file a script gets with
 * `format=csv`).
 */
export function csvBlob(csv: string): Blob {
  return new Blob([csv], { type: 'text/csv;charset=utf-8' });
}
