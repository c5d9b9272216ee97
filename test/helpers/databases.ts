import pg from 'pg';
import { quoteIdentifier } from '../../src/db/migrate.js';

/** The server the tests use; override with TEST_DATABASE_URL (its database part is ignored). */
export function testServerUrl(database: string): string {
  const url = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${database}`;
  return url.toString();
}

export const testRedisUrl = () => process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Runs `work` on a connection of its own to `url` and returns its result, ending the connection whatever happens:
 * a connection left open by a failed step would keep the test process alive and could hold the locks the next
 * migration waits for. Steps that must keep a session open across a migration (a fold holding a cursor) manage
 * their clients themselves.
 */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** withClient on the server's maintenance database, where databases are created and dropped. */
const withMaintenanceClient = <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => withClient(testServerUrl('postgres'), work);

export async function createDatabaseFromTemplate(name: string, template: string): Promise<void> {
  await withMaintenanceClient(async (client) => {
    // CREATE DATABASE … TEMPLATE fails while another session is copying the same template; retry briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE ${quoteIdentifier(template)}`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  });
}

export async function dropDatabase(name: string): Promise<void> {
  await withMaintenanceClient((client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`));
}

export async function dropDatabasesWithPrefix(prefix: string): Promise<void> {
  await withMaintenanceClient(async (client) => {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(datname)} WITH (FORCE)`);
  });
}
