import { describe, expect, it } from "vitest";
import { generateQuarter } from "../../scripts/demo/generate";
import { DEMO } from "../../scripts/demo/settings";
import { signRequest } from "../../scripts/demo/sign";
import { sources } from "../../webhooks/registry";

const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = 86_400_000;

describe("the demo's generated quarter", () => {
  const quarter = generateQuarter({ seed: 7, customers: 20, now: NOW });

  it("is deterministic: the same seed and time give the same bytes, another seed other events", () => {
    expect(JSON.stringify(generateQuarter({ seed: 7, customers: 20, now: NOW }))).toBe(JSON.stringify(quarter));
    expect(generateQuarter({ seed: 8, customers: 20, now: NOW }).deliveries.map((d) => d.body)).not.toEqual(quarter.deliveries.map((d) => d.body));
  });

  it("spreads event times over the past 90 days, in waves, and holds back a few recent Stripe events", () => {
    expect(quarter.accounts).toHaveLength(20);
    expect(quarter.deliveries.every((d) => d.at >= NOW - 90 * DAY && d.at <= NOW)).toBe(true);
    expect(new Set(quarter.deliveries.map((d) => d.wave))).toEqual(new Set([1, 2, 3, 4]));
    expect(new Set(quarter.deliveries.map((d) => d.source))).toEqual(new Set(["hubspot", "stripe", "segment", "zendesk", "intercom", "delighted", "typeform"]));
    expect(quarter.missed.length).toBeGreaterThan(0);
    const delivered = new Set(quarter.deliveries.filter((d) => d.source === "stripe").map((d) => JSON.parse(d.body).id));
    for (const id of quarter.missed) expect(delivered.has(id)).toBe(false);
    expect(quarter.stripeEvents).toHaveLength(delivered.size + quarter.missed.length);
  });

  it("every request is signed with its vendor's algorithm, verifies, parses and normalizes with Tenure's own source", async () => {
    const facts: Record<string, number> = {};
    for (const d of quarter.deliveries) {
      const source = sources[d.source]!;
      const url = `${DEMO.publicUrl}/webhooks/${d.source}`;
      const now = Date.now();
      const headers = new Headers(await signRequest(d.source, d.body, { url, now, secrets: DEMO.secrets }));
      await source.verify({ rawBody: d.body, headers, method: "POST", url, now, secret: DEMO.secrets[source.secret as keyof typeof DEMO.secrets] });
      const parsed = source.schema.safeParse(JSON.parse(d.body));
      expect(parsed.error?.issues ?? [], `${d.source} ${d.kinds[0]}`).toEqual([]);
      for (const delivery of source.normalize(parsed.data, d.body, { now })) {
        if (delivery.events.length === 0 && d.source !== "hubspot") throw new Error(`${d.source} ${d.kinds[0]} was ignored: ${delivery.ignoredReason}`);
        for (const e of delivery.events) facts[e.type] = (facts[e.type] ?? 0) + 1;
      }
    }
    for (const type of ["invoice.paid", "payment.failed", "subscription.changed", "checkout.completed", "customer.profile", "company.changed", "deal.changed", "contact.changed", "ticket.changed", "usage.tracked", "user.identified", "account.grouped", "survey.responded"]) {
      expect(facts[type] ?? 0, type).toBeGreaterThan(0);
    }
  });
});
