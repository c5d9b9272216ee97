/** The console's languages, and which one a browser starts with. */
export type Locale = 'zh' | 'en';
export const LOCALES: Locale[] = ['zh', 'en'];

/** The stored choice if there is one, else the browser's first language that is Chinese or English, else English. */
export function detectLocale(stored: string | null, languages: readonly string[]): Locale {
  if (stored === 'zh' || stored === 'en') return stored;
  for (const language of languages) {
    const lower = language.toLowerCase();
    if (lower.startsWith('zh')) return 'zh';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

/** Fills `{name}` placeholders; an unknown placeholder stays as written, so a mistake shows instead of vanishing. */
export function format(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
