import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';

/** The cheapest statement that proves PostgreSQL accepts a connection and runs a query. */
export async function pingDatabase(db: Executor): Promise<void> {
  await db.execute(sql`SELECT 1`);
}
