import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.js';
import { seedAccount } from '../src/db/seed/seed-account.js';
import { childEnv, startEntryPoint } from '../test/helpers/processes.js';
import { createBenchEnvironment, log, numberArg, printResult } from './lib.js';

/**
 * bench:fanout: time from the send request to SEND_SUCCESS for a broadcast to all followers, through the real API,
 * BullMQ and a separate worker process, against the physical baseline measured in the same run on the same data:
 * one plain INSERT INTO deliveries SELECT … FROM followers. Sizes 10k and 100k always, then --followers if larger.
 * ratio = pipeline seconds / baseline seconds for the largest size (target ≤ 2). Worker peak RSS is reported too.
 */
const largest = numberArg('followers', 100_000);
const sizes = [...new Set([10_000, 100_000, largest])].filter((n) => n <= largest).sort((a, b) => a - b);
const env = await createBenchEnvironment('fanout');
const db = env.deps.database.db;
const app = await buildApp(env.deps);
const results: Array<{ followers: number; seconds: number; baselineSeconds: number; ratio: number; workerPeakRssMb: number }> = [];

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

try {
  for (const followers of sizes) {
    log(`seeding ${followers} followers`);
    const seeded = await seedAccount(env.deps, { followers, days: 30, churnRate: 0, chunkSize: 50_000, concurrency: 2, messageSenderRate: 0 });
    await db.execute(sql`VACUUM ANALYZE followers`);

    // Baseline: PostgreSQL writing the same delivery rows in one statement (under a broadcast id no one uses).
    let started = performance.now();
    await db.execute(sql`
      INSERT INTO deliveries (follower_id, broadcast_id, delivered_at)
      SELECT id, -1, now() FROM followers WHERE account_id = ${seeded.accountId} AND subscribed AND NOT blacklisted`);
    const baselineSeconds = (performance.now() - started) / 1000;
    await db.execute(sql`DELETE FROM deliveries WHERE broadcast_id = -1`);
    await db.execute(sql`VACUUM ANALYZE deliveries`);
    log(`baseline INSERT … SELECT: ${baselineSeconds.toFixed(2)} s`);

    const worker = startEntryPoint('src/worker.ts', {
      ...childEnv({ databaseUrl: env.databaseUrl, redisPrefix: env.config.redisPrefix, config: env.config }),
      LOG_LEVEL: 'warn',
      // Worker tuning from the environment, so batch size and concurrency can be compared run against run.
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('FANOUT_')) as Array<[string, string]>),
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500)); // let the worker connect before the clock starts
      const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: seeded.ownerEmail, password: seeded.ownerPassword } });
      const headers = { authorization: `Bearer ${login.json().token}` };
      started = performance.now();
      const sent = await app.inject({
        method: 'POST',
        url: `/v1/accounts/${seeded.accountId}/broadcasts`,
        headers,
        payload: { target: { all: true }, message: { type: 'text', content: 'benchmark' } },
      });
      if (sent.statusCode !== 202) throw new Error(`send failed: ${sent.body}`);
      const broadcastId = sent.json().id as number;
      let status = 'queued';
      let sentCount = 0;
      while (status !== 'SEND_SUCCESS' && status !== 'SEND_FAIL') {
        await new Promise((resolve) => setTimeout(resolve, 25));
        const row = (await db.execute<{ status: string; sent: number }>(sql`SELECT status, sent_count AS sent FROM broadcasts WHERE id = ${broadcastId}`)).rows[0]!;
        status = row.status;
        sentCount = row.sent;
      }
      const seconds = (performance.now() - started) / 1000;
      if (status !== 'SEND_SUCCESS' || sentCount !== seeded.followers) throw new Error(`broadcast ended ${status} with ${sentCount}/${seeded.followers} sent`);
      const rss = peakRssMb(worker.child.pid!);
      log(`pipeline: ${followers} followers in ${seconds.toFixed(2)} s (${Math.round(followers / seconds)}/s), ${(seconds / baselineSeconds).toFixed(2)}× baseline, worker peak RSS ${rss} MB`);
      results.push({ followers, seconds, baselineSeconds, ratio: seconds / baselineSeconds, workerPeakRssMb: rss });
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  }
  const last = results.at(-1)!;
  printResult({
    bench: 'fanout',
    value: last.seconds,
    baseline: last.baselineSeconds,
    ratio: last.ratio,
    unit: 's',
    followers: last.followers,
    workerPeakRssMb: Math.max(...results.map((r) => r.workerPeakRssMb)),
    sizes: results.map((r) => ({ followers: r.followers, seconds: Math.round(r.seconds * 100) / 100, baselineSeconds: Math.round(r.baselineSeconds * 100) / 100, ratio: Math.round(r.ratio * 100) / 100 })),
  });
} finally {
  await app.close();
  await env.cleanup();
}
