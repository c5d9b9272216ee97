import { fileURLToPath } from 'node:url';
import { createLogger } from './logger.js';
import { loadConfigOrExit, migrateOrExit } from './startup.js';
import { supervise } from './supervisor.js';

/**
 * `npm start`: apply pending migrations, then run the API and the worker as two processes (as a deployment would).
 * A child that dies is restarted with backoff (see supervisor.ts); SIGTERM or SIGINT stops both, and the launcher
 * exits 0 once both have drained.
 */
const config = loadConfigOrExit('supervisor');
const logger = createLogger({ level: config.logLevel, role: 'supervisor' });

await migrateOrExit('supervisor', config, (message) => logger.info(message));

const supervisor = supervise(
  [
    { name: 'api', modulePath: fileURLToPath(new URL('./server.ts', import.meta.url)) },
    { name: 'worker', modulePath: fileURLToPath(new URL('./worker.ts', import.meta.url)) },
  ],
  { logger },
);

// npm forwards the signal it receives, and a terminal's Ctrl-C reaches npm and us both: a repeated signal while
// stopping changes nothing (each child has its own grace period, SHUTDOWN_GRACE_MS).
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: draining the API and the worker');
    void supervisor.stop().then((code) => process.exit(code));
  });
}
