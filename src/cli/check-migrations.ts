import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm run db:check`: fails when src/db/schema has changes that no committed migration carries. It lets drizzle-kit
 * generate into a scratch copy of migrations/ (so the real folder is never touched) and looks for a new file.
 */
const scratch = mkdtempSync(join(tmpdir(), 'oa-migrations-'));
try {
  cpSync('migrations', scratch, { recursive: true });
  const before = new Set(readdirSync(scratch));
  const output = execFileSync('npx', ['drizzle-kit', 'generate', '--name', 'drift_check'], {
    env: { ...process.env, DRIZZLE_OUT: scratch },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const added = readdirSync(scratch).filter((file) => !before.has(file));
  if (added.length > 0) {
    console.error(`The schema in src/db/schema differs from the migrations: drizzle-kit would generate ${added.join(', ')}.`);
    console.error('Run `npm run db:generate` and commit the migration.');
    console.error(output);
    process.exitCode = 1;
  } else {
    console.log('migrations match the schema');
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
