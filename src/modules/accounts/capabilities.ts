import { DATACUBE_SPANS } from '../stats/datacube.js';
import type { AccountType } from './accounts.repo.js';

/**
 * What an account may do, by type and verification (微信认证): the rows of WeChat's interface-privilege table
 * (../shared/wechat-protocol.md §10.5). Which (type, verified) pairs have each capability is data, in
 * capability_policies (seeded by migration 0015); this file names the capabilities and says which interface needs
 * which.
 */
export const CAPABILITIES = {
  basic: 'access tokens and call quotas',
  receive_messages: 'receive messages and events, passive replies',
  menu: 'custom menu create/get/delete',
  conditional_menu: 'conditional (personalized) menus',
  menu_info: 'read the current menu (get_current_selfmenu_info)',
  custom_message: 'customer-service messages',
  kf_management: 'customer-service accounts and records',
  template_message: 'template messages',
  qrcode: 'QR codes with parameters',
  user_info: 'follower list and follower info',
  user_tags: 'tags, remarks and the blacklist',
  user_location: 'follower location reports',
  oauth: 'web page authorization (OAuth)',
  mass_send: 'mass send to all or a tag, preview, delete, status, speed',
  mass_send_openids: 'mass send to a list of openids',
  media: 'media upload and download',
  datacube: 'statistics (datacube)',
  short_url: 'long-to-short URLs, semantic understanding',
} as const;

export type Capability = keyof typeof CAPABILITIES;
export const CAPABILITY_NAMES = Object.keys(CAPABILITIES) as Capability[];

export function isCapability(name: string): name is Capability {
  return Object.hasOwn(CAPABILITIES, name);
}

/**
 * The capability each authenticated /cgi-bin and /datacube interface needs, by its route URL (routeOptions.url).
 * The WeChat scope checks it right after the access token (wechat.plugin.ts); an interface missing here is refused
 * (48001), and test/integration/capabilities.test.ts fails for every registered route that is missing. Routes marked
 * `wechatPublic` (token, stable_token, showqrcode) take no token and need no capability.
 */
export const CAPABILITY_OF_INTERFACE: Readonly<Record<string, Capability>> = {
  '/cgi-bin/clear_quota': 'basic',
  '/cgi-bin/openapi/quota/get': 'basic',

  '/cgi-bin/user/get': 'user_info',
  '/cgi-bin/user/info': 'user_info',
  '/cgi-bin/user/info/batchget': 'user_info',
  '/cgi-bin/user/info/updateremark': 'user_tags',
  '/cgi-bin/tags/create': 'user_tags',
  '/cgi-bin/tags/get': 'user_tags',
  '/cgi-bin/tags/update': 'user_tags',
  '/cgi-bin/tags/delete': 'user_tags',
  '/cgi-bin/tags/members/batchtagging': 'user_tags',
  '/cgi-bin/tags/members/batchuntagging': 'user_tags',
  '/cgi-bin/tags/getidlist': 'user_tags',
  '/cgi-bin/user/tag/get': 'user_tags',
  '/cgi-bin/tags/members/getblacklist': 'user_tags',
  '/cgi-bin/tags/members/batchblacklist': 'user_tags',
  '/cgi-bin/tags/members/batchunblacklist': 'user_tags',

  '/cgi-bin/media/upload': 'media',
  '/cgi-bin/media/get': 'media',
  '/cgi-bin/media/uploadimg': 'media',
  '/cgi-bin/media/uploadnews': 'media',
  '/cgi-bin/media/uploadvideo': 'media',

  '/cgi-bin/message/mass/sendall': 'mass_send',
  '/cgi-bin/message/mass/preview': 'mass_send',
  '/cgi-bin/message/mass/delete': 'mass_send',
  '/cgi-bin/message/mass/get': 'mass_send',
  '/cgi-bin/message/mass/speed/get': 'mass_send',
  '/cgi-bin/message/mass/speed/set': 'mass_send',
  '/cgi-bin/message/mass/send': 'mass_send_openids',

  '/cgi-bin/menu/create': 'menu',
  '/cgi-bin/menu/get': 'menu',
  '/cgi-bin/menu/delete': 'menu',
  '/cgi-bin/get_current_selfmenu_info': 'menu_info',
  '/cgi-bin/menu/addconditional': 'conditional_menu',
  '/cgi-bin/menu/delconditional': 'conditional_menu',
  '/cgi-bin/menu/trymatch': 'conditional_menu',

  '/cgi-bin/qrcode/create': 'qrcode',

  '/cgi-bin/message/custom/send': 'custom_message',
  '/cgi-bin/message/custom/typing': 'custom_message',

  '/cgi-bin/template/api_set_industry': 'template_message',
  '/cgi-bin/template/get_industry': 'template_message',
  '/cgi-bin/template/api_add_template': 'template_message',
  '/cgi-bin/template/get_all_private_template': 'template_message',
  '/cgi-bin/template/del_private_template': 'template_message',
  '/cgi-bin/message/template/send': 'template_message',

  ...Object.fromEntries(Object.keys(DATACUBE_SPANS).map((view) => [`/datacube/${view}`, 'datacube' as const])),
};

/**
 * The capabilities the admin API (/v1) checks too. /v1 is this product's web console (mp.weixin.qq.com), and
 * WeChat's console gives every account, verified or not, what its own pages do: mass sends to all or a tag (1 a
 * day / 4 a month, §10.5 "Web UI mass sending needs no verification"), previews, the menu editor, replies to
 * followers within 48 hours, followers and tags, the media library and statistics. Those stay open on /v1 whatever
 * the policy says. What the console has no page for is an interface privilege there too, and is checked on /v1:
 * sending to a hand-picked list of openids (only mass/send does that), template messages (the console's template
 * plugin is for verified service accounts), QR codes with parameters, conditional menus, and the API-only rows.
 */
export const CONSOLE_CHECKED_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'mass_send_openids',
  'template_message',
  'qrcode',
  'conditional_menu',
  'kf_management',
  'user_location',
  'oauth',
  'short_url',
]);

export interface CapabilityHolder {
  type: AccountType;
  verified: boolean;
}

const ACCOUNT_TYPES: readonly AccountType[] = ['subscription', 'service'];

/** "a verified subscription account", "an unverified service account", "a service account". */
function accountPhrase(type: AccountType | undefined, verified: boolean | undefined): string {
  const words = [verified === undefined ? undefined : verified ? 'verified' : 'unverified', type, 'account'].filter(Boolean).join(' ');
  return `${/^[aeiou]/.test(words) ? 'an' : 'a'} ${words}`;
}

/**
 * Who has a capability, in words, from the pairs that are allowed it: "a verified service account", "a verified
 * account (微信认证)", "a verified subscription account or a service account".
 */
export function holdersPhrase(allowed: (holder: CapabilityHolder) => boolean): string {
  const verifiedOnly = ACCOUNT_TYPES.every((type) => allowed({ type, verified: true }) && !allowed({ type, verified: false }));
  if (verifiedOnly) return 'a verified account (微信认证)';
  const phrases: string[] = [];
  for (const type of ACCOUNT_TYPES) {
    const whenVerified = allowed({ type, verified: true });
    const whenUnverified = allowed({ type, verified: false });
    if (whenVerified && whenUnverified) phrases.push(accountPhrase(type, undefined));
    else if (whenVerified || whenUnverified) phrases.push(accountPhrase(type, whenVerified));
  }
  return phrases.length === 0 ? 'no account (the capability policy allows it to none)' : phrases.join(' or ');
}

export function describeHolder(holder: CapabilityHolder): string {
  return accountPhrase(holder.type, holder.verified);
}
