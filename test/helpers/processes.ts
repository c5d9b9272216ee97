import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestContext } from './context.js';
import { waitFor } from './worker.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Environment that points a child process at the calling test file's database and Redis prefix. */
export function childEnv(ctx: Pick<TestContext, 'databaseUrl' | 'redisPrefix' | 'config'>, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: ctx.databaseUrl,
    REDIS_URL: ctx.config.redisUrl,
    REDIS_PREFIX: ctx.redisPrefix,
    JWT_SECRET: ctx.config.jwtSecret,
    PORT: '0',
    WORKER_HEALTH_PORT: '0',
    ...extra,
  };
}

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function track(child: ChildProcess): RunningProcess {
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return { child, output: () => output, exited };
}

/** Starts one of the service's entry points (src/server.ts, src/worker.ts, src/main.ts, src/cli/*) as a real process. */
export function startEntryPoint(entry: string, env: NodeJS.ProcessEnv, args: string[] = []): RunningProcess {
  return track(spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Runs a package.json script as a user would (`npm run start`), so the PID a user would signal is npm's own. */
export function startNpmScript(script: string, env: NodeJS.ProcessEnv): RunningProcess {
  const npmEnv = { ...env, HOME: process.env.HOME, npm_config_update_notifier: 'false', npm_config_fund: 'false' };
  return track(spawn('npm', ['run', '--silent', script], { cwd: ROOT, env: npmEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Lines of a process's output that are JSON log records (pino), parsed. */
export function logRecords(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A TCP port that was free a moment ago: for servers a test starts, and (left closed) for unreachable URLs. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface ProcessInfo {
  pid: number;
  parentPid: number;
  command: string;
}

/** Every process on the machine, from /proc (Linux, as in CI): enough to find a process's children and orphans. */
function processTable(): ProcessInfo[] {
  const table: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name in parentheses may itself contain spaces or parentheses: read the fields after the last ')'.
      const [, parentPid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.push({ pid: Number(entry), parentPid: Number(parentPid), command: commandOf(Number(entry)) });
    } catch {
      // The process exited while we looked.
    }
  }
  return table;
}

/** The processes started, directly or not, by `pid`. */
export function descendants(pid: number): ProcessInfo[] {
  const table = processTable();
  const found: ProcessInfo[] = [];
  const parents = [pid];
  while (parents.length > 0) {
    const parent = parents.pop()!;
    for (const info of table) {
      if (info.parentPid !== parent) continue;
      found.push(info);
      parents.push(info.pid);
    }
  }
  return found;
}

/** True while a process exists and is not a zombie waiting for its parent to collect it. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A process's command line, or '' once it is gone. */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Ends a process and everything it started, for a test's cleanup after a failure. */
export function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  for (const info of [...descendants(pid), { pid }]) {
    try {
      process.kill(info.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export interface PrivateRedis {
  port: number;
  /** A URL for this server, with the password the test chose (the server itself asks for none). */
  url(password?: string): string;
  /** Kills the server, as a crash would. */
  stop(): Promise<void>;
  /** Starts it again, empty, on the same port; nothing if it is running. */
  start(): Promise<void>;
}

/**
 * A redis-server of the test's own on a free port, which the test may stop and start: outages are never
 * simulated on the machine's shared Redis.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let running: RunningProcess | undefined;
  const redis: PrivateRedis = {
    port,
    url: (password) => `redis://${password ? `:${encodeURIComponent(password)}@` : ''}127.0.0.1:${port}`,
    async start() {
      // Already up: a second server could not bind the port, and replacing `running` with it would lose the first,
      // which then outlives the test (stop() would kill only the one that failed).
      if (running && running.child.exitCode === null && running.child.signalCode === null) return;
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'];
      const server = track(spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
      running = server;
      await Promise.race([
        waitFor(async () => server.output().includes('Ready to accept connections'), { timeoutMs: 10_000, intervalMs: 20, what: 'redis-server to start' }),
        server.exited.then(() => Promise.reject(new Error(`redis-server exited at start: ${server.output()}`))),
      ]);
    },
    async stop() {
      const server = running;
      running = undefined;
      if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
      server.child.kill('SIGKILL');
      await server.exited;
    },
  };
  await redis.start();
  return redis;
}
