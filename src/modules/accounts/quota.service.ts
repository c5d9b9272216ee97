import type { Clock } from '../../clock.js';
import type { Executor } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { quotaWindow, type QuotaPeriod } from './quota-window.js';
import { findQuotaPolicy, findUnitsUsed, insertLedgerEntry, refundLedgerEntry, takeUnit } from './quota.repo.js';

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
  async function currentPolicyWindow(db: Executor, accountId: number) {
    const policy = await findQuotaPolicy(db, accountId);
    if (!policy) throw new AppError('ACCOUNT_NOT_FOUND', `Account ${accountId} does not exist`);
    const now = deps.clock.now();
    return { policy, now, window: quotaWindow(now, policy.period, deps.timeZone) };
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
      const { policy, window } = await currentPolicyWindow(db, accountId);
      return toStatus(policy, window, await findUnitsUsed(db, accountId, window.start));
    },

    /**
     * Consumes one posting unit for the current period or throws QUOTA_EXHAUSTED (with resetsAt). Call it inside
     * the transaction that records what the unit pays for, so a rollback returns the unit too.
     */
    async consume(tx: Executor, accountId: number, purpose: string): Promise<ConsumedUnit> {
      const { policy, now, window } = await currentPolicyWindow(tx, accountId);
      const used = await takeUnit(tx, accountId, window.start, policy.maxUnits);
      if (used === undefined) {
        throw new AppError('QUOTA_EXHAUSTED', `The ${policy.type} account's ${policy.maxUnits} broadcast(s) per ${policy.period} are used up`, {
          limit: policy.maxUnits,
          period: policy.period,
          resetsAt: window.end.toISOString(),
        });
      }
      const ledgerId = await insertLedgerEntry(tx, { accountId, periodStart: window.start, consumedAt: now, purpose });
      return { ledgerId, status: toStatus(policy, window, used) };
    },

    /** Returns a unit (e.g. a broadcast that failed before delivering anything). Idempotent. */
    async refund(accountId: number, ledgerId: number, db: Executor = deps.db): Promise<boolean> {
      return refundLedgerEntry(db, accountId, ledgerId, deps.clock.now());
    },
  };
}
