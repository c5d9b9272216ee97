import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { unavailableDependency } from '../../outages.js';
import type { OutboundHttp } from './outbound-http.js';
import { readPassiveReply } from './passive-reply.js';
import { buildPushRequest, isMenuEvent, type MenuEventDetails, type PushContent } from './push-render.js';
import { createBatcher, isRejectedStatement, type BatcherOptions, type GroupStatementRunner } from '../../db/group-commit.js';
import { claimDuePushes, recordAttempts, releaseStrandedPushes, type AttemptRecord, type AttemptWrite, type ClaimedPush, type PushTarget } from './pushes.repo.js';

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
      // Ticket: the QR code's, for a follow by /client/v1/scans; none for other follows (and pushes stored before 0014).
      return {
        kind: 'subscribe',
        qrScene: (content.qrScene as number | null) ?? null,
        qrSceneStr: (content.qrSceneStr as string | null) ?? null,
        ticket: (content.ticket as string | null | undefined) ?? null,
      };
    case 'unsubscribe':
      return { kind: 'unsubscribe' };
    case 'SCAN':
      // EventKey is the scene itself, without the qrscene_ prefix of a subscribe.
      return { kind: 'SCAN', scene: String(content.qrScene ?? content.qrSceneStr), ticket: (content.ticket as string | null | undefined) ?? null };
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
    case 'TEMPLATESENDJOBFINISH':
      // A template message's delivery (template_messages, migration 0020).
      return { kind: 'TEMPLATESENDJOBFINISH', msgId: push.msgId!, status: String(content.status) };
    default:
      if (!isMenuEvent(push.kind)) break;
      // A menu tap (menu_clicks, migration 0013): the key (or URL) it carried, its menu, and the nested block if any.
      return {
        kind: 'menu',
        event: push.kind,
        eventKey: String(content.eventKey),
        menuId: (content.menuId as string | null | undefined) ?? null,
        details: (content.details as MenuEventDetails | null | undefined) ?? null,
      };
  }
  throw new Error(`push kind ${push.kind} cannot be rendered`);
}

function randomNonce(): string {
  return String(randomInt(100_000_000, 1_000_000_000));
}

/**
 * Pushes what the outbox holds to developers' servers: each claimed push is rendered, signed (and encrypted in
 * compatible and safe mode), POSTed, and its attempt recorded with the push's new state, and a valid passive reply
 * for the follower's inbox, in one statement. Claims and records are one statement each for many pushes: what a
 * push costs PostgreSQL, not the HTTP call, is what limits a relay on a small machine.
 */
export function createWebhookRelay(deps: {
  db: Database;
  /** Claims and attempt records run as prepared statements on the pool. */
  pool: GroupStatementRunner;
  /** Group commit of attempt records. */
  recordGrouping: BatcherOptions;
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
  const records = createBatcher<AttemptWrite, boolean>({ writeGroup: (writes) => recordAttempts(deps.pool, writes), canSplit: isRejectedStatement }, deps.recordGrouping);

  async function attempt(push: ClaimedPush, target: PushTarget): Promise<void> {
    const attemptedAt = clock.now();
    let record: AttemptRecord;
    let reply: AttemptWrite['reply'];
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
        // A job-finish notice is no conversation with the follower: nothing the server answers reaches them.
        if (push.openid !== null && push.kind !== 'TEMPLATESENDJOBFINISH') {
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

  async function finish(push: ClaimedPush, attempt: AttemptRecord, outcome: AttemptWrite['outcome'], reply?: AttemptWrite['reply']): Promise<void> {
    await records.submit({ push, attempt, outcome, reply });
  }

  async function run(push: ClaimedPush, target: PushTarget | null): Promise<void> {
    try {
      if (target) await attempt(push, target);
      else {
        // Its account's server was removed after the push was written: given up with the reason (the lane goes on).
        const attemptedAt = clock.now();
        await finish(
          push,
          { attemptedAt, statusCode: null, latencyMs: 0, error: 'the account has no developer server any more', responseFirstBytes: null, succeeded: false },
          { status: 'failed' },
        );
      }
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
      // Should the claim fail after committing (the connection lost), its claims simply lapse and the pushes are
      // taken again later.
      const claimed = await claimDuePushes(deps.pool, {
        limit: free,
        scanLimit: Math.min(free * 4, 1_000),
        leaseMs: deps.leaseMs,
        perAccount: deps.perAccountConcurrency,
        inFlight: inFlightByAccount,
      });
      for (const { push } of claimed) inFlightByAccount.set(push.accountId, (inFlightByAccount.get(push.accountId) ?? 0) + 1);
      inFlight += claimed.length;
      for (const { push, target } of claimed) {
        void run(push, target).finally(() => {
          inFlight -= 1;
          const left = (inFlightByAccount.get(push.accountId) ?? 1) - 1;
          if (left <= 0) inFlightByAccount.delete(push.accountId);
          else inFlightByAccount.set(push.accountId, left);
          onSettled();
        });
      }
      return claimed.length;
    },

    /** Writes the attempt records still waiting for their group (the pushes in flight are waited for by the caller). */
    closeRecords: () => records.close(),

    /** Lanes stranded by a completion that raced a new push of the same follower; see releaseStrandedPushes. */
    releaseStranded: () => releaseStrandedPushes(db),
  };
}
