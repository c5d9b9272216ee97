import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';

/**
 * The `npm start` launcher's supervision: each child (the API, the worker) runs in a process of its own; one that
 * dies is started again after a delay that doubles with each crash in a row, so a child that cannot start (its
 * database is down) is retried without spinning; a child that stayed up a while starts over from the first delay.
 * Only SIGTERM/SIGINT stop the launcher: it forwards SIGTERM to every child and exits once all have drained.
 */
export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** A child that ran at least this long before dying is considered to have recovered: the backoff resets. */
  resetAfterMs: number;
}

export const RESTART_POLICY: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, resetAfterMs: 60_000 };

/** After a crash: how long to wait before the restart, and how many crashes in a row that makes. */
export function planRestart(policy: RestartPolicy, crashesInARow: number, uptimeMs: number): { delayMs: number; crashesInARow: number } {
  const previous = uptimeMs >= policy.resetAfterMs ? 0 : crashesInARow;
  return { delayMs: Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** previous), crashesInARow: previous + 1 };
}

export interface SupervisedChild {
  name: string;
  /** The module the child runs, started with this process's own node flags (tsx). */
  modulePath: string;
}

export interface Supervisor {
  /** Forwards SIGTERM to every running child and cancels pending restarts; resolves with the launcher's exit code. */
  stop(): Promise<number>;
}

export function supervise(children: SupervisedChild[], options: { logger: Logger; policy?: RestartPolicy }): Supervisor {
  const { logger } = options;
  const policy = options.policy ?? RESTART_POLICY;
  const running = new Map<string, ChildProcess>();
  const pendingRestarts = new Map<string, NodeJS.Timeout>();
  let stopping: { resolve: (code: number) => void; promise: Promise<number> } | undefined;
  let cleanStop = true;

  function finishIfDrained() {
    if (stopping && running.size === 0) stopping.resolve(cleanStop ? 0 : 1);
  }

  function start(child: SupervisedChild, crashesInARow: number) {
    const startedAt = Date.now();
    // detached: the child gets a process group of its own, so a Ctrl-C in a terminal reaches the launcher alone,
    // which then stops each child once; a child signalled twice (by the terminal and by us) would stop abruptly.
    const childProcess = fork(child.modulePath, { execArgv: process.execArgv, stdio: 'inherit', detached: true });
    running.set(child.name, childProcess);
    logger.info({ child: child.name, pid: childProcess.pid }, `${child.name} started`);

    childProcess.on('error', (error) => logger.error({ child: child.name, err: error }, `${child.name} could not be signalled or started`));
    childProcess.on('exit', (code, signal) => {
      running.delete(child.name);
      if (stopping) {
        // SIGTERM before the child installed its handlers ends it by the signal itself: nothing was in flight.
        if (code !== 0 && signal !== 'SIGTERM') {
          cleanStop = false;
          logger.error({ child: child.name, pid: childProcess.pid, code, signal }, `${child.name} did not stop cleanly`);
        }
        finishIfDrained();
        return;
      }
      const next = planRestart(policy, crashesInARow, Date.now() - startedAt);
      logger.warn(
        { child: child.name, pid: childProcess.pid, code, signal, restartInMs: next.delayMs, crashesInARow: next.crashesInARow },
        `${child.name} exited (${signal ?? `code ${code}`}); restarting in ${next.delayMs} ms`,
      );
      pendingRestarts.set(
        child.name,
        setTimeout(() => {
          pendingRestarts.delete(child.name);
          start(child, next.crashesInARow);
        }, next.delayMs),
      );
    });
  }

  for (const child of children) start(child, 0);

  return {
    stop() {
      if (stopping) return stopping.promise;
      let resolve!: (code: number) => void;
      const promise = new Promise<number>((r) => (resolve = r));
      stopping = { resolve, promise };
      for (const timer of pendingRestarts.values()) clearTimeout(timer);
      pendingRestarts.clear();
      for (const child of running.values()) child.kill('SIGTERM');
      finishIfDrained();
      return promise;
    },
  };
}
