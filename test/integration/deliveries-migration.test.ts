import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { MIGRATIONS_FOLDER, quoteIdentifier } from '../../src/db/migrate.js';
import { dropDatabase, testServerUrl } from '../helpers/databases.js';

const MIGRATION = '0006_deliveries_by_broadcast';
const database = `${inject('runId')}_deliveries_migration`;
const scratch = mkdtempSync(join(tmpdir(), 'oa-migrations-'));

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await dropDatabase(database);
});

/** Applies the migrations of `folder` to the test's database. */
async function migrateWith(folder: string) {
  const client = new pg.Client({ connectionString: testServerUrl(database) });
  await client.connect();
  try {
    await client.query('SET client_min_messages TO warning');
    await migrate(drizzle(client), { migrationsFolder: folder });
  } finally {
    await client.end();
  }
}

describe(`migration ${MIGRATION}`, () => {
  it('re-keys existing deliveries by (broadcast_id, follower_id) and keeps every row', async () => {
    const admin = new pg.Client({ connectionString: testServerUrl('postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
    await admin.end();

    // The database as it was before this migration: the migrations folder with the journal cut just before it.
    cpSync(MIGRATIONS_FOLDER, scratch, { recursive: true });
    const journalFile = join(scratch, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
    const cut = journal.entries.findIndex((entry) => entry.tag === MIGRATION);
    expect(cut).toBeGreaterThan(0);
    writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
    await migrateWith(scratch);

    const client = new pg.Client({ connectionString: testServerUrl(database) });
    await client.connect();
    try {
      // A few followers who each received a few broadcasts, written in the old key order.
      await client.query(`
        INSERT INTO deliveries (follower_id, broadcast_id, delivered_at)
        SELECT f, b, timestamptz '2026-06-01T04:00:00Z' + b * interval '1 day' + f * interval '1 second'
        FROM generate_series(1, 50) f, generate_series(1, 6) b WHERE (f + b) % 4 <> 0`);
      const rows = 'SELECT broadcast_id::text, follower_id::text, delivered_at::text FROM deliveries ORDER BY broadcast_id, follower_id';
      const before = (await client.query(rows)).rows;
      expect(before.length).toBeGreaterThan(200);

      await migrateWith(MIGRATIONS_FOLDER);

      expect((await client.query(rows)).rows).toEqual(before);
      const indexes = await client.query(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'deliveries'`);
      expect(indexes.rows).toEqual([{ indexname: 'deliveries_broadcast_id_follower_id_pk', indexdef: expect.stringMatching(/\(broadcast_id, follower_id\)$/) }]);
      // The key still makes a delivery happen once.
      const again = await client.query(`INSERT INTO deliveries (broadcast_id, follower_id, delivered_at) VALUES (1, 1, now()) ON CONFLICT DO NOTHING`);
      expect(again.rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });
});
