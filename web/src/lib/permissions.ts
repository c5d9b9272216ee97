/** A member's role on an account (the API's roles). */
export type Role = 'owner' | 'admin' | 'analyst';

/**
 * What each role may do, as the API decides it (src/modules/accounts/permissions.ts; test/unit/console-permissions
 * keeps the two equal, which is why this file imports nothing). The console offers a page or an action only when the role has every permission it needs, so nobody
 * meets a 403 by clicking around.
 */
export const PERMISSIONS = {
  'account:read': ['owner', 'admin', 'analyst'],
  'account:manage': ['owner'],
  'quota:read': ['owner', 'admin', 'analyst'],
  'followers:manage': ['owner', 'admin'],
  'broadcasts:write': ['owner', 'admin'],
  'broadcasts:read': ['owner', 'admin'],
  'stats:read': ['owner', 'admin', 'analyst'],
  'menu:write': ['owner', 'admin'],
  'qrcodes:manage': ['owner', 'admin'],
  'templates:manage': ['owner', 'admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** The console's pages of one account, in menu order, with the API permissions each one calls for. */
export const ACCOUNT_PAGES = [
  { key: 'overview', path: '', group: 'home', needs: ['account:read', 'quota:read', 'broadcasts:read', 'stats:read'] },
  { key: 'compose', path: 'compose', group: 'content', needs: ['broadcasts:write', 'quota:read'] },
  { key: 'broadcasts', path: 'broadcasts', group: 'content', needs: ['broadcasts:read'] },
  { key: 'followers', path: 'followers', group: 'users', needs: ['followers:manage'] },
  { key: 'growth', path: 'stats/growth', group: 'stats', needs: ['stats:read'] },
  { key: 'attributes', path: 'stats/attributes', group: 'stats', needs: ['stats:read'] },
  { key: 'articles', path: 'stats/articles', group: 'stats', needs: ['stats:read'] },
  { key: 'activation', path: 'stats/activation', group: 'stats', needs: ['stats:read'] },
  { key: 'webhook', path: 'webhook', group: 'settings', needs: ['account:manage'] },
  { key: 'members', path: 'members', group: 'settings', needs: ['account:manage'] },
] as const satisfies ReadonlyArray<{ key: string; path: string; group: string; needs: readonly Permission[] }>;

export type AccountPage = (typeof ACCOUNT_PAGES)[number];
export type PageKey = AccountPage['key'];

export function pagesFor(role: Role): AccountPage[] {
  return ACCOUNT_PAGES.filter((page) => page.needs.every((permission) => can(role, permission)));
}

export function mayOpen(role: Role, key: PageKey): boolean {
  return pagesFor(role).some((page) => page.key === key);
}

export function pagePath(accountId: number, page: AccountPage): string {
  return page.path ? `/accounts/${accountId}/${page.path}` : `/accounts/${accountId}`;
}

/** Where a member of the account lands: the first page their role opens (an analyst: follower growth). */
export function landingPath(accountId: number, role: Role): string {
  return pagePath(accountId, pagesFor(role)[0]!);
}

/** The page a path of the console shows (for the menu's selection and the account switcher). */
export function pageOfPath(pathname: string): PageKey | undefined {
  const rest = pathname.replace(/^\/accounts\/\d+\/?/, '').replace(/\/$/, '');
  return ACCOUNT_PAGES.find((page) => page.path === rest)?.key;
}
