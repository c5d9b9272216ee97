import type { PageKey } from '../lib/permissions';

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

export const STATS_PAGES: ReadonlySet<PageKey> = new Set(['growth', 'attributes', 'articles', 'activation']);
