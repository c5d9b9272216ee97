import type { Executor } from '../../db/client.js';
import { wechatUsers } from '../../db/schema/index.js';

export type WechatUserRow = typeof wechatUsers.$inferSelect;
export type NewWechatUser = Pick<WechatUserRow, 'nickname' | 'gender' | 'language' | 'country' | 'province' | 'city'>;

export async function insertWechatUser(db: Executor, user: NewWechatUser): Promise<WechatUserRow> {
  const [row] = await db.insert(wechatUsers).values(user).returning();
  return row!;
}
