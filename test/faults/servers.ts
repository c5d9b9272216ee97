import { execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, type RunningProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/worker.js';

/**
 * PostgreSQL and Redis servers of the fault suite's own, on free ports in temporary directories: the suite
 * restarts and crashes them, so it never touches the machine's shared servers (5432, 6379).
 */

const run = promisify(execFile);

/** Debian keeps each major's binaries under /usr/lib/postgresql/<major>/bin; take the newest installed. */
function postgresBin(tool: string): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const major of majors) {
    const path = join(root, major, 'bin', tool);
    if (existsSync(path)) return path;
  }
  throw new Error(`PostgreSQL's ${tool} not found under ${root}/*/bin (install postgresql)`);
}

const runningAsRoot = userInfo().uid === 0;

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` OS user. */
function asPostgresUser(tool: string, args: string[]): [string, string[]] {
  return runningAsRoot ? ['runuser', ['-u', 'postgres', '--', postgresBin(tool), ...args]] : [postgresBin(tool), args];
}

async function postgresTool(tool: string, args: string[]): Promise<string> {
  const [command, argv] = asPostgresUser(tool, args);
  const { stdout, stderr } = await run(command, argv, { timeout: 60_000 });
  return stdout + stderr;
}

export interface PrivatePostgres {
  port: number;
  /** A connection URL for one database of this cluster. */
  url(database: string): string;
  /** `pg_ctl restart -m fast`: clients are disconnected (57P01), the server is back when this resolves. */
  restartFast(): Promise<void>;
  /** `pg_ctl stop -m immediate`: every backend dies at once, as in a crash; crash recovery runs on the next start. */
  crash(): Promise<void>;
  /** Starts the server again and resolves once it accepts connections. */
  start(): Promise<void>;
  /** Starts it if a test left it stopped. */
  ensureRunning(): Promise<void>;
  /** Stops the server and removes its directory; safe to call twice and after a failed start. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync('/tmp/oa-faults-pg-');
  if (runningAsRoot) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), Number((await run('id', ['-g', 'postgres'])).stdout.trim()));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  // fsync off: the suite crashes PostgreSQL, never the machine, so the OS keeps every write PostgreSQL made.
  // synchronous_commit stays on, so a commit a client saw survives an immediate shutdown.
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
    '-c shared_buffers=128MB',
    '-c log_min_messages=warning',
  ].join(' ');
  await postgresTool('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const pgCtl = (...args: string[]) => postgresTool('pg_ctl', ['-D', dataDir, '-l', join(dir, 'server.log'), ...args]);
  let destroyed = false;

  const server: PrivatePostgres = {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async restartFast() {
      await pgCtl('restart', '-m', 'fast', '-w', '-o', options);
    },
    async crash() {
      await pgCtl('stop', '-m', 'immediate', '-w');
    },
    async start() {
      await pgCtl('start', '-w', '-o', options);
    },
    async ensureRunning() {
      // pg_ctl status exits 3 when no server runs.
      const running = await pgCtl('status').then(() => true, () => false);
      if (!running) await server.start();
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      if (existsSync(join(dataDir, 'postmaster.pid'))) await pgCtl('stop', '-m', 'immediate', '-w').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** Kills the server with SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port: `keepData` replays the append-only file; otherwise it starts empty. */
  start(options: { keepData: boolean }): Promise<void>;
  /** Starts it (with its data) if a test left it stopped. */
  ensureRunning(): Promise<void>;
  destroy(): Promise<void>;
}

/** A redis-server with an append-only file (fsync every second, Redis's default), in a temporary directory. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync('/tmp/oa-faults-redis-');
  const port = await freePort();
  let running: RunningProcess | undefined;
  // Rejects if the server exits before it is ready (raced against readiness, so a later kill rejects harmlessly).
  const exitedEarly = (server: RunningProcess) =>
    server.exited.then(() => Promise.reject(new Error(`redis-server exited at start: ${server.output()}`)));

  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start({ keepData }) {
      if (!keepData) {
        for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
      }
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'];
      const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      const server: RunningProcess = { child, output: () => output, exited };
      running = server;
      await Promise.race([
        waitFor(async () => output.includes('Ready to accept connections'), { timeoutMs: 15_000, intervalMs: 20, what: 'redis-server to start' }),
        exitedEarly(server),
      ]);
    },
    async ensureRunning() {
      if (!running) await redis.start({ keepData: true });
    },
    async kill() {
      const server = running;
      running = undefined;
      if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
      server.child.kill('SIGKILL');
      await server.exited;
    },
    async destroy() {
      await redis.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await redis.start({ keepData: false });
  } catch (error) {
    await redis.destroy();
    throw error;
  }
  return redis;
}
