import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { AppError, isUniqueViolation } from '../../errors.js';
import { findUserByEmail } from '../users/users.repo.js';
import { normaliseEmail } from '../auth/auth.service.js';
import {
  countOwnersForUpdate,
  deleteMember,
  findBroadcastSpeed,
  findMemberRole,
  findMembership,
  insertAccount,
  listAccountsOfUser,
  listMembers,
  lockAccountType,
  setAccountVerifiedAt,
  setBroadcastSpeed,
  updateAppsecretHash,
  upsertMember,
  type AccountRow,
  type AccountType,
  type MemberRole,
} from './accounts.repo.js';
import { recipientsPerMinute } from '../broadcasts/speed.js';
import { hashAppsecret, newAppid, newAppsecret, newOriginalId } from './credentials.js';
import type { Capability } from './capabilities.js';
import { createCapabilityPolicy, holderOf } from './capabilities.service.js';
import { roleAllows, type Permission } from './permissions.js';

export interface AccountView {
  id: number;
  name: string;
  appid: string;
  originalId: string;
  type: AccountType;
  typeLocked: boolean;
  /** WeChat verification (微信认证), granted by a platform operator. */
  verified: boolean;
  verifiedAt: Date | null;
  broadcastSpeed: number | null;
  role: MemberRole;
  createdAt: Date;
}

/** GET /v1/accounts/:id: the account with the capabilities its type and verification give it. */
export interface AccountDetail extends AccountView {
  capabilities: Capability[];
}

export interface AccountAccess {
  account: AccountRow;
  role: MemberRole;
}

export type AccountsService = ReturnType<typeof createAccountsService>;

export function toAccountView(account: AccountRow, role: MemberRole): AccountView {
  return {
    id: account.id,
    name: account.name,
    appid: account.appid,
    originalId: account.originalId,
    type: account.type,
    typeLocked: account.typeLocked,
    verified: account.verifiedAt !== null,
    verifiedAt: account.verifiedAt,
    broadcastSpeed: account.broadcastSpeed,
    role,
    createdAt: account.createdAt,
  };
}

const MAX_CREDENTIAL_ATTEMPTS = 3;

