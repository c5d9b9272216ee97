import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { MIGRATIONS_FOLDER, ensureDatabase } from '../../src/db/migrate.js';

/**
 * Builds the database at `url` as it was after migration `lastTag` (creating it if missing), from a copy of
 * migrations/ whose journal ends there, so a test can write the rows older code wrote and then migrate to the end.
 */
export async function migrateThrough(url: string, lastTag: string): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'oa-migrations-'));
  try {
    cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
    const journalPath = join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ tag: string; idx: number }> };
    const last = journal.entries.find((entry) => entry.tag === lastTag);
    if (!last) throw new Error(`${lastTag} is not in the migrations journal`);
    journal.entries = journal.entries.filter((entry) => entry.idx <= last.idx);
    writeFileSync(journalPath, JSON.stringify(journal));
    await ensureDatabase(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('SET client_min_messages TO warning');
      await migrate(drizzle(client), { migrationsFolder: folder });
    } finally {
      await client.end();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
