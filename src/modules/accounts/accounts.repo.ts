import { and, asc, count, eq, getTableColumns, sql } from 'drizzle-orm';
import { preparedRead, type Database, type Executor } from '../../db/client.js';
import { accountMembers, accounts, users } from '../../db/schema/index.js';

export type AccountRow = typeof accounts.$inferSelect;
export type MemberRole = (typeof accountMembers.$inferSelect)['role'];
export type AccountType = AccountRow['type'];

export async function insertAccount(
  db: Executor,
  account: { name: string; appid: string; originalId: string; appsecretHash: string; createdBy: number },
): Promise<AccountRow> {
  const [row] = await db.insert(accounts).values(account).returning();
  return row!;
}

export async function findAccount(db: Executor, accountId: number): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, accountId)).limit(1);
  return row;
}

/**
 * Locks the account row for the rest of the transaction. Work that must see one change at a time per account
 * (broadcast sends with their clientMsgId check, tag creation under the 100-tag limit) takes this lock first.
 * NO KEY UPDATE does not block inserts that reference the account.
 */
export async function lockAccount(db: Executor, accountId: number): Promise<void> {
  await db.execute(sql`SELECT id FROM accounts WHERE id = ${accountId} FOR NO KEY UPDATE`);
}

/** What the WeChat API knows of its caller's account on every call (verifiedAt: for the capability check). */
export type ApiCaller = Pick<AccountRow, 'id' | 'appid' | 'type' | 'appsecretHash' | 'verifiedAt'>;

const apiCallerById = preparedRead<ApiCaller, { accountId: number }>('api_caller_by_id', sql`
  SELECT id, appid, type, appsecret_hash AS "appsecretHash", verified_at AS "verifiedAt" FROM accounts WHERE id = ${sql.placeholder('accountId')}`);

/** The account behind an access token, as a prepared statement (planned once per connection): runs on every call. */
export async function findApiCaller(db: Database, accountId: number): Promise<ApiCaller | undefined> {
  const [row] = await apiCallerById(db, { accountId });
  return row;
}

/**
 * Grants (a date) or revokes (null) WeChat verification: a platform operator's act (`npm run account:verify`).
 * Granting an account that is already verified keeps its first date.
 */
export async function setAccountVerifiedAt(db: Executor, appid: string, verifiedAt: Date | null): Promise<AccountRow | undefined> {
  const [row] = await db
    .update(accounts)
    .set({ verifiedAt: verifiedAt === null ? null : sql`coalesce(${accounts.verifiedAt}, ${verifiedAt.toISOString()}::timestamptz)` })
    .where(eq(accounts.appid, appid))
    .returning();
  return row;
}

export async function findAccountByAppid(db: Executor, appid: string): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(accounts).where(eq(accounts.appid, appid)).limit(1);
  return row;
}

/** The user's role in the account (within a transaction: the member changes check it), or undefined for a non-member. */
export async function findMemberRole(db: Executor, accountId: number, userId: number): Promise<MemberRole | undefined> {
  const [row] = await db
    .select({ role: accountMembers.role })
    .from(accountMembers)
    .where(and(eq(accountMembers.accountId, accountId), eq(accountMembers.userId, userId)))
    .limit(1);
  return row?.role;
}

/**
 * Every column of accounts (alias `a`) under its property name: a raw read of them gives the row the query builder
 * gives (bigints and smallints as numbers, timestamps as Dates, by the pool's type parsers), and stays in step with
 * the schema.
 */
const accountColumns = sql.join(
  Object.entries(getTableColumns(accounts)).map(([property, column]) => sql`a.${sql.identifier(column.name)} AS ${sql.identifier(property)}`),
  sql`, `,
);

const membershipById = preparedRead<AccountRow & { memberRole: MemberRole }, { accountId: number; userId: number }>('membership_by_id', sql`
  SELECT ${accountColumns}, m.role AS "memberRole"
  FROM account_members m JOIN accounts a ON a.id = m.account_id
  WHERE m.account_id = ${sql.placeholder('accountId')} AND m.user_id = ${sql.placeholder('userId')}`);