export function createAccountsService(deps: { db: Database; clock: Clock }) {
  const { db } = deps;
  const capabilities = createCapabilityPolicy({ db, clock: deps.clock });

  return {
    /** The capability policy (capability_policies): checked by the WeChat API on every call, and by some /v1 routes. */
    capabilities,

    async detail(access: AccountAccess): Promise<AccountDetail> {
      return { ...toAccountView(access.account, access.role), capabilities: await capabilities.capabilitiesOf(holderOf(access.account)) };
    },

    /**
     * The admin API's capability check (403 CAPABILITY_NOT_ALLOWED): only for what WeChat's web console cannot do
     * either (CONSOLE_CHECKED_CAPABILITIES); other capabilities pass on /v1 whatever the account's type.
     */
    async requireOnConsole(access: AccountAccess, capability: Capability): Promise<void> {
      await capabilities.requireOnConsole(holderOf(access.account), capability);
    },

    /**
     * Grants or revokes WeChat verification (微信认证), a platform operator's act (`npm run account:verify`); the
     * account's capabilities follow at once (the policy itself is cached, the account row is not).
     */
    async setVerified(appid: string, verified: boolean) {
      const account = await setAccountVerifiedAt(db, appid, verified ? deps.clock.now() : null);
      if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account has the AppID ${appid}`);
      return { account, capabilities: await capabilities.capabilitiesOf(holderOf(account)) };
    },

    /**
     * The one check every account-scoped route goes through: a non-member learns nothing (404, as if the account
     * did not exist), a member without the permission gets 403.
     */
    async authorize(userId: number, accountId: number, permission: Permission): Promise<AccountAccess> {
      const access = await findMembership(db, accountId, userId);
      if (!access) throw new AppError('ACCOUNT_NOT_FOUND', `Account ${accountId} was not found`);
      if (!roleAllows(access.role, permission)) {
        throw new AppError('FORBIDDEN', `The ${access.role} role may not do this on account ${accountId}`, { permission });
      }
      return access;
    },

    /** Creates an account owned by its creator; the AppSecret is returned here once and never again. */
    async create(ownerId: number, input: { name: string }) {
      for (let attempt = 1; ; attempt++) {
        const appsecret = newAppsecret();
        try {
          const account = await db.transaction(async (tx) => {
            const row = await insertAccount(tx, {
              name: input.name.trim(),
              appid: newAppid(),
              originalId: newOriginalId(),
              appsecretHash: hashAppsecret(appsecret),
              createdBy: ownerId,
            });
            await upsertMember(tx, row.id, ownerId, 'owner');
            return row;
          });
          return { ...toAccountView(account, 'owner'), appsecret };
        } catch (error) {
          // 64 random bits make a clash of generated ids improbable, not impossible: draw again.
          if (isUniqueViolation(error) && attempt < MAX_CREDENTIAL_ATTEMPTS) continue;
          throw error;
        }
      }
    },

    async list(userId: number): Promise<AccountView[]> {
      const rows = await listAccountsOfUser(db, userId);
      return rows.map(({ account, role }) => toAccountView(account, role));
    },

    /**
     * The one-time type choice. The quota needs nothing done here: the UPDATE waits for consumers that hold the
     * account row share-locked (quota.repo lockQuotaPolicy), and the new type's window counts the units already
     * used in it from the ledger, whatever type they were sent under.
     */
    async chooseType(access: AccountAccess, type: AccountType): Promise<AccountView> {
      const updated = await lockAccountType(db, access.account.id, type);
      if (!updated) {
        throw new AppError('ACCOUNT_TYPE_LOCKED', `The account has already chosen to be a ${access.account.type} account; the choice is final`, {
          type: access.account.type,
        });
      }
      return toAccountView(updated, access.role);
    },

    async resetSecret(access: AccountAccess): Promise<{ appid: string; appsecret: string }> {
      const appsecret = newAppsecret();
      await updateAppsecretHash(db, access.account.id, hashAppsecret(appsecret), deps.clock.now());
      return { appid: access.account.appid, appsecret };
    },

    async listMembers(accountId: number) {
      return listMembers(db, accountId);
    },

    /** Adds a registered user to the account, or changes their role. The last owner cannot be demoted. */
    async setMember(accountId: number, input: { email: string; role: MemberRole }) {
      const user = await findUserByEmail(db, normaliseEmail(input.email));
      if (!user) throw new AppError('USER_NOT_FOUND', 'No registered user has this email; they must register first');
      return db.transaction(async (tx) => {
        if (input.role !== 'owner') {
          const owners = await countOwnersForUpdate(tx, accountId);
          const current = await findMemberRole(tx, accountId, user.id);
          if (current === 'owner' && owners <= 1) {
            throw new AppError('LAST_OWNER', 'An account must keep at least one owner');
          }
        }
        const { created } = await upsertMember(tx, accountId, user.id, input.role);
        return { created, member: { userId: user.id, email: user.email, role: input.role } };
      });
    },

    async removeMember(accountId: number, userId: number): Promise<void> {
      await db.transaction(async (tx) => {
        const owners = await countOwnersForUpdate(tx, accountId);
        const current = await findMemberRole(tx, accountId, userId);
        if (!current) throw new AppError('USER_NOT_FOUND', `User ${userId} is not a member of this account`);
        if (current === 'owner' && owners <= 1) throw new AppError('LAST_OWNER', 'An account must keep at least one owner');
        await deleteMember(tx, accountId, userId);
      });
    },

    /** The account's mass-send speed level (WeChat's 0..4), or null for as fast as the workers go. */
    async getBroadcastSpeed(accountId: number) {
      const speed = await findBroadcastSpeed(db, accountId);
      return { speed, recipientsPerMinute: recipientsPerMinute(speed) };
    },

    async setBroadcastSpeed(accountId: number, speed: number | null) {
      await setBroadcastSpeed(db, accountId, speed);
      return this.getBroadcastSpeed(accountId);
    },
  };
}
