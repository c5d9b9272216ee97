import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { unavailableDependency } from '../../outages.js';
import type { OutboundHttp } from './outbound-http.js';
import { readPassiveReply } from './passive-reply.js';
import { buildPushRequest, type PushContent } from './push-render.js';
import {
  abandonPushesWithoutServer,
  claimDuePushes,
  findPushTargets,
  insertReply,
  recordAttempt,
  releaseClaims,
  releaseStrandedPushes,
  type AttemptRecord,
  type ClaimedPush,
  type PushTarget,
} from './pushes.repo.js';

/** WeChat's policy: a push that fails (no answer within the deadline, or not HTTP 200) is tried 3 times, then dropped. */
export const PUSH_MAX_ATTEMPTS = 3;
/** The wait before the 2nd and 3rd attempts (WeChat retries at once; a short pause lets a restarting server come back). */
export const PUSH_RETRY_DELAYS_MS = [1_000, 2_000] as const;

export type WebhookRelay = ReturnType<typeof createWebhookRelay>;

/** What a stored push says, as the renderer takes it. */
export function toPushContent(push: Pick<ClaimedPush, 'kind' | 'msgId' | 'content'>): PushContent {
  const content = push.content;
  switch (push.kind) {
    case 'message':
      return { kind: 'message', msgType: content.msgType as never, msgId: push.msgId!, body: content.body as Record<string, unknown> };
    case 'subscribe':
      // Parametric QR codes (and their tickets) are not issued by this platform yet, so no Ticket is known.
      return { kind: 'subscribe', qrScene: (content.qrScene as number | null) ?? null, qrSceneStr: (content.qrSceneStr as string | null) ?? null, ticket: null };
    case 'unsubscribe':
      return { kind: 'unsubscribe' };
    case 'SCAN':
      // EventKey is the scene itself, without the qrscene_ prefix of a subscribe.
      return { kind: 'SCAN', scene: String(content.qrScene ?? content.qrSceneStr), ticket: null };
    case 'MASSSENDJOBFINISH': {
      const counts = content.counts as { total: number; filtered: number; sent: number; errors: number };
      return {
        kind: 'MASSSENDJOBFINISH',
        msgId: push.msgId!,
        status: content.status === 'SEND_SUCCESS' ? 'send success' : 'send fail',
        totalCount: counts.total,
        // WeChat's FilterCount is what is left after filtering.
        filterCount: counts.total - counts.filtered,
        sentCount: counts.sent,
        errorCount: counts.errors,
      };
    }
    default:
      throw new Error(`push kind ${push.kind} cannot be rendered`);
  }
}

function randomNonce(): string {
  return String(randomInt(100_000_000, 1_000_000_000));
}

/**
 * Pushes what the outbox holds to developers' servers: each claimed push is rendered, signed (and encrypted in
 * compatible and safe mode), POSTed, and its attempt recorded with the push's new state in one statement. A valid
 * passive reply is stored for the follower's inbox in the same transaction.
 */
