import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, mayCreate, mayMatchByDomain, type Key } from "../../src/core/identity";
import { tenureConfig } from "../../src/config";
import type { NormalizedEvent } from "../../src/core/events";
import { eventKeys } from "../../src/store/identity";

const KINDS = ["stripe", "hubspot", "account", "segment_group", "domain", "contact"] as const;
const arbKey: fc.Arbitrary<Key> = fc.record({ kind: fc.constantFrom(...KINDS), value: fc.constantFrom("1", "2", "3") });
const arbCustomer = fc.constantFrom("cu_a", "cu_b", "cu_c");
const explicit = (k: Key) => ["stripe", "hubspot", "account", "segment_group"].includes(k.kind);
const space = (kind: string) => (kind === "segment_group" ? "account" : kind);

/** A world: which customer each key belongs to (a key's owner holds it), and when each customer was created. */
const arbWorld = fc
  .record({
    links: fc.array(fc.tuple(arbKey, arbCustomer), { maxLength: 8 }),
    ages: fc.record({ cu_a: fc.nat(100), cu_b: fc.nat(100), cu_c: fc.nat(100) }),
    event: fc.uniqueArray(arbKey, { selector: (k) => `${k.kind}:${k.value}`, maxLength: 5 }),
  })
  .map(({ links, ages, event }) => {
    const owners = new Map<string, string>();
    const holdings = new Map<string, Record<string, string[]>>([["cu_a", {}], ["cu_b", {}], ["cu_c", {}]]);
    for (const [k, c] of links) {
      if (owners.has(`${k.kind}:${k.value}`)) continue;
      owners.set(`${k.kind}:${k.value}`, c);
      if (explicit(k)) (holdings.get(c)![k.kind] ??= []).push(k.value);
    }
    return { owners, holdings, age: new Map(Object.entries(ages)), event };
  });

