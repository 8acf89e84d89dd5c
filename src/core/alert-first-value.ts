import type { LifecycleConfig } from "./lifecycle";
import { onboardingStatus } from "./onboarding";
import type { CustomerState } from "./state";

/** The hourly first-value check looks back two hours, so one missed or failed run is covered by the next. */
export const FIRST_VALUE_LOOKBACK_MS = 2 * 3_600_000;

/**
 * When the 24-hour rule falls due for a paying customer that has not reached first value yet; null once it
 * has (or before it pays). Stored on the customer row so the hourly job finds exactly the deadlines that
 * just passed. Pure.
 */
export function pendingFirstValueDueAt(state: CustomerState, now: number, cfg: LifecycleConfig): number | null {
  const ob = onboardingStatus(state, now, cfg);
  return ob.firstValueAt === null ? ob.firstValueDueAt : null;
}
