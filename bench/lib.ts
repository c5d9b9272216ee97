import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config.js';
import { quoteIdentifier, runMigrations } from '../src/db/migrate.js';
import { createDeps, type Deps } from '../src/deps.js';
import { deleteKeysWithPrefix } from '../src/redis.js';

/**
 * Shared by the benchmarks: a throw-away database and Redis prefix per run (never the developer's own), and the
 * one JSON line every benchmark ends with.
 */
export interface BenchEnvironment {
  config: Config;
  deps: Deps;
  databaseUrl: string;
  cleanup(): Promise<void>;
}

export function benchServerUrl(database: string): string {
  const url = new URL(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${database}`;
  return url.toString();
}

export async function createBenchEnvironment(name: string, env: Record<string, string> = {}): Promise<BenchEnvironment> {
  const id = `oa_bench_${name}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = benchServerUrl(id);
  await runMigrations(databaseUrl);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '20',
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: id,
    AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
    ...env,
  });
  const deps = await createDeps(config, { role: 'cli' });
  return {
    config,
    deps,
    databaseUrl,
    async cleanup() {
      await deleteKeysWithPrefix(deps.redis, id);
      await deps.close();
      const admin = new pg.Client({ connectionString: benchServerUrl('postgres') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(id)} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export function numberArg(name: string, fallback: number): number {
  const { values } = parseArgs({ options: { [name]: { type: 'string' } }, strict: false });
  const raw = values[name];
  if (raw === undefined || typeof raw !== 'string') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

/** A whole number that may be 0, such as --history-days 0 for a run without history. */
export function wholeNumberArg(name: string, fallback: number): number {
  const { values } = parseArgs({ options: { [name]: { type: 'string' } }, strict: false });
  const raw = values[name];
  if (raw === undefined || typeof raw !== 'string') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a whole number ≥ 0`);
  return value;
}

/** The middle value (the mean of the two middle ones for an even count): robust to one disturbed run. */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The last line of every benchmark: what was measured, against which baseline measured in the same run. */
export function printResult(result: { bench: string; value: number; baseline: number; ratio: number; unit: string; [extra: string]: unknown }): void {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  console.log(JSON.stringify({ ...result, value: round(result.value), baseline: round(result.baseline), ratio: round(result.ratio) }));
}

/**
 * The API in its own process (bench/http-server.ts) over the bench's database and Redis prefix; resolves with its
 * URL once it listens. The client rate limits stay in the request path (their cost is measured) but must not refuse
 * the load itself.
 */
export async function forkBenchApi(config: Config, execArgv: string[] = process.execArgv): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(new URL('./http-server.ts', import.meta.url)), ['app'], {
    execArgv,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: config.databaseUrl,
      DATABASE_POOL_MAX: String(config.databasePoolMax),
      REDIS_URL: config.redisUrl,
      REDIS_PREFIX: config.redisPrefix,
      JWT_SECRET: config.jwtSecret,
      CLIENT_RATE_LIMIT_PER_MINUTE: '1000000000',
      CLIENT_IP_RATE_LIMIT_PER_MINUTE: '1000000000',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { child, url: `http://127.0.0.1:${message.port}` };
}

/** The bare Fastify routes of bench/http-server.ts, in a process of their own like the API. */
export async function forkBareServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(new URL('./http-server.ts', import.meta.url)), ['bare'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { child, url: `http://127.0.0.1:${message.port}` };
}

/** Stops a process forked by forkBenchApi or forkBareServer and waits for it to exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}
