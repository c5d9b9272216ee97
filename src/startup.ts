import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, redactUrl, type Config } from './config.js';
import { runMigrations } from './db/migrate.js';
import { createDeps, type Deps } from './deps.js';
import { describeError, StartupError } from './errors.js';
import { createLogger } from './logger.js';

/**
 * How the service's processes start and stop around their work: a process that cannot start (bad configuration,
 * PostgreSQL or Redis unreachable, port taken) ends with exit code 1 and one clear log line instead of an uncaught
 * stack; a child of `npm start` stops when its launcher is gone.
 */
export type ProcessRole = 'api' | 'worker' | 'supervisor' | 'cli';

/** Ends the process after a failed start. Expected failures print their message only; anything else, its stack. */
export function exitOnStartupFailure(role: ProcessRole, error: unknown, level: Config['logLevel'] = 'info'): never {
  const logger = createLogger({ level, role });
  if (error instanceof StartupError || error instanceof ConfigError) logger.fatal(`cannot start: ${error.message}`);
  else logger.fatal({ err: error }, 'cannot start: unexpected error');
  process.exit(1);
}

export function loadConfigOrExit(role: ProcessRole): Config {
  try {
    return loadConfig();
  } catch (error) {
    exitOnStartupFailure(role, error);
  }
}

/** Applies pending migrations, or the process ends with one line saying why (the URL without its password). */
export async function migrateOrExit(role: ProcessRole, config: Config, info?: (message: string) => void): Promise<void> {
  try {
    await runMigrations(config.databaseUrl, info ? { info } : undefined);
  } catch (error) {
    exitOnStartupFailure(role, new StartupError(`database migrations against ${redactUrl(config.databaseUrl)} failed: ${describeError(error)}`), config.logLevel);
  }
}

/** Configuration and connected dependencies for an entry point, or the process ends with one line saying why. */
export async function createDepsOrExit(role: 'api' | 'worker' | 'cli', config: Config = loadConfigOrExit(role)): Promise<Deps> {
  try {
    return await createDeps(config, { role });
  } catch (error) {
    exitOnStartupFailure(role, error, config.logLevel);
  }
}

export async function listenOrExit(role: ProcessRole, server: FastifyInstance, address: { host: string; port: number }, level: Config['logLevel']): Promise<void> {
  try {
    await server.listen(address);
  } catch (error) {
    exitOnStartupFailure(role, new StartupError(`cannot listen on ${address.host}:${address.port}: ${describeError(error)}`), level);
  }
}

/**
 * A child of the `npm start` launcher has an IPC channel to it, which closes when the launcher dies (even by
 * SIGKILL). The child then shuts down as on SIGTERM, so a killed launcher leaves no orphan serving on its own.
 */
export function stopWhenLauncherExits(): void {
  if (!process.connected) return;
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
