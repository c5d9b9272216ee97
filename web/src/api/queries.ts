import { useQuery } from '@tanstack/react-query';
import { api } from './client';
import type { Account, AccountDetail, ActivationHourItem, Granularity, GrowthItem, Items, Quota } from './types';

/** Queries several pages share, under one key each so that a change made on one page shows on the others. */
export const keys = {
  accounts: ['accounts'] as const,
  account: (id: number) => ['accounts', id] as const,
  quota: (id: number) => ['accounts', id, 'quota'] as const,
  broadcasts: (id: number) => ['accounts', id, 'broadcasts'] as const,
  tags: (id: number) => ['accounts', id, 'tags'] as const,
  followers: (id: number) => ['accounts', id, 'followers'] as const,
  members: (id: number) => ['accounts', id, 'members'] as const,
  webhook: (id: number) => ['accounts', id, 'webhook'] as const,
  stats: (id: number) => ['accounts', id, 'stats'] as const,
};

export const accountsQuery = { queryKey: keys.accounts, queryFn: async () => (await api<Items<Account>>('GET', '/v1/accounts')).items };

export function useAccounts() {
  return useQuery(accountsQuery);
}

/**
 * The server's today (its QUOTA_TIMEZONE decides, not the browser's clock): the day of an hourly report asked for
 * without a date, which the API answers with today's 24 hours.
 */
export const todayQuery = (accountId: number) => ({
  queryKey: [...keys.stats(accountId), 'today'] as const,
  queryFn: async () => (await api<Items<ActivationHourItem>>('GET', `/v1/accounts/${accountId}/stats/activation/hourly`)).items[0]!.refDate,
  staleTime: 60_000,
});

export const growthQuery = (accountId: number, range: { from: string; to: string }, granularity: Granularity) => ({
  queryKey: [...keys.stats(accountId), 'followers', range.from, range.to, granularity] as const,
  queryFn: async () =>
    (await api<Items<GrowthItem>>('GET', `/v1/accounts/${accountId}/stats/followers`, { query: { from: range.from, to: range.to, granularity } })).items,
});

export function useAccountDetail(id: number) {
  return useQuery({ queryKey: keys.account(id), queryFn: () => api<AccountDetail>('GET', `/v1/accounts/${id}`) });
}

export function useQuota(id: number, options: { refetchInterval?: number } = {}) {
  return useQuery({ queryKey: keys.quota(id), queryFn: () => api<Quota>('GET', `/v1/accounts/${id}/quota`), ...options });
}
