/**
 * WeChat's mass-send speed levels, pure arithmetic shared by the API (which reports a level's rate) and the fan-out
 * (which spaces batches out to honour it).
 */

/** Recipients per minute for speed 0 (fastest) to 4. */
export const SPEED_RECIPIENTS_PER_MINUTE = [800_000, 600_000, 450_000, 300_000, 100_000] as const;

export function recipientsPerMinute(speed: number | null): number | null {
  return speed === null ? null : (SPEED_RECIPIENTS_PER_MINUTE[speed] ?? SPEED_RECIPIENTS_PER_MINUTE[0]);
}

/** When batch `seq` may start, relative to the first, so the account's fan-out stays at its speed level. */
export function batchDelayMs(seq: number, batchSize: number, speed: number | null): number {
  const perMinute = recipientsPerMinute(speed);
  if (perMinute === null) return 0;
  return Math.floor((seq * batchSize * 60_000) / perMinute);
}