export function createWebhookRelay(deps: {
  db: Database;
  clock: Clock;
  http: OutboundHttp;
  logger: Pick<Logger, 'warn' | 'debug' | 'error'>;
  /** Pushes in flight at once in this process, and at most this many for one account. */
  concurrency: number;
  perAccountConcurrency: number;
  /** How long a claimed push is this relay's: longer than a push can take (the HTTP deadline), with margin. */
  leaseMs: number;
}) {
  const { db, clock } = deps;
  const inFlightByAccount = new Map<number, number>();
  let inFlight = 0;

  async function attempt(push: ClaimedPush, target: PushTarget): Promise<void> {
    const attemptedAt = clock.now();
    let record: AttemptRecord;
    let reply: Parameters<typeof insertReply>[1] | undefined;
    try {
      const request = buildPushRequest({
        header: { toUserName: target.originalId, fromUserName: push.openid ?? push.lane, createTime: push.createTime },
        content: toPushContent(push),
        mode: target.mode,
        token: target.token,
        encodingAesKey: target.encodingAesKey,
        appid: target.appid,
        openid: push.openid,
        timestamp: String(Math.floor(attemptedAt.getTime() / 1000)),
        nonce: randomNonce(),
      });
      const result = await deps.http.post(target.url, request.body, { query: request.query });
      if (result.ok && result.status === 200) {
        record = { attemptedAt, statusCode: 200, latencyMs: result.latencyMs, error: null, responseFirstBytes: result.body.slice(0, 512) || null, succeeded: true };
        if (push.openid !== null) {
          const read = readPassiveReply({
            body: result.body,
            mode: target.mode,
            token: target.token,
            encodingAesKey: target.encodingAesKey,
            appid: target.appid,
            openid: push.openid,
            originalId: target.originalId,
          });
          // Delivered either way (WeChat does not retry a push that was answered); a bad reply is only logged.
          if (!read.ok) record.error = `passive reply refused: ${read.reason}`;
          else if (read.reply.kind === 'reply') {
            reply = {
              accountId: push.accountId,
              openid: push.openid,
              pushId: push.id,
              inReplyToMsgId: push.kind === 'message' ? push.msgId : null,
              message: read.reply.message as unknown as Record<string, unknown>,
              at: clock.now(),
            };
          }
        }
      } else {
        record = result.ok
          ? { attemptedAt, statusCode: result.status, latencyMs: result.latencyMs, error: `HTTP ${result.status}`, responseFirstBytes: result.body.slice(0, 512) || null, succeeded: false }
          : {
              attemptedAt,
              statusCode: result.status ?? null,
              latencyMs: result.latencyMs,
              error: `${result.error.code}: ${result.error.message}`,
              responseFirstBytes: result.firstBytes ?? null,
              succeeded: false,
            };
      }
    } catch (error) {
      // A push that cannot be rendered will not render next time either: recorded and given up at once.
      record = { attemptedAt, statusCode: null, latencyMs: 0, error: `could not render the push: ${(error as Error).message}`, responseFirstBytes: null, succeeded: false };
      await finish(push, record, { status: 'failed' });
      return;
    }
    const attempts = push.attempts + 1;
    const outcome = record.succeeded
      ? ({ status: 'delivered' } as const)
      : attempts >= PUSH_MAX_ATTEMPTS
        ? ({ status: 'failed' } as const)
        : ({ status: 'pending', retryDelayMs: PUSH_RETRY_DELAYS_MS[Math.min(attempts, PUSH_RETRY_DELAYS_MS.length) - 1]! } as const);
    await finish(push, record, outcome, reply);
  }

  async function finish(
    push: ClaimedPush,
    record: AttemptRecord,
    outcome: Parameters<typeof recordAttempt>[3],
    reply?: Parameters<typeof insertReply>[1],
  ): Promise<void> {
    await db.transaction(async (tx) => {
      const moved = await recordAttempt(tx, push, record, outcome);
      if (moved && reply) await insertReply(tx, reply);
    });
  }

  async function run(push: ClaimedPush, target: PushTarget): Promise<void> {
    try {
      await attempt(push, target);
    } catch (error) {
      // PostgreSQL went away while recording: the claim lapses and the push is tried again (same MsgId). The outage
      // itself is logged once by the connection watcher, so this is a debug line then.
      const level = unavailableDependency(error) ? 'debug' : 'warn';
      deps.logger[level]({ err: error, pushId: push.id }, 'webhook push could not be recorded; it will be retried');
    }
  }

  return {
    get inFlight() {
      return inFlight;
    },

    /**
     * Claims as many pushes as there are free slots and starts them; resolves once they are started (not done).
     * `onSettled` runs as each one ends, so the caller can claim again.
     */
    async claimAndStart(onSettled: () => void): Promise<number> {
      const free = deps.concurrency - inFlight;
      if (free <= 0) return 0;
      const busyAccountIds = [...inFlightByAccount].filter(([, n]) => n >= deps.perAccountConcurrency).map(([id]) => id);
      const pushes = await claimDuePushes(db, { limit: free, leaseMs: deps.leaseMs, busyAccountIds });
      const started: ClaimedPush[] = [];
      const released: ClaimedPush[] = [];
      const planned = new Map(inFlightByAccount);
      for (const push of pushes) {
        const current = planned.get(push.accountId) ?? 0;
        // One claim may hold several pushes of one account; past its share, they wait for the next round.
        if (current >= deps.perAccountConcurrency) released.push(push);
        else {
          planned.set(push.accountId, current + 1);
          started.push(push);
        }
      }
      // Should any of this fail (PostgreSQL gone), the claims simply lapse and the pushes are taken again later.
      await releaseClaims(db, released.map((push) => push.id));
      const targets = await findPushTargets(db, [...new Set(started.map((push) => push.accountId))]);
      const orphans = started.filter((push) => !targets.has(push.accountId));
      await abandonPushesWithoutServer(db, orphans.map((push) => push.id), clock.now());
      for (const push of started) inFlightByAccount.set(push.accountId, (inFlightByAccount.get(push.accountId) ?? 0) + 1);
      inFlight += started.length;
      for (const push of started) {
        const target = targets.get(push.accountId);
        void (target ? run(push, target) : Promise.resolve()).finally(() => {
          inFlight -= 1;
          const left = (inFlightByAccount.get(push.accountId) ?? 1) - 1;
          if (left <= 0) inFlightByAccount.delete(push.accountId);
          else inFlightByAccount.set(push.accountId, left);
          onSettled();
        });
      }
      return started.length;
    },

    /** Lanes stranded by a completion that raced a new push of the same follower; see releaseStrandedPushes. */
    releaseStranded: () => releaseStrandedPushes(db),
  };
}