/**
 * The account together with the user's role in it; undefined when either is missing. A prepared statement: every
 * account-scoped admin request runs it, and the query builder's text built and planned each time cost more than
 * PostgreSQL took to answer it.
 */
export async function findMembership(db: Database, accountId: number, userId: number): Promise<{ account: AccountRow; role: MemberRole } | undefined> {
  const [row] = await membershipById(db, { accountId, userId });
  if (!row) return undefined;
  const { memberRole, ...account } = row;
  return { account, role: memberRole };
}

export async function listAccountsOfUser(db: Executor, userId: number): Promise<Array<{ account: AccountRow; role: MemberRole }>> {
  return db
    .select({ account: accounts, role: accountMembers.role })
    .from(accountMembers)
    .innerJoin(accounts, eq(accounts.id, accountMembers.accountId))
    .where(eq(accountMembers.userId, userId))
    .orderBy(asc(accounts.id));
}

/**
 * Makes the one-time type choice. Only an unlocked account matches, so of two racing choices the second finds
 * nothing to update; the trigger from migration 0001 backs this for writers that bypass this function.
 */
export async function lockAccountType(db: Executor, accountId: number, type: AccountType): Promise<AccountRow | undefined> {
  const [row] = await db
    .update(accounts)
    .set({ type, typeLocked: true })
    .where(and(eq(accounts.id, accountId), eq(accounts.typeLocked, false)))
    .returning();
  return row;
}

export async function updateAppsecretHash(db: Executor, accountId: number, appsecretHash: string, rotatedAt: Date): Promise<void> {
  await db.update(accounts).set({ appsecretHash, secretRotatedAt: rotatedAt }).where(eq(accounts.id, accountId));
}

export async function upsertMember(db: Executor, accountId: number, userId: number, role: MemberRole): Promise<{ created: boolean }> {
  const result = await db.execute<{ created: boolean }>(sql`
    INSERT INTO account_members (account_id, user_id, role) VALUES (${accountId}, ${userId}, ${role})
    ON CONFLICT (account_id, user_id) DO UPDATE SET role = EXCLUDED.role
    RETURNING (xmax = 0) AS created`);
  return { created: result.rows[0]!.created };
}

export async function listMembers(db: Executor, accountId: number) {
  return db
    .select({ userId: users.id, email: users.email, role: accountMembers.role, addedAt: accountMembers.createdAt })
    .from(accountMembers)
    .innerJoin(users, eq(users.id, accountMembers.userId))
    .where(eq(accountMembers.accountId, accountId))
    .orderBy(asc(accountMembers.createdAt), asc(users.id));
}

export async function deleteMember(db: Executor, accountId: number, userId: number): Promise<boolean> {
  const deleted = await db
    .delete(accountMembers)
    .where(and(eq(accountMembers.accountId, accountId), eq(accountMembers.userId, userId)))
    .returning({ userId: accountMembers.userId });
  return deleted.length > 0;
}

/** Locks the account's owner rows and counts them, so two concurrent demotions cannot remove the last owner. */
export async function countOwnersForUpdate(db: Executor, accountId: number): Promise<number> {
  const owners = await db
    .select({ userId: accountMembers.userId })
    .from(accountMembers)
    .where(and(eq(accountMembers.accountId, accountId), eq(accountMembers.role, 'owner')))
    .for('update');
  return owners.length;
}

export async function setBroadcastSpeed(db: Executor, accountId: number, speed: number | null): Promise<void> {
  await db.update(accounts).set({ broadcastSpeed: speed }).where(eq(accounts.id, accountId));
}

export async function findBroadcastSpeed(db: Executor, accountId: number): Promise<number | null> {
  const [row] = await db.select({ speed: accounts.broadcastSpeed }).from(accounts).where(eq(accounts.id, accountId)).limit(1);
  return row?.speed ?? null;
}

export async function countAccounts(db: Executor): Promise<number> {
  const [row] = await db.select({ n: count() }).from(accounts);
  return row?.n ?? 0;
}
