import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';

export type OutboxEventKind = 'MASSSENDJOBFINISH';

/**
 * Records an event the platform owes to the outside world, in the caller's transaction, so the event exists exactly
 * when the fact it announces does. The idempotency key makes a second recording of the same fact a no-op; returns
 * whether this call added the row.
 */
export async function insertOutboxEvent(
  db: Executor,
  accountId: number,
  event: { kind: OutboxEventKind; idempotencyKey: string; payload: Record<string, unknown>; at: Date },
): Promise<boolean> {
  const result = await db.execute(sql`
    INSERT INTO outbox_events (account_id, kind, idempotency_key, payload, created_at)
    VALUES (${accountId}, ${event.kind}, ${event.idempotencyKey}, ${JSON.stringify(event.payload)}::jsonb, ${event.at.toISOString()})
    ON CONFLICT (idempotency_key) DO NOTHING`);
  return (result.rowCount ?? 0) > 0;
}
