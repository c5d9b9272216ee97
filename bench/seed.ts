import { createWriteStream } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { seedAccount } from '../src/db/seed/seed-account.js';
import { createBenchEnvironment, log, numberArg, printResult } from './lib.js';

/**
 * bench:seed: followers written per second by the seeder (users, followers, unionids and follow events, set-based),
 * against PostgreSQL itself COPYing the same number of follower rows from a generated CSV file into the same table.
 * The baseline runs first, so the seeder is the one that writes into the larger indexes.
 * ratio = COPY rate / seeder rate (how many times slower the seeder is; the target is at most 2).
 */
const followers = numberArg('followers', 200_000);
const churnRate = 0.12;
const total = Math.round(followers / (1 - churnRate));
const env = await createBenchEnvironment('seed');
const db = env.deps.database.db;
const dir = await mkdtemp(join(tmpdir(), 'oa-bench-seed-'));

try {
  // Baseline set-up (untimed): an account and wechat users for the copied rows to refer to.
  const owner = await env.deps.services.auth.register({ email: `bench-${randomBytes(3).toString('hex')}@example.com`, password: 'benchmark password' });
  const baselineAccount = await env.deps.services.accounts.create(owner.id, { name: 'COPY baseline' });
  await db.execute(sql`INSERT INTO wechat_users (nickname) SELECT 'baseline' || g FROM generate_series(1, ${total}::int) g`);
  const firstUser = (await db.execute<{ id: number }>(sql`SELECT min(id)::bigint AS id FROM wechat_users`)).rows[0]!.id;

  const file = join(dir, 'followers.csv');
  const out = createWriteStream(file);
  const scenes = ['ADD_SCENE_SEARCH', 'ADD_SCENE_QR_CODE', 'ADD_SCENE_PROFILE_CARD', 'ADD_SCENE_OTHERS'];
  const now = Date.now();
  for (let i = 0; i < total; i++) {
    const followedAt = new Date(now - Math.random() * 365 * 86_400_000).toISOString();
    const churned = i >= followers;
    const line = `${baselineAccount.id},${firstUser + i},o${randomBytes(20).toString('base64url')},${churned ? 'f' : 't'},${followedAt},${followedAt},${churned ? followedAt : ''},${scenes[i % scenes.length]},\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  // The PostgreSQL server process reads the file itself, as its own OS user.
  await chmod(dir, 0o755);
  await chmod(file, 0o644);

  log(`baseline: COPY ${total} follower rows from ${file}`);
  let started = performance.now();
  await db.execute(sql.raw(`COPY followers (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at, unsubscribed_at, subscribe_scene, qr_scene) FROM '${file}' WITH (FORMAT csv)`));
  const copySeconds = (performance.now() - started) / 1000;
  const copyRate = total / copySeconds;
  log(`baseline: ${copySeconds.toFixed(2)} s, ${Math.round(copyRate)} followers/s`);

  log(`seeder: ${followers} followers (+${total - followers} who left), 365 days of history`);
  started = performance.now();
  const result = await seedAccount(env.deps, { followers, days: 365, churnRate, chunkSize: 25_000, concurrency: 2, messageSenderRate: 0 });
  const seedRate = (result.followers + result.unfollowed) / result.followerSeconds;
  log(`seeder: ${result.followerSeconds.toFixed(2)} s, ${Math.round(seedRate)} followers/s (wall ${((performance.now() - started) / 1000).toFixed(1)} s)`);

  printResult({ bench: 'seed', value: seedRate, baseline: copyRate, ratio: copyRate / seedRate, unit: 'followers/s', followers: total });
} finally {
  await rm(dir, { recursive: true, force: true });
  await env.cleanup();
}
