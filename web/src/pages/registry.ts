import type { PageKey } from '../lib/permissions';
import { preloadable, type Preloadable } from '../lib/preloadable';

/**
 * The code of each account page, loaded when first needed (one chunk each). App.tsx starts the chunk of the page
 * being opened before the account shell has even loaded, so the two download and compile side by side.
 */
export const PAGE_LOADERS: Record<PageKey, () => Promise<{ default: () => React.JSX.Element }>> = {
  overview: () => import('./OverviewPage'),
  compose: () => import('./ComposePage'),
  broadcasts: () => import('./BroadcastsPage'),
  followers: () => import('./FollowersPage'),
  growth: () => import('./stats/GrowthPage'),
  attributes: () => import('./stats/AttributesPage'),
  articles: () => import('./stats/ArticlesPage'),
  activation: () => import('./stats/ActivationPage'),
  webhook: () => import('./WebhookPage'),
  members: () => import('./MembersPage'),
};

/** The pages as components: each renders at once when warmup.ts has already loaded its chunk. */
export const PAGES = Object.fromEntries(Object.entries(PAGE_LOADERS).map(([key, load]) => [key, preloadable(load)])) as Record<PageKey, Preloadable<object>>;

/** The frame of every account page (menu, account switcher), loaded with the first of them. */
export const AccountShell = preloadable(() => import('./AccountShell'));

/** Sign-in and registration, loaded at once when the browser has no session. */
export const AuthPage = preloadable(() => import('./AuthPage'));

export const STATS_PAGES: ReadonlySet<PageKey> = new Set(['growth', 'attributes', 'articles', 'activation']);
