import type { QueryClient } from '@tanstack/react-query';
import { accountsQuery, growthQuery, todayQuery } from './api/queries';
import { sessionStore } from './api/session';
import { isDay } from './lib/dateRange';
import { pageOfPath } from './lib/permissions';
import { EChart } from './components/LazyEChart';
import { AccountShell, AuthPage, PAGES, STATS_PAGES } from './pages/registry';

/**
 * On the first load of a page, starts at once what that page will wait for: its code (the sign-in page, or the
 * account shell, the page and the charts) and its first API calls (the accounts, the server's today, a growth range
 * named in the address). Otherwise each would start only once the code before it had loaded and rendered, one after
 * another. Resolves when that code has loaded or failed to (the render then shows the failure); never rejects.
 */
export async function warmUp(location: Location, queryClient: QueryClient): Promise<void> {
  await Promise.allSettled(startLoading(location, queryClient));
}

function startLoading(location: Location, queryClient: QueryClient): Array<Promise<unknown>> {
  if (!sessionStore.get()) return [AuthPage.preload()];
  const match = /^\/accounts\/(\d+)(?:\/|$)/.exec(location.pathname);
  if (!match) return [];
  const accountId = Number(match[1]);
  void queryClient.prefetchQuery(accountsQuery);
  const code = [AccountShell.preload()];
  const page = pageOfPath(location.pathname);
  if (!page) return code;
  code.push(PAGES[page].preload());
  if (!STATS_PAGES.has(page)) return code;
  code.push(EChart.preload());
  void queryClient.prefetchQuery(todayQuery(accountId));
  const search = new URLSearchParams(location.search);
  const range = { from: search.get('from') ?? '', to: search.get('to') ?? '' };
  const granularity = search.get('granularity');
  if (page === 'growth' && isDay(range.from) && isDay(range.to) && (granularity === 'day' || granularity === 'week' || granularity === 'month')) {
    void queryClient.prefetchQuery(growthQuery(accountId, range, granularity));
  }
  return code;
}
