import type { QueryClient } from '@tanstack/react-query';
import { accountsQuery, growthQuery, todayQuery } from './api/queries';
import { sessionStore } from './api/session';
import { isDay } from './lib/dateRange';
import { pageOfPath } from './lib/permissions';
import { EChart } from './components/LazyEChart';
import { AccountShell, PAGES, STATS_PAGES } from './pages/registry';

/**
 * On the first load of an account page, starts at once what that page will wait for: its code (the account shell,
 * the page, the charts) and its first API calls (the accounts, the server's today, a growth range named in the
 * address). Otherwise each would start only once the code before it had loaded and rendered, one after another.
 */
export function warmUp(location: Location, queryClient: QueryClient): void {
  if (!sessionStore.get()) {
    void import('./pages/AuthPage');
    return;
  }
  const match = /^\/accounts\/(\d+)(?:\/|$)/.exec(location.pathname);
  if (!match) return;
  const accountId = Number(match[1]);
  void queryClient.prefetchQuery(accountsQuery);
  void AccountShell.preload();
  const page = pageOfPath(location.pathname);
  if (!page) return;
  void PAGES[page].preload();
  if (!STATS_PAGES.has(page)) return;
  void EChart.preload();
  void queryClient.prefetchQuery(todayQuery(accountId));
  const search = new URLSearchParams(location.search);
  const range = { from: search.get('from') ?? '', to: search.get('to') ?? '' };
  const granularity = search.get('granularity');
  if (page === 'growth' && isDay(range.from) && isDay(range.to) && (granularity === 'day' || granularity === 'week' || granularity === 'month')) {
    void queryClient.prefetchQuery(growthQuery(accountId, range, granularity));
  }
}
