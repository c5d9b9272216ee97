import type { Deps } from '../deps.js';
import type { Consumers } from './consumers.js';

const SWEEP_ATTEMPTS = 5;
const SWEEP_RETRY_MS = 1_000;

/**
 * Resumes in-flight broadcasts as soon as a dependency answers again after an outage, instead of at the next timed
 * sweep: PostgreSQL's pool reports its return (it probes once a second while away), and the command Redis
 * connection emits 'ready' on every reconnection (its first 'ready' happened before this runs). After Redis comes
 * back empty, the sweep re-enqueues the jobs it lost; after PostgreSQL comes back, it restarts the attempts that
 * failed meanwhile. The sweep is idempotent, so a flapping connection costs sweeps, never duplicates; overlapping
 * triggers are coalesced into one more run.
 */
export function resumeAfterOutages(deps: Pick<Deps, 'database' | 'redis' | 'logger'>, consumers: Pick<Consumers, 'sweep'>): void {
  let running = false;
  let requested = false;

  async function sweepUntilItWorks(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await consumers.sweep();
        return;
      } catch (error) {
        // The other dependency may still be down; its own return triggers another sweep.
        if (attempt >= SWEEP_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, SWEEP_RETRY_MS));
      }
    }
  }

  async function resume(dependency: 'postgres' | 'redis'): Promise<void> {
    if (running) {
      requested = true;
      return;
    }
    running = true;
    try {
      do {
        requested = false;
        deps.logger.info({ dependency }, 'resuming broadcasts after an outage');
        await sweepUntilItWorks();
      } while (requested);
    } catch (error) {
      deps.logger.warn({ err: error, dependency }, 'could not resume broadcasts after an outage; the timed sweep will');
    } finally {
      running = false;
    }
  }

  deps.database.connectivity.on('ready', () => void resume('postgres'));
  deps.redis.on('ready', () => void resume('redis'));
}
