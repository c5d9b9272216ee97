import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { users, wechatUsers } from '../../db/schema/index.js';

export async function adminUserExists(db: Executor, userId: number): Promise<boolean> {
  const rows = await db.select({ id: users.id }).from(users).where(eq(users.id, userId)).limit(1);
  return rows.length > 0;
}

export async function wechatUserExists(db: Executor, wechatUserId: number): Promise<boolean> {
  const rows = await db.select({ id: wechatUsers.id }).from(wechatUsers).where(eq(wechatUsers.id, wechatUserId)).limit(1);
  return rows.length > 0;
}
