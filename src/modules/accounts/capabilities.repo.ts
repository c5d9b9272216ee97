import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import type { AccountType } from './accounts.repo.js';

export type CapabilityPolicyRow = {
  capability: string;
  accountType: AccountType;
  verified: boolean;
  allowed: boolean;
};

/** Every row of capability_policies: a few dozen, read whole and cached by the capability policy. */
export async function listCapabilityPolicies(db: Executor): Promise<CapabilityPolicyRow[]> {
  const result = await db.execute<CapabilityPolicyRow>(sql`
    SELECT capability, account_type AS "accountType", verified, allowed FROM capability_policies`);
  return result.rows;
}
