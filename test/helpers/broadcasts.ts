import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Executor } from '../../src/db/client.js';
import type { AdminSession } from './admin.js';
import { waitFor } from './worker.js';

export const newsMessage = (articles = 1) => ({
  type: 'news',
  articles: Array.from({ length: articles }, (_, i) => ({
    title: `Article ${i + 1}`,
    author: 'Editor',
    digest: 'A short digest',
    content: `<p>Body of article ${i + 1}</p>`,
    contentSourceUrl: 'https://example.com/original',
    thumbUrl: 'https://example.com/thumb.jpg',
  })),
});

export function sendBroadcast(app: FastifyInstance, admin: AdminSession, accountId: number, payload: Record<string, unknown>) {
  return app.inject({ method: 'POST', url: `/v1/accounts/${accountId}/broadcasts`, headers: admin.headers, payload });
}

export async function getBroadcast(app: FastifyInstance, admin: AdminSession, accountId: number, broadcastId: number) {
  const response = await app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/broadcasts/${broadcastId}`, headers: admin.headers });
  return response.json();
}

/** Waits until the broadcast reaches a final status and returns it. */
export function waitForFinish(app: FastifyInstance, admin: AdminSession, accountId: number, broadcastId: number, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const broadcast = await getBroadcast(app, admin, accountId, broadcastId);
      return broadcast.status === 'SEND_SUCCESS' || broadcast.status === 'SEND_FAIL' ? broadcast : undefined;
    },
    { timeoutMs, what: `broadcast ${broadcastId} to finish` },
  );
}

/** The outbox rows recorded under an idempotency key (e.g. 'MASSSENDJOBFINISH:<broadcastId>'). */
export async function outboxEvents(db: Executor, idempotencyKey: string) {
  const result = await db.execute<{ accountId: number; kind: string; payload: Record<string, unknown>; publishedAt: string | null }>(sql`
    SELECT account_id AS "accountId", kind, payload, published_at AS "publishedAt" FROM outbox_events WHERE idempotency_key = ${idempotencyKey}`);
  return result.rows;
}
