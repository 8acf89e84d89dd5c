import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizedEventSchema } from "../../src/core/events";
import { applyEvent, applyEvents } from "../../src/core/reduce";
import { USAGE_DAYS_KEPT, emptyState } from "../../src/core/state";
import { arbEvent, arbEventLog } from "./arbitraries";
import { DAY, NOW, contact, deal, identify, subscription, usage } from "./events";

describe("applyEvent laws", () => {
  it("every generated event is a valid NormalizedEvent", () => {
    fc.assert(
      fc.property(arbEvent, (e) => {
        expect(normalizedEventSchema.safeParse(e).success).toBe(true);
      }),
    );
  });

  it("applying an event twice equals applying it once", () => {
    fc.assert(
      fc.property(arbEventLog(), arbEvent, (log, e) => {
        const s = applyEvents(emptyState(), log);
        expect(applyEvent(applyEvent(s, e), e)).toEqual(applyEvent(s, e));
      }),
      { numRuns: 300 },
    );
  });

  it("replaying any part of the log later changes nothing", () => {
    fc.assert(
      fc.property(
        arbEventLog().chain((log) => fc.tuple(fc.constant(log), fc.subarray(log))),
        ([log, replays]) => {
          expect(applyEvents(emptyState(), [...log, ...replays])).toEqual(applyEvents(emptyState(), log));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the order events arrive in does not change the final state", () => {
    fc.assert(
      fc.property(
        arbEventLog().chain((log) => fc.tuple(fc.constant(log), fc.shuffledSubarray(log, { minLength: log.length }))),
        ([log, shuffled]) => {
          expect(applyEvents(emptyState(), shuffled)).toEqual(applyEvents(emptyState(), log));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("does not mutate the state it is given", () => {
    fc.assert(
      fc.property(arbEventLog(), arbEvent, (log, e) => {
        const s = applyEvents(emptyState(), log);
        const before = structuredClone(s);
        applyEvent(s, e);
        expect(s).toEqual(before);
      }),
    );
  });

  it("an event type outside the union is rejected before it can reach the reducer", () => {
    const unknown = { id: "stripe:x", source: "stripe", occurredAt: 1, subject: {}, type: "invoice.voided" };
    expect(normalizedEventSchema.safeParse(unknown).success).toBe(false);
  });
});

describe("order-insensitivity, by example", () => {
  const both = (events: Parameters<typeof applyEvents>[1]) => [
    applyEvents(emptyState(), events),
    applyEvents(emptyState(), [...events].reverse()),
  ];

  it("keeps each HubSpot deal property from its own latest change", () => {
    const [a, b] = both([deal(NOW - 2 * DAY, { stage: "contractsent" }), deal(NOW - DAY, { amount: 5000 })]);
    expect(a).toEqual(b);
    expect(a!.crm.deals.d_1).toMatchObject({ stage: "contractsent", amount: 5000, at: NOW - DAY });
  });

  it("keeps the latest role of a contact and of a user, even when an event without a role is newer", () => {
    const [a, b] = both([contact(NOW - 2 * DAY, "c1", "admin"), contact(NOW - DAY, "c1"), identify(NOW - 3 * DAY, "u1", "owner"), identify(NOW - 4 * DAY, "u1", "member")]);
    expect(a).toEqual(b);
    expect(a!.crm.contacts.c1?.role).toBe("admin");
    expect(Object.values(a!.usage.roles).map((r) => r.role)).toEqual(["owner"]);
  });

  it("keeps the latest plan change when a later snapshot carries none", () => {
    const down = subscription(NOW - 2 * DAY, { mrr: 2900, change: { direction: "downgrade", previousMrr: 4900 } });
    const [a, b] = both([down, subscription(NOW - DAY, { mrr: 2900 })]);
    expect(a).toEqual(b);
    expect(a!.billing.subscriptions.sub_1?.lastChange).toMatchObject({ direction: "downgrade", at: NOW - 2 * DAY });
  });

  it("prunes usage days to the same window whatever order old and new days arrive in", () => {
    const old = Array.from({ length: USAGE_DAYS_KEPT + 1 }, (_, i) => usage(NOW - (300 - i) * DAY, "login"));
    const recent = usage(NOW, "login");
    const a = applyEvents(emptyState(), [...old, recent]);
    const b = applyEvents(emptyState(), [recent, ...old]);
    expect(Object.keys(b.usage.days).sort()).toEqual(Object.keys(a.usage.days).sort());
    expect(Object.keys(a.usage.days)).toEqual([new Date(NOW).toISOString().slice(0, 10)]);
  });
});
