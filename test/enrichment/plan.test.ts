import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { destinationOf } from "../../src/core/actions";
import { lookupFor, planEnrichment, type EnrichmentRow } from "../../src/core/enrichment";

const arbKey = fc.oneof(
  fc.record({ kind: fc.constantFrom("hubspot_deal", "hubspot_ticket", "zendesk_user", "zendesk_org"), value: fc.constantFrom("1", "22", "333", "x9") }),
  fc.record({ kind: fc.constant("contact"), value: fc.constantFrom("hubspot:5", "hubspot:66", "segment:u_1") }),
  fc.record({ kind: fc.constantFrom("hubspot", "stripe", "domain"), value: fc.constantFrom("1", "cus_1", "acme.example") }),
);
const arbRow: fc.Arbitrary<EnrichmentRow> = fc.record({
  id: fc.constantFrom("hubspot:a", "hubspot:b", "zendesk:c"),
  vendorType: fc.constantFrom("deal.creation", "deal.associationChange", "zen:event-type:ticket.created", "contact.propertyChange"),
  keys: fc.array(arbKey, { maxLength: 4 }),
});
const arbSettled = fc.func(fc.boolean());

describe("planEnrichment", () => {
  it("plans one lookup per unsettled id, on the right destination, and an association change always looks again", () => {
    const rows: EnrichmentRow[] = [
      { id: "hubspot:1", vendorType: "deal.creation", keys: [{ kind: "hubspot_deal", value: "77" }] },
      { id: "hubspot:2", vendorType: "deal.propertyChange", keys: [{ kind: "hubspot_deal", value: "77" }] },
      { id: "hubspot:3", vendorType: "deal.associationChange", keys: [{ kind: "hubspot_deal", value: "78" }] },
      { id: "zendesk:4", vendorType: "zen:event-type:ticket.created", keys: [{ kind: "zendesk_user", value: "9" }, { kind: "zendesk_org", value: "10" }] },
      { id: "segment:5", vendorType: "track", keys: [{ kind: "contact", value: "segment:u_1" }] },
    ];
    const settled = (k: { kind: string; value: string }) => k.value === "78";
    const plan = planEnrichment(rows, settled);
    expect(plan.map((a) => a.id)).toEqual(["enrich:hubspot:deals:77", "enrich:hubspot:deals:78:hubspot:3", "enrich:zendesk:user:9", "enrich:zendesk:organization:10"]);
    expect(plan.map((a) => destinationOf(a.payload.type))).toEqual(["hubspot", "hubspot", "zendesk", "zendesk"]);
    // A row whose other ids already attach it (a backfilled contact listed with its company) plans no discovery.
    const attached = rows.map((r) => ({ ...r, attached: true }));
    expect(planEnrichment(attached, settled).map((a) => a.id)).toEqual(["enrich:hubspot:deals:78:hubspot:3"]);
  });

  it("laws: deterministic, ids unique, nothing for a settled id unless its association changed, only ids a lookup resolves", () => {
    fc.assert(
      fc.property(fc.array(arbRow, { maxLength: 6 }), arbSettled, (rows, settledFn) => {
        const settled = (k: { kind: string; value: string }) => settledFn(`${k.kind}:${k.value}`);
        const plan = planEnrichment(rows, settled);
        expect(planEnrichment(rows, settled)).toEqual(plan);
        expect(new Set(plan.map((a) => a.id)).size).toBe(plan.length);
        for (const a of plan) expect(a.customerId).toBeNull();
        const wanted = rows.flatMap((r) => r.keys.filter((k) => lookupFor(k) !== null && (!settled(k) || (r.vendorType.endsWith(".associationChange") && k.kind.startsWith("hubspot")) || (r.vendorType.endsWith(".associationChange") && k.value.startsWith("hubspot:")))));
        expect(plan.length).toBeLessThanOrEqual(wanted.length);
        if (wanted.length > 0) expect(plan.length).toBeGreaterThan(0);
        // Without association changes, the plan is one lookup per distinct unsettled id.
        const plain = rows.filter((r) => !r.vendorType.endsWith(".associationChange"));
        const distinct = new Set(plain.flatMap((r) => r.keys.filter((k) => lookupFor(k) !== null && !settled(k)).map((k) => `${k.kind}:${k.value}`)));
        expect(planEnrichment(plain, settled)).toHaveLength(distinct.size);
      }),
    );
  });
});
