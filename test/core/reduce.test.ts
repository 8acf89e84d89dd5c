import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizedEventSchema } from "../../src/core/events";
import { applyEvent, applyEvents } from "../../src/core/reduce";
import { emptyState } from "../../src/core/state";
import { arbEvent, arbEventLog } from "./arbitraries";

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
