import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/context.js';
import { childEnv, commandOf, descendants, freePort, isAlive, killTree, logRecords, startEntryPoint, startNpmScript, type RunningProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/worker.js';

const ctx = useTestContext();

describe('the API process', () => {
  it('serves requests and, on SIGTERM, finishes the request in flight and exits 0', async () => {
    const api = startEntryPoint('src/server.ts', childEnv(ctx, { LOG_LEVEL: 'info' }));
    try {
      const url = await waitFor(async () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(api.output())?.[1], { timeoutMs: 20_000, what: 'the API to listen' });
      expect((await fetch(`${url}/readyz`)).status).toBe(200);

      // A request still being handled when SIGTERM arrives (scrypt makes registration take a moment) completes.
      const inFlight = fetch(`${url}/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'drain@example.com', password: 'a long password' }),
      });
      // Signal only once the server has the request (its log says so), not after a guessed delay: under load a
      // fixed delay can fire before the connection is accepted, and then there is nothing in flight to drain.
      await waitFor(async () => api.output().includes('"url":"/v1/auth/register"'), { timeoutMs: 10_000, intervalMs: 2, what: 'the request to reach the server' });
      api.child.kill('SIGTERM');
      expect((await inFlight).status).toBe(201);
      expect((await api.exited).code, api.output()).toBe(0);
    } finally {
      if (api.child.exitCode === null && api.child.signalCode === null) api.child.kill('SIGKILL');
    }
  });

  it('refuses to start with a bad configuration and names the variable', async () => {
    const api = startEntryPoint('src/server.ts', childEnv(ctx, { PORT: 'eighty' }));
    const { code } = await api.exited;
    expect(code).not.toBe(0);
    expect(api.output()).toMatch(/PORT must be integer/);
  });
});

/** Waits for the process to exit on its own; a process still running after `timeoutMs` is killed and fails the test. */
async function exitedWithin(running: RunningProcess, timeoutMs: number) {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    running.child.kill('SIGKILL');
  }, timeoutMs);
  try {
    const exit = await running.exited;
    expect(timedOut, `still running after ${timeoutMs} ms:\n${running.output()}`).toBe(false);
    expect(exit.signal, `ended by ${exit.signal}:\n${running.output()}`).toBeNull();
    return exit;
  } finally {
    clearTimeout(timer);
  }
}

/** Cleanup after a failure: the launcher, and every process seen under it (an orphan has another parent by now). */
function killAll(rootPid: number | undefined, seen: Iterable<number>) {
  killTree(rootPid);
  for (const pid of seen) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** A failed start must read as one line that names what failed, with no stack trace and no password. */
function expectOneCleanLine(output: string, { mentions, secret }: { mentions: RegExp; secret: string }) {
  const lines = output.trim().split('\n');
  expect(lines, output).toHaveLength(1);
  expect(lines[0]).toMatch(mentions);
  expect(output).not.toContain(secret);
  expect(output).not.toMatch(/^\s+at /m);
}

// Short-lived processes that only wait on refused connections: run side by side.
describe.concurrent('a process that cannot reach a dependency at start-up', () => {
  it('the API with Redis unreachable prints one line, without the password, and exits non-zero', async () => {
    const port = await freePort();
    const api = startEntryPoint('src/server.ts', childEnv(ctx, { REDIS_URL: `redis://:redis-secret-1@127.0.0.1:${port}/0` }));
    const { code } = await exitedWithin(api, 60_000);
    expect(code).not.toBe(0);
    expectOneCleanLine(api.output(), { mentions: new RegExp(`Redis at redis://:\\*+@127\\.0\\.0\\.1:${port}/0 is unreachable`), secret: 'redis-secret-1' });
  }, 90_000);

  it('the worker with PostgreSQL unreachable prints one line, without the password, and exits non-zero', async () => {
    const port = await freePort();
    const worker = startEntryPoint('src/worker.ts', childEnv(ctx, { DATABASE_URL: `postgres://postgres:pg-secret-2@127.0.0.1:${port}/oa` }));
    const { code } = await exitedWithin(worker, 60_000);
    expect(code).not.toBe(0);
    expectOneCleanLine(worker.output(), { mentions: new RegExp(`PostgreSQL at postgres://postgres:\\*+@127\\.0\\.0\\.1:${port}/oa is unreachable`), secret: 'pg-secret-2' });
  }, 90_000);

  // npm start, npm run db:migrate, seed and stats:rebuild all migrate first.
  it.each(['src/main.ts', 'src/cli/migrate.ts', 'src/cli/seed.ts', 'src/cli/stats-rebuild.ts'])('%s with PostgreSQL unreachable prints one line, without the password, and exits non-zero', async (entryPoint) => {
    const port = await freePort();
    const start = startEntryPoint(entryPoint, childEnv(ctx, { DATABASE_URL: `postgres://postgres:pg-secret-3@127.0.0.1:${port}/oa` }));
    const { code } = await exitedWithin(start, 60_000);
    expect(code).not.toBe(0);
    expectOneCleanLine(start.output(), { mentions: new RegExp(`migrations against postgres://postgres:\\*+@127\\.0\\.0\\.1:${port}/oa failed`), secret: 'pg-secret-3' });
  }, 90_000);
});

/**
 * Once the launcher has exited, the API and the worker it started must be gone already (it waits for them). tsx's
 * esbuild helper processes end on their own when their node process closes their stdin, a moment later.
 */
async function expectNoneLeft(pids: number[]) {
  expect(pids.filter((pid) => isAlive(pid) && /src\/(server|worker)\.ts/.test(commandOf(pid)))).toEqual([]);
  await waitFor(async () => pids.every((pid) => !isAlive(pid)), { timeoutMs: 5_000, what: 'every process the launcher started to be gone' });
}

interface Services {
  api: number;
  worker: number;
}

/**
 * Waits until the API and the worker started under `rootPid` both answer /readyz, and returns their PIDs (read from
 * the process table, not from the launcher's own account). `replacing` names PIDs that must have been replaced.
 */
async function servicesReady(rootPid: number, ports: { api: number; worker: number }, seen: Set<number>, replacing: number[] = []): Promise<Services> {
  return waitFor(
    async () => {
      const tree = descendants(rootPid);
      for (const info of tree) seen.add(info.pid);
      const api = tree.find((info) => info.command.endsWith('src/server.ts'))?.pid;
      const worker = tree.find((info) => info.command.endsWith('src/worker.ts'))?.pid;
      if (!api || !worker || replacing.includes(api) || replacing.includes(worker)) return undefined;
      const ready = await Promise.all(
        [ports.api, ports.worker].map((port) => fetch(`http://127.0.0.1:${port}/readyz`).then((response) => response.ok, () => false)),
      );
      return ready.every(Boolean) && { api, worker };
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'the API and the worker to be ready' },
  );
}

describe('npm start', () => {
  it('restarts a child killed with SIGKILL after a logged delay, and the child serves again (API and worker alike)', async () => {
    const ports = { api: await freePort(), worker: await freePort() };
    const start = startEntryPoint('src/main.ts', childEnv(ctx, { PORT: String(ports.api), WORKER_HEALTH_PORT: String(ports.worker), LOG_LEVEL: 'info' }));
    const pid = start.child.pid!;
    const seen = new Set<number>();
    try {
      const first = await servicesReady(pid, ports, seen);

      // Both at once: each is restarted on its own, and both serve again.
      process.kill(first.api, 'SIGKILL');
      process.kill(first.worker, 'SIGKILL');
      await servicesReady(pid, ports, seen, [first.api, first.worker]);

      // One line per restart, saying which child died, how, and when it comes back.
      const restarts = logRecords(start.output()).filter((record) => record.role === 'supervisor' && typeof record.restartInMs === 'number');
      expect(restarts.sort((a, b) => String(a.child).localeCompare(String(b.child)))).toEqual([
        expect.objectContaining({ child: 'api', pid: first.api, signal: 'SIGKILL', restartInMs: 1000 }),
        expect.objectContaining({ child: 'worker', pid: first.worker, signal: 'SIGKILL', restartInMs: 1000 }),
      ]);

      start.child.kill('SIGTERM');
      expect((await exitedWithin(start, 40_000)).code, start.output()).toBe(0);
      await expectNoneLeft([...seen]);
    } finally {
      killAll(pid, seen);
    }
  }, 240_000);

  it('SIGTERM to the npm process drains the API and the worker, exits 0 and leaves no process behind', async () => {
    const ports = { api: await freePort(), worker: await freePort() };
    const npm = startNpmScript('start', childEnv(ctx, { PORT: String(ports.api), WORKER_HEALTH_PORT: String(ports.worker), LOG_LEVEL: 'info' }));
    const pid = npm.child.pid!;
    const seen = new Set<number>();
    try {
      const services = await servicesReady(pid, ports, seen);
      const started = descendants(pid);
      expect(started.map((info) => info.pid)).toEqual(expect.arrayContaining([services.api, services.worker]));

      npm.child.kill('SIGTERM');
      expect((await exitedWithin(npm, 40_000)).code, npm.output()).toBe(0);
      // Both children shut down gracefully (their own drain logs), and nothing npm started is still running.
      const records = logRecords(npm.output());
      expect(records.filter((record) => /shutting down/.test(String(record.msg))).map((record) => record.role).sort()).toEqual(['api', 'worker']);
      await expectNoneLeft(started.map((info) => info.pid));
    } finally {
      killAll(pid, seen);
    }
  }, 120_000);
});
