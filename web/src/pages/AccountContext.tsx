import { createContext, useContext } from 'react';
import type { Account } from '../api/types';
import { can, type Permission } from '../lib/permissions';

/** The account the signed-in admin is looking at, with their role on it (from GET /v1/accounts). */
export const AccountContext = createContext<Account | null>(null);

export function useAccount(): Account {
  const account = useContext(AccountContext);
  if (!account) throw new Error('useAccount outside an account page');
  return account;
}

export function useCan(permission: Permission): boolean {
  return can(useAccount().role, permission);
}
