import type { Database } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { unavailableDependency } from '../../outages.js';
import { foldNext, STATS_SOURCES, type FoldOutcome, type StatsSource } from './fold.repo.js';

/** Events per fold transaction: large enough to keep up with any load, small enough for short transactions. */
export const FOLD_BATCH_SIZE = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Folds `source` batch after batch until nothing more is visible, and returns the events folded. With `wait`, it
 * also waits for a cursor another process is folding and for a hole in the ids to fill or be proven dead, so it ends
 * only at the source's end (the rebuild, benchmarks); without, it stops there (the worker, which comes back later).
 * `onBatch` sees each fold and the milliseconds its transaction took; `stopping` ends it between batches.
 */
export async function foldToEnd(
  db: Database,
  source: StatsSource,
  options: { timezone: string; wait: boolean; onBatch?: (outcome: FoldOutcome, done: boolean, ms: number) => void; stopping?: () => boolean },
): Promise<number> {
  let folded = 0;
  while (!options.stopping?.()) {
    const started = performance.now();
    const outcome = await foldNext(db, source, { timezone: options.timezone, batchSize: FOLD_BATCH_SIZE });
    if (!outcome) {
      if (!options.wait) break;
      await sleep(200); // another process holds the cursor
      continue;
    }
    folded += outcome.folded;
    const done = !outcome.more && (outcome.blockedBelow === null || !options.wait);
    options.onBatch?.(outcome, done, performance.now() - started);
    if (done) break;
    // A hole in the ids (a rolled-back insert) is passed after a fold or two; one held by a running transaction waits.
    if (outcome.folded === 0 && outcome.blockedBelow !== null) await sleep(50);
  }
  return folded;
}

export interface RunningFolder {
  /** Folds whatever is visible now, to the end (for tests and the rebuild). */
  catchUp(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The worker's statistics folder: every `config.stats.foldIntervalMs` it folds each event table past its cursor
 * until nothing more is visible, so a new event shows in the figures about that long after its commit. Several
 * workers may run it; each cursor is folded by one at a time. `onFold` sees every fold transaction that folded
 * events, and how long it took (what the folder costs PostgreSQL, for bench:client).
 */
export function startStatsFolder(deps: Deps, options: { onFold?: (source: StatsSource, outcome: FoldOutcome, ms: number) => void } = {}): RunningFolder {
  const { config, logger } = deps;
  let stopping = false;
  let running: Promise<number> | undefined;
  let failing = false;
  let warnedZone = false;

  const warnOnZone = (outcome: FoldOutcome) => {
    if (outcome.timezone === config.quotaTimeZone || warnedZone) return;
    warnedZone = true;
    logger.warn(
      { rollups: outcome.timezone, configured: config.quotaTimeZone },
      'statistics are kept in another time zone than QUOTA_TIMEZONE; run `npm run stats:rebuild` to recount them in the new one',
    );
  };

  async function foldAll(): Promise<number> {
    let total = 0;
    for (const source of STATS_SOURCES) {
      const onBatch = (outcome: FoldOutcome, _done: boolean, ms: number) => {
        warnOnZone(outcome);
        if (outcome.folded > 0) options.onFold?.(source, outcome, ms);
      };
      total += await foldToEnd(deps.database.db, source, { timezone: config.quotaTimeZone, wait: false, onBatch, stopping: () => stopping });
    }
    return total;
  }

  function fold(): Promise<number> {
    running ??= foldAll()
      .then((folded) => {
        if (failing) logger.info('statistics: folding events again');
        failing = false;
        return folded;
      })
      .catch((error: unknown) => {
        // PostgreSQL away: logged once by the connection watcher; anything else once until folding works again.
        if (unavailableDependency(error)) logger.debug({ err: error }, 'statistics: cannot fold while PostgreSQL is away');
        else if (!failing) {
          failing = true;
          logger.warn({ err: error }, 'statistics: folding events failed; retrying');
        }
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  const timer = setInterval(() => void fold(), config.stats.foldIntervalMs);
  timer.unref();
  void fold();
  return {
    async catchUp() {
      // The fold in progress may have started before the caller's events committed: one more after it.
      await running;
      return fold();
    },
    async close() {
      stopping = true;
      clearInterval(timer);
      await running;
    },
  };
}
