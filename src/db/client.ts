import { EventEmitter } from 'node:events';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { PgDialect } from 'drizzle-orm/pg-core';
import { fillPlaceholders, type SQL } from 'drizzle-orm';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Database = NodePgDatabase<typeof schema> & { $client: pg.Pool };
/** A transaction handle; repos accept either, so services decide the transaction boundary. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Executor = Database | Transaction;

// BIGINT (int8, oid 20) columns arrive as strings by default. Ids and counts stay below 2^53 and are parsed as
// numbers, which keeps JSON natural. WeChat's 64-bit ids (a message's MsgId starts at 6054768590064713728) do not
// fit: a repo must select those as text (`msg_id::text`). Rounding one silently would hand out a wrong id, so an
// unsafe value fails loudly here instead.
pg.types.setTypeParser(20, parseInt8);

export function parseInt8(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) {
    throw new RangeError(`int8 value ${value} is beyond 2^53 and would lose precision as a JS number; select it as text`);
  }
  return parsed;
}

/**
 * drizzle's raw `execute()` hands timestamptz columns over in PostgreSQL's text form ("2026-06-15 04:00:00+00"),
 * unlike its query builder, which returns Dates. Repos that select timestamps with raw SQL pass them through here,
 * so services always see Dates and the API always writes ISO 8601.
 */
export function parseTimestamp(value: string | Date): Date;
export function parseTimestamp(value: string | Date | null): Date | null;
export function parseTimestamp(value: string | Date | null): Date | null {
  if (value === null || value instanceof Date) return value;
  return new Date(value);
}

const dialect = new PgDialect();

/**
 * A read run outside any transaction as a named prepared statement: each connection plans it once, not on every
 * call. For hot lookups whose joins cost PostgreSQL more to plan than to run (the WeChat API's user/info and its
 * token check) and the statistics' reads. The query's text is built once, here: each call gives the values of its
 * `sql.placeholder(name)`s (building the text on every call was a fifth of what a live statistics ask allocated).
 */
export function preparedRead<Row extends Record<string, unknown>, Values extends Record<string, unknown>>(name: string, query: SQL) {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return async (db: Database, values: Values): Promise<Row[]> => {
    const result = await db.$client.query<Row>({ name, text, values: fillPlaceholders(params, values) });
    return result.rows;
  };
}

export interface DatabaseHandle {
  pool: pg.Pool;
  db: Database;
  /**
   * Emits 'error' on each connection failure and 'ready' once PostgreSQL answers again after one; feed it to
   * watchConnection for one log line per outage, and listen to 'ready' to resume work after an outage.
   */
  connectivity: EventEmitter;
  /** True from a connection failure until PostgreSQL accepts a connection again. */
  isUnavailable(): boolean;
  close(): Promise<void>;
}

/** How often a pool that lost PostgreSQL tries a new connection, so recovery is noticed without waiting for traffic. */
const RECOVERY_PROBE_MS = 1_000;

// Errors that mean "PostgreSQL cannot be reached right now", as opposed to a bad query.
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is stopping (fast shutdown, or pg_terminate_backend)
  '57P02', // crash_shutdown: another backend crashed, or an immediate shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '53300', // too_many_connections
]);
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// Raised by pg and pg-pool themselves, without a code: a socket that closed under a query, a client that died,
// a connection attempt or a wait for a free client that timed out.
const UNAVAILABLE_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect$/, /is not queryable$/, /^Query read timeout$/];
// Errors of opening or holding a pool connection, tagged as PostgreSQL's: an ECONNREFUSED from PostgreSQL is then
// told apart from Redis's even without drizzle's wrapper to say where it came from (db.transaction() connects unwrapped).
const postgresConnectionErrors = new WeakSet<object>();

/** The errors of one failure, outermost first: drizzle wraps the driver's error in `cause`. */
export function causeChain(error: unknown): object[] {
  const chain: object[] = [];
  for (let current = error; typeof current === 'object' && current !== null && chain.length < 10 && !chain.includes(current); current = (current as { cause?: unknown }).cause) {
    chain.push(current);
  }
  return chain;
}

