import type { MemberRole } from './accounts.repo.js';

/**
 * What each role may do on an account. Owners may do everything, admins post and manage followers, analysts
 * read statistics. Routes name a permission, never a role, so a new route cannot forget a case.
 */
export const PERMISSIONS = {
  'account:read': ['owner', 'admin', 'analyst'],
  'account:manage': ['owner'],
  'quota:read': ['owner', 'admin', 'analyst'],
  'followers:manage': ['owner', 'admin'],
  'broadcasts:write': ['owner', 'admin'],
  'broadcasts:read': ['owner', 'admin'],
  'stats:read': ['owner', 'admin', 'analyst'],
  // The custom menu and QR codes with parameters: what followers see and scan, set by those who post.
  'menu:write': ['owner', 'admin'],
  'qrcodes:manage': ['owner', 'admin'],
  // Template messages: the account's industries and templates, and sending with them (service notices to followers).
  'templates:manage': ['owner', 'admin'],
} as const satisfies Record<string, readonly MemberRole[]>;

export type Permission = keyof typeof PERMISSIONS;

export function roleAllows(role: MemberRole, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly MemberRole[]).includes(role);
}
