import { describe, expect, it } from "vitest";
import { stateAsOf } from "../../src/core/as-of";
import { compactState, upgradeState } from "../../src/core/compact";
import { normalizedEventSchema } from "../../src/core/events";
import { applyEvents } from "../../src/core/reduce";
import { emptyState, type CustomerState } from "../../src/core/state";
import { company, contact, deal, invoicePaid, NOW, paymentFailed, subscription, survey, ticket, usage } from "./events";

/** Keys a plain object treats specially: `__proto__` sets the prototype, the others are inherited members. */
const HOSTILE = ["__proto__", "constructor", "toString", "hasOwnProperty"];

/** Every map of the state that holds vendor-chosen keys, as [path, keys]. */
function keysOf(s: CustomerState): Record<string, string[]> {
  return {
    invoices: Object.keys(s.billing.invoices),
    subscriptions: Object.keys(s.billing.subscriptions),
    properties: Object.keys(s.crm.properties),
    contacts: Object.keys(s.crm.contacts),
    deals: Object.keys(s.crm.deals),
    events: Object.keys(s.usage.events),
    responses: Object.keys(s.sentiment.responses),
  };
}

function hostileState(names: string[]): CustomerState {
  const at = NOW - 3_600_000;
  return applyEvents(
    emptyState(),
    names.flatMap((n, i) => [
      invoicePaid(at + i, { invoiceId: n }),
      subscription(at + i, { subscriptionId: n }),
      company(at + i, { [n]: `value of ${n}` }),
      contact(at + i, n, "champion"),
      deal(at + i, { dealId: n, status: "open" }),
      usage(at + i, n),
      survey(at + i, 9, n),
    ]),
  );
}

/** The state's skeleton: keys (with `names` numbered) and the type of every value. */
function shape(v: unknown, names: string[]): unknown {
  if (Array.isArray(v)) return v.map((x) => shape(x, names));
  if (v && typeof v === "object") {
    const key = (k: string) => (names.includes(k) ? `name${names.indexOf(k)}` : k);
    return Object.entries(v)
      .map(([k, x]) => [key(k), shape(x, names)] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1));
  }
  return typeof v;
}

describe("vendor-chosen keys that are Object.prototype members", () => {
  const plain = ["ev_a", "ev_b", "ev_c", "ev_d"];

  it("are kept like any other key in every map", () => {
    const s = hostileState(HOSTILE);
    for (const [map, keys] of Object.entries(keysOf(s))) expect(keys.sort(), map).toEqual([...HOSTILE].sort());
    expect(s.usage.events.__proto__).toEqual({ firstAt: NOW - 3_600_000, lastAt: NOW - 3_600_000 });
    expect(Object.values(s.usage.days)[0]!.f).toEqual([...HOSTILE].sort());
    // Nothing leaked onto Object itself or its prototype.
    expect(Object.getPrototypeOf(s.usage.events)).toBe(Object.prototype);
    expect(typeof ({} as Record<string, unknown>).toString).toBe("function");
    expect(Object.hasOwn(Object, "role")).toBe(false);
  });

  it("leave the state the same shape as ordinary keys, through JSON, compaction and as-of", () => {
    const hostile = hostileState(HOSTILE);
    const ordinary = hostileState(plain);
    expect(shape(hostile, HOSTILE)).toEqual(shape(ordinary, plain));
    const roundTrip = upgradeState(JSON.parse(JSON.stringify(hostile)) as CustomerState);
    expect(keysOf(roundTrip)).toEqual(keysOf(hostile));
    const compacted = structuredClone(roundTrip);
    compactState(compacted);
    expect(keysOf(compacted)).toEqual(keysOf(hostile));
    expect(keysOf(stateAsOf(hostile, NOW))).toEqual(keysOf(hostile));
    expect(shape(stateAsOf(hostile, NOW), HOSTILE)).toEqual(shape(stateAsOf(ordinary, NOW), plain));
  });

  it("count repeat events on the same entry and never read an inherited member", () => {
    const s = applyEvents(emptyState(), [usage(NOW - 5_000, "constructor"), usage(NOW - 1_000, "constructor"), paymentFailed(NOW - 1_000, { invoiceId: "toString" })]);
    expect(s.usage.events.constructor).toEqual({ firstAt: NOW - 5_000, lastAt: NOW - 1_000 });
    expect(Object.keys(s.billing.failures)).toEqual(["toString:1"]);
    const withTicket = applyEvents(s, [ticket(NOW, { ticketId: "__proto__", status: "open" })]);
    expect(Object.keys(withTicket.support.tickets)).toEqual(["zendesk:__proto__"]);
  });

  it("a HubSpot property named __proto__ survives the event schema", () => {
    const ev = JSON.parse(JSON.stringify(company(NOW, { ["__proto__"]: "x", constructor: "y" })));
    const parsed = normalizedEventSchema.parse(ev);
    expect(parsed.type === "company.changed" && Object.keys(parsed.properties).sort()).toEqual(["__proto__", "constructor"]);
  });
});
