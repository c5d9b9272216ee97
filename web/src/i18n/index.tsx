import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import { en, type MessageKey } from './en';
import { detectLocale, format, type Locale } from './locale';
import { zh } from './zh';

const DICTIONARIES: Record<Locale, Record<MessageKey, string>> = { en, zh };
const STORAGE_KEY = 'oa.locale';

export interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t(key: MessageKey, values?: Record<string, string | number>): string;
  /** An error as the person reads it: the API's code in their language, with the API's own detail beside it. */
  describeError(error: unknown): { title: string; detail?: string };
}

const I18nContext = createContext<I18n | null>(null);

export function initialLocale(): Locale {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage may be off (private mode): the browser's language decides.
  }
  return detectLocale(stored, navigator.languages ?? [navigator.language]);
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Not kept across reloads then.
    }
    document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  }, []);
  const value = useMemo<I18n>(() => {
    const dictionary = DICTIONARIES[locale];
    const t = (key: MessageKey, values?: Record<string, string | number>) => format(dictionary[key] ?? key, values);
    const describeError = (error: unknown) => {
      if (error instanceof ApiError) {
        const key = `errors.${error.code}` as MessageKey;
        const known = key in dictionary;
        const title = known ? t(key) : t('errors.unknown', { status: error.status || '—' });
        // The API's detail names the field or the limit; worth showing unless it says nothing more than the title.
        const detail = error.problem.detail && error.problem.detail !== title ? error.problem.detail : undefined;
        return { title, detail };
      }
      return { title: t('common.error'), detail: error instanceof Error ? error.message : String(error) };
    };
    return { locale, setLocale, t, describeError };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}

export type { Locale, MessageKey };
