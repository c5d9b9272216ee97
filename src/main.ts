import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './config.js';
import { runMigrations } from './db/migrate.js';

/**
 * `npm start`: apply pending migrations, then run the API and the worker as two processes (as a deployment
 * would), forward SIGTERM/SIGINT to both, and exit once both have drained. If either dies on its own, stop the
 * other and exit non-zero, so a supervisor notices.
 */
const config = loadConfig();
await runMigrations(config.databaseUrl, { info: (message) => console.log(`[start] ${message}`) });

const entryPoints = { api: '../src/server.ts', worker: '../src/worker.ts' } as const;
const children = new Map<string, ChildProcess>();
let stopping = false;
let exitCode = 0;

for (const [name, path] of Object.entries(entryPoints)) {
  const child = fork(fileURLToPath(new URL(path, import.meta.url)), { execArgv: process.execArgv, stdio: 'inherit' });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`[start] ${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the rest`);
      exitCode = 1;
      stopAll('SIGTERM');
    } else if (code !== 0) {
      exitCode = 1;
    }
    if (children.size === 0) process.exit(exitCode);
  });
}

function stopAll(signal: NodeJS.Signals) {
  stopping = true;
  for (const child of children.values()) child.kill(signal);
}

process.on('SIGTERM', () => stopAll('SIGTERM'));
process.on('SIGINT', () => stopAll('SIGTERM'));
