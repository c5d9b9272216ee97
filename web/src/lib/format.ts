import type { Locale } from '../i18n/locale';

const intl = (locale: Locale) => (locale === 'zh' ? 'zh-CN' : 'en-GB');

// Creating an Intl formatter costs far more than using one (tens of ms for the first of a locale): one each, kept.
const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: Locale, digits?: number): Intl.NumberFormat {
  const key = `${locale}:${digits ?? ''}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(intl(locale), digits === undefined ? undefined : { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits });
    numberFormats.set(key, format);
  }
  return format;
}

/**
 * Both locales group a whole number's digits by three with a comma and write the minus as "-", exactly what this
 * does without Intl: the first Intl formatter of a page load costs 30–70 ms (the browser loads its locale data), on
 * the growth page just before the chart is drawn. Fractions, -0 and unsafe integers still go through Intl.
 */
const GROUP_THOUSANDS = /\B(?=(\d{3})+(?!\d))/g;

export function formatNumber(value: number, locale: Locale): string {
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) return String(value).replace(GROUP_THOUSANDS, ',');
  return numberFormat(locale).format(value);
}

export function formatPercent(share: number, locale: Locale, digits = 1): string {
  return numberFormat(locale, digits).format(share);
}

export function formatDateTime(value: string | number | Date | null | undefined, locale: Locale): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(intl(locale), { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** Lines of a text area as a list of openids: trimmed, blank lines dropped, duplicates once. */
export function parseOpenids(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((line) => line.trim()).filter(Boolean))];
}

/** A client-chosen id for one send, so that retrying after a lost answer returns the same broadcast (clientMsgId). */
export function newClientMsgId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
