import type { Clock } from '../../clock.js';
import type { Executor } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { quotaWindow, type QuotaPeriod } from './quota-window.js';
import { findQuotaPolicy, findUnitsUsed, insertLedgerEntry, lockQuotaPolicy, refundLedgerEntry, takeUnit, type AccountQuotaPolicy } from './quota.repo.js';

export interface QuotaStatus {
  type: 'subscription' | 'service';
  period: QuotaPeriod;
  limit: number;
  used: number;
  remaining: number;
  periodStart: Date;
  resetsAt: Date;
}

export interface ConsumedUnit {
  ledgerId: number;
  status: QuotaStatus;
}

export type QuotaService = ReturnType<typeof createQuotaService>;

export function createQuotaService(deps: { db: Executor; clock: Clock; timeZone: string }) {
  function requirePolicy(policy: AccountQuotaPolicy | undefined, accountId: number): AccountQuotaPolicy {
    if (!policy) throw new AppError('ACCOUNT_NOT_FOUND', `Account ${accountId} does not exist`);
    return policy;
  }

  function toStatus(policy: { type: QuotaStatus['type']; period: QuotaPeriod; maxUnits: number }, window: { start: Date; end: Date }, used: number): QuotaStatus {
    return {
      type: policy.type,
      period: policy.period,
      limit: policy.maxUnits,
      used,
      remaining: Math.max(0, policy.maxUnits - used),
      periodStart: window.start,
      resetsAt: window.end,
    };
  }

  return {
    async status(accountId: number, db: Executor = deps.db): Promise<QuotaStatus> {
      const policy = requirePolicy(await findQuotaPolicy(db, accountId), accountId);
      const window = quotaWindow(deps.clock.now(), policy.period, deps.timeZone);
      return toStatus(policy, window, await findUnitsUsed(db, accountId, policy.period, window));
    },

    /**
     * Consumes one posting unit for the window that holds `at` or throws QUOTA_EXHAUSTED (with resetsAt). Call it
     * inside the transaction that records what the unit pays for, so a rollback returns the unit too, and pass the
     * instant that transaction records: a second reading of the clock could fall in the next day.
     */
    async consume(tx: Executor, accountId: number, purpose: string, at: Date): Promise<ConsumedUnit> {
      const policy = requirePolicy(await lockQuotaPolicy(tx, accountId), accountId);
      const window = quotaWindow(at, policy.period, deps.timeZone);
      const used = await takeUnit(tx, accountId, policy.period, window, policy.maxUnits);
      if (used === undefined) {
        throw new AppError('QUOTA_EXHAUSTED', `The ${policy.type} account's ${policy.maxUnits} broadcast(s) per ${policy.period} are used up`, {
          limit: policy.maxUnits,
          period: policy.period,
          resetsAt: window.end.toISOString(),
        });
      }
      const ledgerId = await insertLedgerEntry(tx, { accountId, periodStart: window.start, consumedAt: at, purpose });
      return { ledgerId, status: toStatus(policy, window, used) };
    },

    /** Returns a unit (e.g. a broadcast that failed before delivering anything). Idempotent. */
    async refund(accountId: number, ledgerId: number, db: Executor = deps.db): Promise<boolean> {
      return refundLedgerEntry(db, accountId, ledgerId, deps.clock.now());
    },
  };
}
