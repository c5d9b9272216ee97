import pg from 'pg';
import type { Deps } from '../../deps.js';
import { unavailableDependency } from '../../outages.js';
import { trimDeliveryLog } from './pushes.repo.js';
import { createWebhookRelay } from './relay.service.js';

/**
 * Pushes in progress (claimed until their attempt is recorded) per worker process, and at most this many for one
 * account, so one slow server cannot take every slot. About a third of a push's time is the HTTP call; the rest is
 * claiming and recording it in PostgreSQL, so a receiver sees roughly a third of these requests at once.
 */
export const RELAY_CONCURRENCY = 128;
export const RELAY_PER_ACCOUNT_CONCURRENCY = 32;
/**
 * Attempt records finishing together are written by one statement; two groups may be in flight, so a group fills
 * while the previous one commits (no linger: an idle relay records a lone push at once).
 */
const RECORD_GROUPING = { maxRows: RELAY_CONCURRENCY, maxConcurrentGroups: 2, lingerMs: 0 };
/** A claim outlives the longest push (the HTTP deadline) by this much before another relay may take the push over. */
const LEASE_MARGIN_MS = 10_000;
/**
 * How often the relay looks for due pushes without being woken: the commit of every new push notifies it at once
 * (LISTEN webhook_pushes), so this only paces retries and covers a lost notification connection.
 */
const POLL_INTERVAL_MS = 250;
const STRANDED_SWEEP_INTERVAL_MS = 5_000;
const TRIM_INTERVAL_MS = 10 * 60_000;
const LISTEN_RETRY_MS = 1_000;

export interface RunningRelay {
  /** Stops claiming, then waits (up to `graceMs`) for the pushes in flight. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The webhook relay of a worker process: woken by PostgreSQL's notification when pushes commit, it claims due
 * pushes (each the head of its follower's lane) up to its concurrency and sends them. Several worker processes can
 * run it side by side: claims are leases in PostgreSQL.
 */
export function startWebhookRelay(deps: Deps): RunningRelay {
  const { config, logger } = deps;
  const relay = createWebhookRelay({
    db: deps.database.db,
    pool: deps.database.pool,
    recordGrouping: RECORD_GROUPING,
    clock: deps.clock,
    http: deps.outboundHttp,
    logger,
    concurrency: RELAY_CONCURRENCY,
    perAccountConcurrency: RELAY_PER_ACCOUNT_CONCURRENCY,
    leaseMs: config.webhooks.timeoutMs + LEASE_MARGIN_MS,
  });
  let stopping = false;
  let pumping = false;
  let wokenWhilePumping = false;
  let failing = false;

  async function pump(): Promise<void> {
    if (stopping) return;
    if (pumping) {
      wokenWhilePumping = true;
      return;
    }
    pumping = true;
    try {
      do {
        wokenWhilePumping = false;
        while (!stopping && (await relay.claimAndStart(() => void pump())) > 0);
      } while (wokenWhilePumping && !stopping);
      if (failing) logger.info('webhook relay: claiming pushes again');
      failing = false;
    } catch (error) {
      // PostgreSQL away: its outage and its return are logged once by the connection watcher, and the next poll
      // tries again. Anything else is logged once until claiming works again.
      if (unavailableDependency(error)) logger.debug({ err: error }, 'webhook relay: cannot claim pushes while PostgreSQL is away');
      else if (!failing) {
        logger.warn({ err: error }, 'webhook relay: cannot claim pushes; retrying');
        failing = true;
      }
    } finally {
      pumping = false;
    }
  }

  let listener: pg.Client | undefined;
  function listen(): void {
    if (stopping) return;
    const client = new pg.Client({ connectionString: config.databaseUrl, application_name: 'oa-platform-webhook-relay' });
    listener = client;
    let retried = false;
    const retry = () => {
      if (retried || stopping) return;
      retried = true;
      client.end().catch(() => {});
      setTimeout(listen, LISTEN_RETRY_MS).unref();
      // Notifications may have been missed meanwhile; the poll finds their pushes anyway.
      void pump();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', () => void pump());
    client.connect().then(() => client.query('LISTEN webhook_pushes')).then(() => void pump(), retry);
  }
  listen();

  const timers = [
    setInterval(() => void pump(), POLL_INTERVAL_MS),
    setInterval(() => {
      relay.releaseStranded().catch((error) => logger.debug({ err: error }, 'webhook relay: stranded sweep failed'));
    }, STRANDED_SWEEP_INTERVAL_MS),
    setInterval(() => {
      const before = new Date(deps.clock.now().getTime() - config.webhooks.logRetentionDays * 86_400_000);
      trimDeliveryLog(deps.database.db, before).catch((error) => logger.warn({ err: error }, 'webhook relay: trimming the delivery log failed'));
    }, TRIM_INTERVAL_MS),
  ];
  for (const timer of timers) timer.unref();
  void pump();

  return {
    async close(graceMs = config.shutdownGraceMs) {
      stopping = true;
      for (const timer of timers) clearInterval(timer);
      await listener?.end().catch(() => {});
      const deadline = Date.now() + graceMs;
      while (relay.inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await relay.closeRecords();
    },
  };
}
