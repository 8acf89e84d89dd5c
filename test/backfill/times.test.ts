import { describe, expect, it } from "vitest";
import { withPlausibleTimes } from "../../src/backfill/ingest";
import { stripeRecordDelivery } from "../../src/backfill/stripe";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 1);
const customer = { id: "cus_t", object: "customer", created: NOW / 1000 - 86_400, email: "a@acme.example", name: "Acme", metadata: {} };

describe("backfilled records with implausible times", () => {
  it("keeps a plausible record as it is", () => {
    const d = stripeRecordDelivery("customers", customer, NOW);
    expect(withPlausibleTimes(d, NOW, 24 * HOUR)).toBe(d);
  });

  it("keeps a record dated past 2100 as ignored, naming the time, under the same key", () => {
    const d = stripeRecordDelivery("customers", { ...customer, created: 8_700_000_000_000 }, NOW);
    const kept = withPlausibleTimes(d, NOW, 24 * HOUR);
    expect(kept.events).toEqual([]);
    expect(kept.dedupeKey).toBe(d.dedupeKey);
    expect(kept.ignoredReason).toBe("implausible time at occurredAt: 8700000000000000 is outside 2000-01-01..2100-01-01");
  });
});
