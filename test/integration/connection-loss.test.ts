import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createDatabase, isDatabaseUnavailable } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { unavailableDependency } from '../../src/outages.js';
import { createRedis } from '../../src/redis.js';
import { useTestContext } from '../helpers/context.js';
import { freePort } from '../helpers/processes.js';
import { waitFor } from '../helpers/worker.js';

/**
 * Losing a connection, without stopping a server: a test terminates its own backend with pg_terminate_backend
 * (what a fast shutdown or a failover does to every connection), or points a client at a closed port. The fault
 * suite (test/faults/) does the same to whole servers under a running API and worker.
 */
const ctx = useTestContext();

/** Terminates one backend of the test's database, and waits until it is gone. */
async function terminateBackend(pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: ctx.databaseUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend($1, 5000)', [pid]);
  } finally {
    await admin.end();
  }
}

function captureLogs() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', role: 'test', destination }), lines };
}

describe('PostgreSQL connections lost while in use', () => {
  it('a connection terminated inside a transaction rejects the transaction (DATABASE_UNAVAILABLE) instead of crashing the process', async () => {
    const { db } = ctx.deps.database;
    const outcome = db.transaction(async (tx) => {
      const { pid } = (await tx.execute<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`)).rows[0]!;
      // Without a listener on the checked-out client, the 'error' it emits now is an uncaught exception.
      await terminateBackend(pid);
      await tx.execute(sql`SELECT 1`);
    });
    const error = await outcome.then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeDefined();
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(unavailableDependency(error)).toBe('postgres');
    // The pool serves the next query on a fresh connection.
    expect((await db.execute<{ one: number }>(sql`SELECT 1 AS one`)).rows).toEqual([{ one: 1 }]);
  });

  it('a client that dies while checked out leaves the pool at once, and its holder releasing it later is harmless', async () => {
    const { pool } = ctx.deps.database;
    const client = await pool.connect();
    const { pid } = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!;
    const before = pool.totalCount;
    await terminateBackend(pid);
    // drizzle's transaction() never releases a client whose BEGIN failed: the pool must not wait for the holder.
    await waitFor(async () => pool.totalCount === before - 1, { timeoutMs: 5_000, what: 'the dead client to leave the pool' });
    expect(() => client.release()).not.toThrow();
    expect(() => client.release()).not.toThrow();
    expect(pool.totalCount).toBe(before - 1);
  });

  it("reports a lost connection once and PostgreSQL's return once, probing by itself in between", async () => {
    const database = createDatabase({ url: ctx.databaseUrl, poolMax: 2, applicationName: 'oa-connection-loss-test' });
    try {
      const errors: Error[] = [];
      database.connectivity.on('error', (error: Error) => errors.push(error));
      const { pid } = (await database.db.execute<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`)).rows[0]!;
      expect(database.isUnavailable()).toBe(false);
      // (events.once would reject on the 'error' events this test expects.)
      const restored = new Promise<void>((resolve) => database.connectivity.once('ready', () => resolve()));
      await terminateBackend(pid);
      await waitFor(async () => database.isUnavailable(), { timeoutMs: 5_000, what: 'the idle connection loss to be noticed' });
      // Nobody queries: the pool's own probe finds the server answering again.
      await restored;
      expect(database.isUnavailable()).toBe(false);
      expect(errors.length).toBeGreaterThanOrEqual(1);
      expect(errors.every((error) => isDatabaseUnavailable(error))).toBe(true);
    } finally {
      await database.close();
    }
  });
});

describe('telling a dependency outage from any other error', () => {
  it('PostgreSQL refusing connections is DATABASE_UNAVAILABLE, through drizzle queries and through transactions alike', async () => {
    const database = createDatabase({ url: `postgres://postgres@127.0.0.1:${await freePort()}/nothing`, poolMax: 1, applicationName: 'oa-closed-port-test' });
    try {
      const queryError = await database.db.execute(sql`SELECT ${'a parameter'}`).then(() => undefined, (error: unknown) => error);
      const transactionError = await database.db.transaction(async () => undefined).then(() => undefined, (error: unknown) => error);
      expect(unavailableDependency(queryError)).toBe('postgres');
      // db.transaction() connects without drizzle's wrapper: a bare ECONNREFUSED that is still PostgreSQL's.
      expect(unavailableDependency(transactionError)).toBe('postgres');
      expect(database.isUnavailable()).toBe(true);
    } finally {
      await database.close();
    }
  });

  it('Redis refusing connections is QUEUE_UNAVAILABLE, for fail-fast and for retrying clients', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const failFast = createRedis(url, 'command', 'oa-closed-port-test');
    const retrying = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => 10 });
    retrying.on('error', () => {});
    try {
      const notWriteable = await failFast.get('key').then(() => undefined, (error: unknown) => error);
      const retriesExhausted = await retrying.get('key').then(() => undefined, (error: unknown) => error);
      expect(unavailableDependency(notWriteable)).toBe('redis');
      expect(unavailableDependency(retriesExhausted)).toBe('redis');
    } finally {
      failFast.disconnect();
      retrying.disconnect();
    }
  });

  it('a query that is merely wrong is no outage', async () => {
    const { db } = ctx.deps.database;
    const syntax = await db.execute(sql`SELEC 1`).then(() => undefined, (error: unknown) => error);
    const unique = await db
      .execute(sql`INSERT INTO users (email, password_hash) VALUES ('twice@example.com', 'x'), ('twice@example.com', 'x')`)
      .then(() => undefined, (error: unknown) => error);
    expect(syntax).toBeDefined();
    expect(unique).toBeDefined();
    expect(unavailableDependency(syntax)).toBeUndefined();
    expect(unavailableDependency(unique)).toBeUndefined();
    expect(unavailableDependency(new Error('anything else'))).toBeUndefined();
  });

  it('a misconfigured database (one that does not exist) is no outage either: it is not going to come back by itself', async () => {
    const url = new URL(ctx.databaseUrl);
    url.pathname = '/oa_no_such_database';
    const database = createDatabase({ url: url.toString(), poolMax: 1, applicationName: 'oa-missing-database-test' });
    try {
      const error = await database.db.execute(sql`SELECT 1`).then(() => undefined, (e: unknown) => e);
      expect(error).toBeDefined();
      expect(unavailableDependency(error)).toBeUndefined();
      expect(database.isUnavailable()).toBe(false);
    } finally {
      await database.close();
    }
  });
});

describe('error logs', () => {
  it("never carry a failed query's parameters: not drizzle's message or params, not PostgreSQL's key detail", async () => {
    const { db } = ctx.deps.database;
    const email = 'leak-check@example.com';
    const hash = '$argon2id$v=19$secret-hash-that-must-not-be-logged';
    await db.execute(sql`INSERT INTO users (email, password_hash) VALUES (${email}, ${hash})`);
    const error = await db.execute(sql`INSERT INTO users (email, password_hash) VALUES (${email}, ${hash})`).then(() => undefined, (e: unknown) => e);
    expect(String((error as Error).message)).toContain(email); // drizzle does put it in its message

    const { logger, lines } = captureLogs();
    logger.error({ err: error }, 'insert failed');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!);
    expect(lines[0]).not.toContain(email);
    expect(lines[0]).not.toContain(hash);
    expect(lines[0]).not.toContain('params');
    // What an operator needs is still there: the statement (without values), the SQLSTATE, the constraint.
    expect(record.err.message).toMatch(/^Failed query: INSERT INTO users \(email, password_hash\) VALUES \(\$1, \$2\)/);
    expect(record.err.code).toBe('23505');
    expect(record.err.stack).toContain('caused by:');
  });
});