describe("identity decisions", () => {
  it("merges only customers the event's explicit ids reach, the oldest surviving, and never two with different ids of one kind", () => {
    fc.assert(
      fc.property(arbWorld, ({ owners, holdings, age, event }) => {
        const d = decide(event, owners, holdings, age);
        const reached = new Set(event.filter(explicit).map((k) => owners.get(`${k.kind}:${k.value}`)).filter(Boolean));
        if (d.kind !== "match") return;
        const all = [d.customerId, ...d.merge];
        for (const c of d.merge) expect(reached.has(c)).toBe(true);
        if (d.merge.length > 0) {
          for (const c of d.merge) expect(age.get(d.customerId)! <= age.get(c)!).toBe(true);
          // No two merged customers hold different ids of one kind, and none contradicts an id of the event.
          for (const x of all) {
            for (const y of all) {
              if (x === y) continue;
              for (const kind of Object.keys(holdings.get(x)!).map(space)) {
                const ofSpace = (c: string) => Object.entries(holdings.get(c)!).filter(([k]) => space(k) === kind).flatMap(([, v]) => v);
                const other = ofSpace(y);
                if (other.length > 0) expect(ofSpace(x).some((v) => other.includes(v))).toBe(true);
              }
            }
          }
        }
        // Reached through an explicit id, the customer holds no id of the event's kinds that the event contradicts.
        for (const k of reached.size > 0 ? event.filter(explicit) : []) {
          const held = Object.entries(holdings.get(d.customerId)!).filter(([kind]) => space(kind) === space(k.kind)).flatMap(([, v]) => v);
          if (!owners.has(`${k.kind}:${k.value}`) && held.length > 0) expect(held).toContain(k.value);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("matches by a person or a domain only when no explicit id is linked, and never refuses then", () => {
    const owners = new Map([["domain:acme.example", "cu_a"]]);
    expect(decide([{ kind: "stripe", value: "cus_new" }, { kind: "domain", value: "acme.example" }], owners, new Map([["cu_a", { stripe: ["cus_old"] }]]), new Map())).toEqual({
      kind: "match",
      customerId: "cu_a",
      merge: [],
    });
    expect(decide([{ kind: "domain", value: "other.example" }], owners, new Map(), new Map())).toEqual({ kind: "none" });
  });

  it("does not carry a new account id through a person to a customer that holds another account id", () => {
    // A Segment user of account "acme" calls `group` for a second account: that account is a customer of its own.
    const owners = new Map([["contact:segment:u1", "cu_acme"], ["domain:acme.example", "cu_acme"]]);
    const holdings = new Map([["cu_acme", { segment_group: ["acme"], account: ["acme"] }]]);
    const keys = (group: string) => [{ kind: "segment_group", value: group }, { kind: "account", value: group }, { kind: "contact", value: "segment:u1" }];
    expect(decide(keys("beta"), owners, holdings, new Map())).toEqual({ kind: "none" });
    // The same account id, or a customer with none yet (made from HubSpot, say), still matches through the person.
    expect(decide(keys("acme"), new Map([...owners, ["segment_group:acme", "cu_acme"]]), holdings, new Map())).toMatchObject({ kind: "match", customerId: "cu_acme" });
    expect(decide(keys("beta"), owners, new Map([["cu_acme", { hubspot: ["501"] }]]), new Map())).toMatchObject({ kind: "match", customerId: "cu_acme" });
  });

  it("reads which sources may create customers and match by domain; the defaults are today's behaviour", () => {
    const defaults = tenureConfig(undefined).identity;
    expect(mayCreate(defaults, "typeform")).toBe(true);
    expect(mayMatchByDomain(defaults, "typeform")).toBe(true);
    const custom = tenureConfig(JSON.stringify({ identity: { createFrom: ["stripe", "hubspot"], matchByDomainFrom: ["stripe", "zendesk"], accountProperty: "account_id" } })).identity;
    expect(mayCreate(custom, "stripe")).toBe(true);
    expect(mayCreate(custom, "segment")).toBe(false);
    expect(mayMatchByDomain(custom, "zendesk")).toBe(true);
    expect(mayMatchByDomain(custom, "typeform")).toBe(false);
    expect(mayMatchByDomain({ ...custom, matchByDomain: false }, "stripe")).toBe(false);
    expect(custom.accountProperty).toBe("account_id");
    expect(() => tenureConfig(JSON.stringify({ identity: { createFrom: ["myspace"] } }))).toThrow(/identity.createFrom/);
  });

  it("maps the configured CRM property, Segment groupIds and Stripe account_id into one account key space", () => {
    const rules = tenureConfig(JSON.stringify({ identity: { accountProperty: "tenure_account_id", matchByDomainFrom: ["hubspot"] } })).identity;
    const freeMail = new Set(rules.freeMailDomains);
    const company: NormalizedEvent = {
      id: "hubspot:1",
      source: "hubspot",
      type: "company.changed",
      occurredAt: 1,
      subject: { hubspotCompanyId: "co_1", domain: "acme.example" },
      companyId: "co_1",
      created: false,
      properties: { tenure_account_id: " acct_1 " },
    } as NormalizedEvent;
    expect(eventKeys(company, rules, freeMail)).toEqual([
      { kind: "hubspot", value: "co_1" },
      { kind: "account", value: "acct_1" },
      { kind: "domain", value: "acme.example" },
    ]);
    const group = { id: "segment:1", source: "segment", type: "account.grouped", occurredAt: 1, subject: { segmentGroupId: "acct_1", domain: "acme.example" }, groupId: "acct_1" } as NormalizedEvent;
    // Segment may not match by domain here: only HubSpot may.
    expect(eventKeys(group, rules, freeMail)).toEqual([
      { kind: "segment_group", value: "acct_1" },
      { kind: "account", value: "acct_1" },
    ]);
    const stripe = { id: "stripe:1", source: "stripe", type: "customer.profile", occurredAt: 1, subject: { stripeCustomerId: "cus_1", accountId: "acct_1" }, metadata: {} } as NormalizedEvent;
    expect(eventKeys(stripe, rules, freeMail)).toContainEqual({ kind: "account", value: "acct_1" });
  });
});
