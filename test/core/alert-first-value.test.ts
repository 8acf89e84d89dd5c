import { describe, expect, it } from "vitest";
import { pendingFirstValueDueAt } from "../../src/core/alert-first-value";
import { defaultLifecycleConfig } from "../../src/core/lifecycle";
import { emptyState } from "../../src/core/state";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 1, 12);
const cfg = { ...defaultLifecycleConfig, firstValueEvents: [] };

function paying(paidAt: number, usedAt?: number) {
  const s = emptyState();
  s.billing.firstPaidAt = paidAt;
  if (usedAt !== undefined) s.usage.events["Report Exported"] = { firstAt: usedAt, lastAt: usedAt };
  return s;
}

describe("the first-value deadline the hourly check looks for", () => {
  it("is the purchase plus the first-value hours while no value was seen, and none before paying or once value is seen", () => {
    expect(pendingFirstValueDueAt(paying(NOW - HOUR), NOW, cfg)).toBe(NOW - HOUR + cfg.firstValueHours * HOUR);
    expect(pendingFirstValueDueAt(emptyState(), NOW, cfg)).toBeNull();
    expect(pendingFirstValueDueAt(paying(NOW - HOUR, NOW - 10 * 60_000), NOW, cfg)).toBeNull();
    // Value seen only after the deadline still ends the wait: the alert (if any) was due then.
    expect(pendingFirstValueDueAt(paying(NOW - 30 * HOUR, NOW - HOUR), NOW, cfg)).toBeNull();
  });
});
