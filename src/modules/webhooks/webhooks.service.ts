import { randomInt } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { decodeCursor, page } from '../../http/cursor.js';
import { insertReplay, listAttempts, listDeliveries, readDeliveryHealth, type AttemptRow, type DeliveryRow } from './deliveries.repo.js';
import type { OutboundHttp, OutboundResult } from './outbound-http.js';
import { newEncodingAesKey, wechatSignature } from './wechat-crypto.js';
import { deleteWebhookConfig, findWebhookConfig, saveWebhookConfig, updateWebhookAesKey, type WebhookConfigRow, type WebhookMode } from './webhooks.repo.js';

export type WebhooksService = ReturnType<typeof createWebhooksService>;

export interface WebhookConfigInput {
  url: string;
  token: string;
  encodingAESKey?: string;
  mode: WebhookMode;
}

/** Shows enough of a secret to recognise it, never enough to use it. */
export function maskSecret(secret: string): string {
  if (secret.length <= 8) return '*'.repeat(secret.length);
  return `${secret.slice(0, 3)}${'*'.repeat(secret.length - 6)}${secret.slice(-3)}`;
}

export function toWebhookConfigView(row: WebhookConfigRow, reveal: { token?: boolean; key?: boolean } = {}) {
  return {
    url: row.url,
    token: reveal.token ? row.token : maskSecret(row.token),
    encodingAESKey: reveal.key ? row.encodingAesKey : maskSecret(row.encodingAesKey),
    mode: row.mode,
    verifiedAt: row.verifiedAt,
    updatedAt: row.updatedAt,
  };
}

/** The window of the delivery health shown with the configuration. */
export const DELIVERY_HEALTH_WINDOW_MINUTES = 60;

export function toDeliveryView(row: DeliveryRow, attemptLog: AttemptRow[]) {
  return { ...row, attemptLog };
}

/** Digits, as WeChat's nonces and echostrs are. */
function randomDigits(length: number): string {
  let digits = String(randomInt(1, 10));
  while (digits.length < length) digits += String(randomInt(0, 10));
  return digits;
}

/** What the 422 says the server did: its status and first bytes, or how the call failed. */
function describeOutcome(result: OutboundResult) {
  return result.ok
    ? { status: result.status, firstBytes: result.body.slice(0, 512), latencyMs: Math.round(result.latencyMs) }
    : {
        error: { code: result.error.code, message: result.error.message },
        latencyMs: Math.round(result.latencyMs),
        ...(result.status !== undefined ? { status: result.status } : {}),
        ...(result.firstBytes !== undefined ? { firstBytes: result.firstBytes } : {}),
      };
}

/**
 * An account's developer server (WeChat's "服务器配置"). Saving one first verifies it as WeChat does: a GET with
 * signature, timestamp, nonce and echostr, answered with the echostr exactly, within WeChat's 5 s. Only a server
 * that passed is saved, so every saved configuration is one that proved it holds the token.
 */
export function createWebhooksService(deps: { db: Database; clock: Clock; http: OutboundHttp }) {
  const { db, clock } = deps;

  async function verify(url: string, token: string): Promise<void> {
    const timestamp = String(Math.floor(clock.now().getTime() / 1000));
    const nonce = randomDigits(9);
    const echostr = randomDigits(19);
    const signature = wechatSignature(token, timestamp, nonce);
    const result = await deps.http.get(url, { query: { signature, timestamp, nonce, echostr } });
    if (result.ok && result.status === 200 && result.body === echostr) return;
    const reason = !result.ok
      ? `the request failed (${result.error.code}: ${result.error.message})`
      : result.status !== 200
        ? `it answered HTTP ${result.status}`
        : `it answered ${JSON.stringify(result.body.slice(0, 64))}${result.body.length > 64 ? '…' : ''} instead of the echostr ${echostr}`;
    throw new AppError('WEBHOOK_VERIFICATION_FAILED', `${url} did not pass URL verification: ${reason}`, { verification: describeOutcome(result) });
  }

  /** How pushes fared in the last hour (by the service's clock, as attempts are stamped), and what is waiting now. */
  async function health(accountId: number) {
    const since = new Date(clock.now().getTime() - DELIVERY_HEALTH_WINDOW_MINUTES * 60_000);
    const { attempts, succeeded, ...rest } = await readDeliveryHealth(db, accountId, since);
    return { windowMinutes: DELIVERY_HEALTH_WINDOW_MINUTES, attempts, succeeded, successRate: attempts === 0 ? null : succeeded / attempts, ...rest };
  }

  return {
    async show(accountId: number) {
      const row = await findWebhookConfig(db, accountId);
      if (!row) throw new AppError('WEBHOOK_NOT_CONFIGURED', 'This account has no server configured');
      return { ...toWebhookConfigView(row), health: await health(accountId) };
    },

    /** The delivery log, newest push first, each with its attempts (fetched for the whole page at once). */
    async listDeliveries(accountId: number, query: { status?: DeliveryRow['status']; openid?: string; cursor?: string; limit: number }) {
      const beforeId = query.cursor ? decodeCursor(query.cursor) : null;
      const rows = await listDeliveries(db, accountId, { beforeId, limit: query.limit + 1, status: query.status, openid: query.openid });
      const { items, nextCursor } = page(rows, query.limit, (row) => row.id);
      const attempts = await listAttempts(db, accountId, items.map((row) => row.id));
      return { items: items.map((row) => toDeliveryView(row, attempts.get(row.id) ?? [])), nextCursor };
    },

    /**
     * Sends a push again, as a new push with the same MsgId and CreateTime (receivers deduplicate on those, so a
     * replay tests that too). It takes its turn in the follower's lane like any other push.
     */
    async replayDelivery(accountId: number, pushId: number) {
      if (!(await findWebhookConfig(db, accountId))) throw new AppError('WEBHOOK_NOT_CONFIGURED', 'This account has no server configured');
      const replay = await insertReplay(db, accountId, pushId);
      if (!replay) throw new AppError('NOT_FOUND', `This account has no delivery ${pushId}`);
      return toDeliveryView(replay, []);
    },

    /** Verifies, then saves: every save verifies again, since URL, token and mode may all have changed. */
    async configure(accountId: number, input: WebhookConfigInput) {
      const current = await findWebhookConfig(db, accountId);
      const madeKey = input.encodingAESKey === undefined && current === undefined;
      const encodingAesKey = input.encodingAESKey ?? current?.encodingAesKey ?? newEncodingAesKey();
      await verify(input.url, input.token);
      const now = clock.now();
      const row = await saveWebhookConfig(db, { accountId, url: input.url, token: input.token, encodingAesKey, mode: input.mode, verifiedAt: now }, now);
      // The token came from the caller; a key made here is shown this once, as the developer's server needs it.
      return toWebhookConfigView(row, { token: true, key: madeKey || input.encodingAESKey !== undefined });
    },

    /** A fresh EncodingAESKey, in use at once: the developer's server must be given it (shown this once). */
    async renewAesKey(accountId: number) {
      const row = await updateWebhookAesKey(db, accountId, newEncodingAesKey(), clock.now());
      if (!row) throw new AppError('WEBHOOK_NOT_CONFIGURED', 'This account has no server configured');
      return toWebhookConfigView(row, { key: true });
    },

    async remove(accountId: number) {
      if (!(await deleteWebhookConfig(db, accountId))) throw new AppError('WEBHOOK_NOT_CONFIGURED', 'This account has no server configured');
    },
  };
}
