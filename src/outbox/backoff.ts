/**
 * Retry schedule for outbound actions: each step at most 12 hours (the queue's longest delay), the whole
 * schedule spanning more than 24 hours (~40 h), then the action is dead-lettered.
 */
export const BACKOFF_MS = [30e3, 120e3, 600e3, 1_800e3, 3_600e3, 7_200e3, 14_400e3, 28_800e3, 43_200e3, 43_200e3] as const;
export const MAX_STEP_MS = 43_200e3;

/** Delay before attempt `attempts + 1`, honouring the vendor's Retry-After; null when the schedule is spent. */
export function nextDelay(attempts: number, retryAfterMs?: number): number | null {
  const step = BACKOFF_MS[attempts - 1];
  if (step === undefined) return null;
  return Math.min(MAX_STEP_MS, Math.max(step, retryAfterMs ?? 0));
}

export function totalScheduleMs(): number {
  return BACKOFF_MS.reduce((a, b) => a + b, 0);
}
