import { parseArgs } from 'node:util';
import { recountAccount, resetRollups, STATS_SOURCES, unfoldedEvents } from '../modules/stats/fold.repo.js';
import { foldToEnd } from '../modules/stats/stats.folder.js';
import { createDepsOrExit, loadConfigOrExit, migrateOrExit } from '../startup.js';

/**
 * `npm run stats:rebuild [--account ID]`: recounts the statistics rollups from the event tables (to check them, or
 * after changing QUOTA_TIMEZONE: a full rebuild moves the rollups to the configured time zone).
 * - Without --account: empties the rollups and folds every event again, with progress lines. Resumable: each batch
 *   commits with its cursor, so if this stops, the worker's folder (or a second run of this command with --resume)
 *   carries on from where it was.
 * - With --account: replaces that account's rollups by a recount in one transaction, in the rollups' time zone;
 *   other accounts are untouched (folding waits meanwhile).
 */
const { values } = parseArgs({ options: { account: { type: 'string' }, resume: { type: 'boolean', default: false } } });
const accountId = values.account === undefined ? undefined : Number(values.account);
if (accountId !== undefined && !(Number.isSafeInteger(accountId) && accountId > 0)) {
  console.error(`--account must be an account id (a positive whole number), got "${values.account}"`);
  process.exit(2);
}

const config = loadConfigOrExit('cli');
await migrateOrExit('cli', config);
const deps = await createDepsOrExit('cli', config);
const db = deps.database.db;
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
try {
  if (accountId !== undefined) {
    await recountAccount(db, accountId, config.quotaTimeZone);
    console.log(`Recounted the statistics of account ${accountId} in ${elapsed()}`);
  } else {
    if (!values.resume) await resetRollups(db, config.quotaTimeZone);
    const total = await unfoldedEvents(db);
    let folded = 0;
    let lastReport = 0;
    for (const source of STATS_SOURCES) {
      await foldToEnd(db, source, {
        timezone: config.quotaTimeZone,
        wait: true,
        onBatch: (outcome, done) => {
          folded += outcome.folded;
          if (performance.now() - lastReport <= 1000 && !done) return;
          lastReport = performance.now();
          const waiting = outcome.blockedBelow === null ? '' : `, waiting for the events below id ${outcome.blockedBelow} to commit or prove rolled back`;
          process.stderr.write(`${source}: ${folded.toLocaleString('en')}/${total.toLocaleString('en')} events (${Math.round((100 * folded) / Math.max(total, 1))}%) after ${elapsed()}${waiting}\n`);
        },
      });
    }
    console.log(`Rebuilt the statistics from ${folded.toLocaleString('en')} events in ${elapsed()}`);
  }
} finally {
  await deps.close();
}
