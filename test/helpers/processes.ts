import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { TestContext } from './context.js';

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

/** Starts one of the service's entry points (src/server.ts, src/worker.ts) as a real process. */
export function startEntryPoint(entry: string, env: NodeJS.ProcessEnv): RunningProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return { child, output: () => output, exited };
}
