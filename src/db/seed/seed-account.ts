import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Deps } from '../../deps.js';
import { seedBroadcastHistory, seedEngagements } from './broadcasts.seed.js';
import { seedDeliveryHistory } from './deliveries.seed.js';
import { seedFollowerChunk, seedMessages } from './followers.seed.js';

export interface SeedOptions {
  followers: number;
  days: number;
  /** Share of all followers ever gained who have since left. */
  churnRate: number;
  chunkSize: number;
  /** Chunks written at once, each on its own connection; PostgreSQL then uses more than one core. */
  concurrency: number;
  /** Share of current followers who have sent messages. */
  messageSenderRate: number;
  /** Seed one sent news broadcast a day, with reads, shares and favourites (off for fan-out benchmarks). */
  broadcastHistory?: boolean;
  /** With broadcastHistory: delivery rows for the broadcasts of the last this many days (the inbox reads them). */
  deliveryDays?: number;
}

export interface SeedResult {
  accountId: number;
  appid: string;
  appsecret: string;
  ownerEmail: string;
  ownerPassword: string;
  followers: number;
  unfollowed: number;
  messages: number;
  broadcasts: number;
  engagements: number;
  deliveries: number;
  followerSeconds: number;
}

export type SeedProgress = (stage: string, done: number, total: number) => void;

/**
 * Builds a demo account with an owner login, `followers` current followers (plus those who left) whose follow
 * history spans `days`, and upstream messages. Followers are written in chunks, each one set-based statement.
 */
export async function seedAccount(deps: Deps, options: SeedOptions, progress: SeedProgress = () => {}): Promise<SeedResult> {
  const ownerEmail = `seed-${randomBytes(4).toString('hex')}@example.com`;
  const ownerPassword = randomBytes(12).toString('base64url');
  const owner = await deps.services.auth.register({ email: ownerEmail, password: ownerPassword });
  const account = await deps.services.accounts.create(owner.id, { name: `Seeded account (${options.followers} followers)` });

  const to = deps.clock.now();
  const from = new Date(to.getTime() - options.days * 86_400_000);
  const unfollowed = Math.round((options.followers * options.churnRate) / (1 - options.churnRate));
  const total = options.followers + unfollowed;

  const chunks: Array<{ offset: number; count: number; churned: number }> = [];
  for (let offset = 0, churnedSoFar = 0; offset < total; offset += options.chunkSize) {
    const count = Math.min(options.chunkSize, total - offset);
    // Spread the unfollowed evenly over the chunks, so that the totals come out exact.
    const churned = Math.round(((offset + count) * unfollowed) / total) - churnedSoFar;
    churnedSoFar += churned;
    chunks.push({ offset, count, churned });
  }

  const started = performance.now();
  let written = 0;
  const writer = async () => {
    for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
      const { offset, count, churned } = chunk;
      await deps.database.db.transaction(async (tx) => {
        // Seed data may lose its last chunk on a crash; waiting for a disk flush per chunk buys nothing here.
        await tx.execute(sql`SET LOCAL synchronous_commit = off`);
        await seedFollowerChunk(tx, { accountId: account.id, ownerId: owner.id, count, churned, from, to, offset });
      });
      written += count;
      progress('followers', written, total);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, writer));
  const followerSeconds = (performance.now() - started) / 1000;

  const messages = options.messageSenderRate > 0 ? await seedMessages(deps.database.db, { accountId: account.id, sampleRate: options.messageSenderRate, from, to }) : 0;
  progress('messages', messages, messages);

  let broadcasts = 0;
  let engagements = 0;
  let deliveries = 0;
  if (options.broadcastHistory) {
    await seedBroadcastHistory(deps.database.db, { accountId: account.id, followers: options.followers, from, days: options.days });
    broadcasts = options.days;
    if (options.deliveryDays) {
      const since = new Date(to.getTime() - options.deliveryDays * 86_400_000);
      deliveries = await seedDeliveryHistory(
        deps.database.db,
        { accountId: account.id, since, audience: 'subscribed-then', concurrency: options.concurrency },
        (done, total) => progress('delivery days', done, total),
      );
    }
    // About one engagement per follower over the whole history: Σ audience ≈ followers × days / 3.
    engagements = await seedEngagements(deps.database.db, { accountId: account.id, readRate: Math.min(0.03, 3 / options.days) });
    progress('engagements', engagements, engagements);
  }
  await deps.database.db.execute(sql`ANALYZE followers, follow_events, messages, broadcasts, article_engagements, deliveries`);

  const counts = await deps.database.db.execute<{ subscribed: number; unsubscribed: number }>(sql`
    SELECT count(*) FILTER (WHERE subscribed)::int AS subscribed, count(*) FILTER (WHERE NOT subscribed)::int AS unsubscribed
    FROM followers WHERE account_id = ${account.id}`);
  return {
    accountId: account.id,
    appid: account.appid,
    appsecret: account.appsecret,
    ownerEmail,
    ownerPassword,
    followers: counts.rows[0]!.subscribed,
    unfollowed: counts.rows[0]!.unsubscribed,
    messages,
    broadcasts,
    engagements,
    deliveries,
    followerSeconds,
  };
}
