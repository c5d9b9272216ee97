import type { Deps } from '../../deps.js';
import { unavailableDependency } from '../../outages.js';
import { foldNext, STATS_SOURCES } from './fold.repo.js';

/** Events per fold transaction: large enough to keep up with any load, small enough for short transactions. */
export const FOLD_BATCH_SIZE = 5_000;

export interface RunningFolder {
  /** Folds whatever is visible now, to the end (for tests and the rebuild). */
  catchUp(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The worker's statistics folder: every `config.stats.foldIntervalMs` it folds each event table past its cursor
 * until nothing more is visible, so a new event shows in the figures about that long after its commit. Several
 * workers may run it; each cursor is folded by one at a time.
 */
export function startStatsFolder(deps: Deps): RunningFolder {
  const { config, logger } = deps;
  let stopping = false;
  let running: Promise<number> | undefined;
  let failing = false;
  let warnedZone = false;

  async function foldAll(): Promise<number> {
    let total = 0;
    for (const source of STATS_SOURCES) {
      for (;;) {
        if (stopping) return total;
        const outcome = await foldNext(deps.database.db, source, { timezone: config.quotaTimeZone, batchSize: FOLD_BATCH_SIZE });
        if (!outcome) break;
        if (outcome.timezone !== config.quotaTimeZone && !warnedZone) {
          warnedZone = true;
          logger.warn(
            { rollups: outcome.timezone, configured: config.quotaTimeZone },
            'statistics are kept in another time zone than QUOTA_TIMEZONE; run `npm run stats:rebuild` to recount them in the new one',
          );
        }
        total += outcome.folded;
        if (!outcome.more) break;
      }
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
      let total = 0;
      // The fold in progress may have started before the caller's events committed: one more after it.
      await running;
      total += await fold();
      return total;
    },
    async close() {
      stopping = true;
      clearInterval(timer);
      await running;
    },
  };
}