/** Whether an error means PostgreSQL is unreachable (down, restarting, refusing connections), not that a query was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const chain = causeChain(error);
  const fromPostgres = chain.some((e) => e instanceof DrizzleQueryError || e instanceof pg.DatabaseError || postgresConnectionErrors.has(e));
  return chain.some((e) => {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (e instanceof pg.DatabaseError) return code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code);
      if (fromPostgres && NETWORK_ERRNOS.has(code)) return true;
    }
    return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
  });
}

/**
 * pg's Pool with two repairs for outages, checked against pg 8.23 / pg-pool 3.14:
 * - While a client is checked out (a transaction, or any query between connect() and release()), pg-pool removes
 *   its own 'error' listener. When PostgreSQL terminates the connection, the client emits 'error' with nobody
 *   listening and Node exits. Every client gets a permanent listener as it is created.
 * - drizzle's transaction() sends BEGIN before its try/finally, so a connection that dies during BEGIN would never
 *   be released and the pool would shrink by one per outage. A client that errors while checked out is released
 *   (and so destroyed) at once, as pg-pool's own pool.query() does; the holder's later release() is a no-op.
 */
class GuardedPool extends pg.Pool {
  /** The idempotent release of each client currently checked out. */
  readonly #checkedOut = new WeakMap<pg.PoolClient, (error?: Error) => void>();

  constructor(config: pg.PoolConfig, private readonly onFailure: (error: Error) => void) {
    super(config);
    this.on('connect', (client) => {
      client.on('error', (error: Error) => {
        postgresConnectionErrors.add(error);
        this.onFailure(error);
        this.#checkedOut.get(client)?.(error);
      });
    });
    // An idle client that loses its connection is removed by the pool; it must not crash the process either.
    this.on('error', (error) => this.onFailure(error));
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    if (!callback) {
      return new Promise((resolve, reject) => this.connect((error, client) => (error ? reject(error) : resolve(client!))));
    }
    super.connect((error, client, done) => {
      if (error || !client) {
        if (error) {
          postgresConnectionErrors.add(error);
          // Waiting for a free client or a closing pool says nothing about PostgreSQL's health.
          if (isDatabaseUnavailable(error) && !/^timeout exceeded/.test(error.message)) this.onFailure(error);
        }
        return callback(error, client, done);
      }
      const releaseOnce = client.release;
      let released = false;
      const release = (releaseError?: unknown) => {
        if (released) return;
        released = true;
        this.#checkedOut.delete(client);
        releaseOnce.call(client, releaseError as Error | undefined);
      };
      client.release = release;
      this.#checkedOut.set(client, release);
      callback(undefined, client, release);
    });
  }
}

export function createDatabase(options: { url: string; poolMax: number; applicationName: string }): DatabaseHandle {
  const connectivity = new EventEmitter();
  // Subscribers are optional; an 'error' event without a listener would throw.
  connectivity.on('error', () => {});
  let unavailable = false;
  let probe: NodeJS.Timeout | undefined;

  const pool: GuardedPool = new GuardedPool(
    {
      connectionString: options.url,
      max: options.poolMax,
      application_name: options.applicationName,
      // Fail fast when the database is unreachable instead of hanging requests.
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    },
    (error) => {
      connectivity.emit('error', error);
      if (unavailable) return;
      unavailable = true;
      // While PostgreSQL is away, try a connection every second, so its return is noticed (and work resumed) even
      // when nothing else is querying, e.g. a worker whose jobs are all backing off.
      probe = setInterval(() => void pool.query('SELECT 1').catch(() => {}), RECOVERY_PROBE_MS);
      probe.unref();
    },
  );
  pool.on('connect', () => {
    if (!unavailable) return;
    unavailable = false;
    clearInterval(probe);
    connectivity.emit('ready');
  });

  const db = drizzle(pool, { schema });
  return {
    pool,
    db,
    connectivity,
    isUnavailable: () => unavailable,
    close: () => {
      clearInterval(probe);
      return pool.end();
    },
  };
}
