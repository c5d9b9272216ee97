import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Database = NodePgDatabase<typeof schema>;
/** A transaction handle; repos accept either, so services decide the transaction boundary. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Executor = Database | Transaction;

// BIGINT (int8, oid 20) columns arrive as strings by default. Every bigint this service stores (ids, counts,
// msg ids) stays below 2^53, so parsing them as numbers is safe and keeps JSON output natural.
pg.types.setTypeParser(20, (value) => Number(value));

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

export interface DatabaseHandle {
  pool: pg.Pool;
  db: Database;
  close(): Promise<void>;
}

export function createDatabase(options: { url: string; poolMax: number; applicationName: string }): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    application_name: options.applicationName,
    // Fail fast when the database is unreachable instead of hanging requests.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = drizzle(pool, { schema });
  return { pool, db, close: () => pool.end() };
}
