/** The admin API's answers, as the console reads them (see GET /docs/json for the full OpenAPI document). */
import type { Role } from '../lib/permissions';

export type { Role };
export type AccountType = 'subscription' | 'service';

export interface Account {
  id: number;
  name: string;
  appid: string;
  originalId: string;
  type: AccountType;
  typeLocked: boolean;
  verified: boolean;
  verifiedAt: string | null;
  broadcastSpeed: number | null;
  role: Role;
  createdAt: string;
}

export interface AccountDetail extends Account {
  capabilities: string[];
}

export interface CreatedAccount extends Account {
  appsecret: string;
}

export interface Quota {
  type: AccountType;
  period: 'day' | 'month';
  limit: number;
  used: number;
  remaining: number;
  periodStart: string;
  resetsAt: string;
}

export interface Member {
  userId: number;
  email: string;
  role: Role;
  addedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Items<T> {
  items: T[];
}

export type BroadcastStatus = 'queued' | 'SENDING' | 'SEND_SUCCESS' | 'SEND_FAIL';

export interface NewsArticleInput {
  title: string;
  author?: string;
  digest?: string;
  content: string;
  contentSourceUrl?: string;
  thumbUrl: string;
  showCoverPic?: boolean;
  needOpenComment?: boolean;
}

export type MessageInput = { type: 'news'; articles: NewsArticleInput[] } | { type: 'text'; content: string } | { type: 'image'; imageUrl: string };

export type TargetInput = { all: true } | { tagId: number } | { openids: string[] };

export interface ArticleSummary {
  index: number;
  title: string;
  author: string;
  digest: string;
  contentSourceUrl: string;
  thumbUrl: string;
  deleted: boolean;
}

export interface BroadcastSummary {
  id: number;
  msgId: string;
  msgDataId: number | null;
  status: BroadcastStatus;
  preview: boolean;
  target: { all?: boolean; tagId?: number | null; openids?: boolean };
  clientMsgId: string | null;
  failReason: string | null;
  counts: { total: number; filtered: number; sent: number; errors: number };
  progress: number;
  message: { type: 'news' | 'text' | 'image'; articles?: ArticleSummary[]; content?: string; imageUrl?: string };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  deletedAt: string | null;
  duplicate?: boolean;
}

export interface Follower {
  subscribe: number;
  openid: string;
  nickname: string;
  sex: number;
  language: string;
  city: string;
  province: string;
  country: string;
  subscribeTime: number;
  unionid: string | null;
  remark: string;
  tagidList: number[];
  subscribeScene: string;
  qrScene: number;
  qrSceneStr: string;
  blacklisted: boolean;
}

export type FollowerInfo = Follower | { subscribe: 0; openid: string; unionid?: string };

export interface Tag {
  id: number;
  name: string;
  count: number;
}

export interface BlacklistEntry {
  openid: string;
  blacklistedAt: string;
}

export type Granularity = 'day' | 'week' | 'month';

export interface GrowthItem {
  refDate: string;
  newUser: number;
  cancelUser: number;
  netUser: number;
  cumulateUser: number;
  userSource: Array<{ scene: string; newUser: number; cancelUser: number }>;
}

export interface ActivationItem {
  refDate: string;
  msgUser: number;
  msgCount: number;
  avgPerUser: number;
  byType: Array<{ msgType: string; msgUser: number; msgCount: number }>;
  distribution: { '0': number; '1-5': number; '6-10': number; '>10': number };
}

export interface Engagement {
  intPageReadUser: number;
  intPageReadCount: number;
  oriPageReadUser: number;
  oriPageReadCount: number;
  shareUser: number;
  shareCount: number;
  addToFavUser: number;
  addToFavCount: number;
}

export interface ArticleDayItem extends Engagement {
  refDate: string;
  msgDataId: number;
  articleIndex: number;
  title: string;
}

export interface ArticleTotalItem extends Engagement {
  refDate: string;
  articleIndex: number;
  title: string;
  targetUser: number;
}

export interface ReadDayItem extends Engagement {
  refDate: string;
  bySource: Array<Engagement & { userSource: string }>;
  byShareScene: Array<{ shareScene: string; shareUser: number; shareCount: number }>;
}

export interface ReadHourItem extends ReadDayItem {
  refHour: number;
}

export interface ActivationHourItem {
  refDate: string;
  refHour: number;
  msgUser: number;
  msgCount: number;
  byType: Array<{ msgType: string; msgUser: number; msgCount: number }>;
}

export type AttributeName = 'gender' | 'language' | 'country' | 'province' | 'city';

export interface Attributes {
  refDate: string;
  total: number;
  items: Array<{ attribute: AttributeName; value: string; followers: number; share: number }>;
}

export type WebhookMode = 'plaintext' | 'compatible' | 'safe';

export interface WebhookConfig {
  url: string;
  token: string;
  encodingAESKey: string;
  mode: WebhookMode;
  verifiedAt: string;
  updatedAt: string;
}

export interface WebhookHealth {
  windowMinutes: number;
  attempts: number;
  succeeded: number;
  successRate: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  lastError: { at: string; error: string; statusCode: number | null } | null;
  pending: number;
}

export interface VerificationOutcome {
  status?: number;
  firstBytes?: string;
  error?: { code: string; message: string };
  latencyMs: number;
}

export interface DeliveryAttempt {
  attemptedAt: string;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseFirstBytes: string | null;
  succeeded: boolean;
}

export interface Delivery {
  id: number;
  kind: string;
  openid: string | null;
  msgId: string | null;
  createTime: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
  attemptLog: DeliveryAttempt[];
}
