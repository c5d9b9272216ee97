import { parseArgs } from 'node:util';
import { foldNext, recountAccount, resetRollups, STATS_SOURCES, unfoldedEvents } from '../modules/stats/fold.repo.js';
import { FOLD_BATCH_SIZE } from '../modules/stats/stats.folder.js';
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
      for (;;) {
        const outcome = await foldNext(db, source, { timezone: config.quotaTimeZone, batchSize: FOLD_BATCH_SIZE });
        if (!outcome) {
          // The worker is folding this source right now; it will go on to the end by itself.
          await new Promise((resolve) => setTimeout(resolve, 200));
          continue;
        }
        folded += outcome.folded;
        const done = !outcome.more && outcome.blockedBelow === null;
        if (performance.now() - lastReport > 1000 || done) {
          lastReport = performance.now();
          const waiting = outcome.blockedBelow === null ? '' : `, waiting for the events below id ${outcome.blockedBelow} to commit or prove rolled back`;
          process.stderr.write(`${source}: ${folded.toLocaleString('en')}/${total.toLocaleString('en')} events (${Math.round((100 * folded) / Math.max(total, 1))}%) after ${elapsed()}${waiting}\n`);
        }
        if (done) break;
        // A hole in the ids (a rolled-back insert) is passed after a fold or two; one held by a transaction still
        // running waits for it.
        if (outcome.folded === 0 && outcome.blockedBelow !== null) await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    console.log(`Rebuilt the statistics from ${folded.toLocaleString('en')} events in ${elapsed()}`);
  }
} finally {
  await deps.close();
}
