import type { Clock } from '../../clock.js';
import type { Executor } from '../../db/client.js';
import { AppError } from '../../errors.js';
import {
  CAPABILITIES,
  CAPABILITY_NAMES,
  CONSOLE_CHECKED_CAPABILITIES,
  describeHolder,
  holdersPhrase,
  isCapability,
  type Capability,
  type CapabilityHolder,
} from './capabilities.js';
import { listCapabilityPolicies } from './capabilities.repo.js';

/**
 * How long a process keeps capability_policies before reading it again. The table is read on every WeChat API
 * call, so it is cached; a changed row takes effect in every process within this time, without a restart.
 */
export const CAPABILITY_CACHE_TTL_MS = 5_000;

export type CapabilityPolicy = ReturnType<typeof createCapabilityPolicy>;

const keyOf = (capability: string, holder: CapabilityHolder) => `${capability}:${holder.type}:${holder.verified}`;

/** The account's type and verification as the policy needs them. */
export function holderOf(account: { type: CapabilityHolder['type']; verifiedAt: Date | null }): CapabilityHolder {
  return { type: account.type, verified: account.verifiedAt !== null };
}

/**
 * The capability policy: which capabilities an account has, from capability_policies (cached for `cacheTtlMs` by
 * the injected clock, so tests can age it). A pair without a row is not allowed.
 */
export function createCapabilityPolicy(deps: { db: Executor; clock: Clock; cacheTtlMs?: number }) {
  const ttl = deps.cacheTtlMs ?? CAPABILITY_CACHE_TTL_MS;
  let cached: { loadedAt: number; allowed: ReadonlySet<string> } | undefined;
  // One read at a time: the requests that find the cache stale together wait for the same query.
  let loading: Promise<ReadonlySet<string>> | undefined;

  async function load(): Promise<ReadonlySet<string>> {
    const rows = await listCapabilityPolicies(deps.db);
    const allowed = new Set(rows.filter((row) => row.allowed && isCapability(row.capability)).map((row) => keyOf(row.capability, { type: row.accountType, verified: row.verified })));
    cached = { loadedAt: deps.clock.now().getTime(), allowed };
    return allowed;
  }

  async function allowedPairs(): Promise<ReadonlySet<string>> {
    const now = deps.clock.now().getTime();
    // A clock set back (tests) counts as stale too.
    if (cached && now >= cached.loadedAt && now - cached.loadedAt < ttl) return cached.allowed;
    loading ??= load().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  function refusal(capability: Capability, holder: CapabilityHolder, allowed: ReadonlySet<string>): AppError {
    const needs = holdersPhrase((candidate) => allowed.has(keyOf(capability, candidate)));
    return new AppError('CAPABILITY_NOT_ALLOWED', `${capability} (${CAPABILITIES[capability]}) needs ${needs}; this is ${describeHolder(holder)}`, {
      capability,
      needs,
    });
  }

  /** Throws CAPABILITY_NOT_ALLOWED (48001 on /cgi-bin), naming the capability and who has it, unless allowed. */
  async function require(holder: CapabilityHolder, capability: Capability): Promise<void> {
    const allowed = await allowedPairs();
    if (!allowed.has(keyOf(capability, holder))) throw refusal(capability, holder, allowed);
  }

  return {
    /** The capabilities the account has, in CAPABILITIES order. */
    async capabilitiesOf(holder: CapabilityHolder): Promise<Capability[]> {
      const allowed = await allowedPairs();
      return CAPABILITY_NAMES.filter((capability) => allowed.has(keyOf(capability, holder)));
    },

    require,

    /**
     * The admin API's check: only the capabilities that WeChat's web console does not give every account
     * (CONSOLE_CHECKED_CAPABILITIES) are checked there; the rest pass.
     */
    async requireOnConsole(holder: CapabilityHolder, capability: Capability): Promise<void> {
      if (CONSOLE_CHECKED_CAPABILITIES.has(capability)) await require(holder, capability);
    },
  };
}
