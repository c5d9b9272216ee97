import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { afterAll, inject } from 'vitest';
import { MIGRATIONS_FOLDER, ensureDatabase } from '../../src/db/migrate.js';
import { dropDatabase, testServerUrl, withClient } from './databases.js';

/**
 * Registers an afterAll that drops it, and returns the URL of, a database of the calling test file's own for a
 * migration test. Migration tests cannot clone the run's template as other files do (it is already at the last
 * migration), so they build their own with migrateThrough; the run id in its name keeps parallel files and runs
 * apart, and the drop keeps the server from filling up with half-migrated databases.
 */
export function useMigrationDatabase(name: string): string {
  const databaseName = `${inject('runId')}_${name}`;
  afterAll(async () => {
    await dropDatabase(databaseName);
  });
  return testServerUrl(databaseName);
}

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
    await withClient(url, async (client) => {
      await client.query('SET client_min_messages TO warning');
      await migrate(drizzle(client), { migrationsFolder: folder });
    });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
