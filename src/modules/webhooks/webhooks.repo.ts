import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { webhookConfigs } from '../../db/schema/index.js';

export type WebhookConfigRow = typeof webhookConfigs.$inferSelect;
export type WebhookMode = WebhookConfigRow['mode'];

export async function findWebhookConfig(db: Executor, accountId: number): Promise<WebhookConfigRow | undefined> {
  const [row] = await db.select().from(webhookConfigs).where(eq(webhookConfigs.accountId, accountId)).limit(1);
  return row;
}

/** Saves a verified configuration, replacing the account's previous one; created_at survives the replacement. */
export async function saveWebhookConfig(
  db: Executor,
  config: Pick<WebhookConfigRow, 'accountId' | 'url' | 'token' | 'encodingAesKey' | 'mode' | 'verifiedAt'>,
  at: Date,
): Promise<WebhookConfigRow> {
  const [row] = await db
    .insert(webhookConfigs)
    .values({ ...config, createdAt: at, updatedAt: at })
    .onConflictDoUpdate({
      target: webhookConfigs.accountId,
      set: { url: config.url, token: config.token, encodingAesKey: config.encodingAesKey, mode: config.mode, verifiedAt: config.verifiedAt, updatedAt: at },
    })
    .returning();
  return row!;
}

export async function updateWebhookAesKey(db: Executor, accountId: number, encodingAesKey: string, at: Date): Promise<WebhookConfigRow | undefined> {
  const [row] = await db.update(webhookConfigs).set({ encodingAesKey, updatedAt: at }).where(eq(webhookConfigs.accountId, accountId)).returning();
  return row;
}

export async function deleteWebhookConfig(db: Executor, accountId: number): Promise<boolean> {
  const deleted = await db.delete(webhookConfigs).where(eq(webhookConfigs.accountId, accountId)).returning({ accountId: webhookConfigs.accountId });
  return deleted.length > 0;
}
