import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CRM_MERGE_MARK, crmMergeOf, decideCrmMerge } from "../../src/core/crm-merge";

const id = fc.integer({ min: 1, max: 6 }).map(String);
const customer = fc.option(fc.constantFrom("cu_a", "cu_b", "cu_c"), { nil: undefined });

describe("crm merge (pure)", () => {
  it("reads the survivor and the merged-away company from a merge event's keys only", () => {
    expect(crmMergeOf([{ kind: "hubspot", value: "1" }, { kind: "hubspot", value: "2" }, { kind: CRM_MERGE_MARK, value: "2" }])).toEqual({
      survivor: { kind: "hubspot", value: "1" },
      loser: { kind: "hubspot", value: "2" },
    });
    expect(crmMergeOf([{ kind: "hubspot", value: "1" }, { kind: "stripe", value: "cus_1" }])).toBeNull();
    expect(crmMergeOf([{ kind: CRM_MERGE_MARK, value: "2" }, { kind: "hubspot", value: "2" }])).toBeNull();
  });

  it("laws: the surviving company's customer survives; nothing merges into itself; a known side is always kept", () => {
    fc.assert(
      fc.property(id, id, customer, customer, (s, l, ownerS, ownerL) => {
        fc.pre(s !== l);
        const owners = new Map<string, string>();
        if (ownerS) owners.set(`hubspot:${s}`, ownerS);
        if (ownerL) owners.set(`hubspot:${l}`, ownerL);
        const m = { survivor: { kind: "hubspot", value: s }, loser: { kind: "hubspot", value: l } };
        const d = decideCrmMerge(m, owners);
        expect(decideCrmMerge(m, owners)).toEqual(d);
        if (d.kind === "merge") {
          expect(d.survivorId).toBe(ownerS);
          expect(d.loserId).toBe(ownerL);
          expect(d.survivorId).not.toBe(d.loserId);
        } else if (d.kind === "attach") {
          expect(d.customerId).toBe(ownerS ?? ownerL);
          expect(ownerS === undefined || ownerL === undefined || ownerS === ownerL).toBe(true);
        } else {
          expect(ownerS ?? ownerL).toBeUndefined();
        }
      }),
    );
  });
});
