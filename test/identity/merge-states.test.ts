import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NormalizedEvent } from "../../src/core/events";
import { defaultHealthModel, scoreHealth } from "../../src/core/health";
import { lifecycleConfigSchema, stageOf } from "../../src/core/lifecycle";
import { mergeStates } from "../../src/core/merge-state";
import { applyEvents } from "../../src/core/reduce";
import { TICKET_DAYS_KEPT, emptyState, type CustomerState } from "../../src/core/state";
import { DAY, arbEventLog } from "../core/arbitraries";

const lifecycle = lifecycleConfigSchema.parse({ coreFeatures: ["report_created", "export", "invite_sent"], firstValueEvents: ["report_created"] });
const fold = (events: NormalizedEvent[]) => applyEvents(emptyState(), events);
const newestOf = (log: NormalizedEvent[]) => log.reduce((m, e) => Math.max(m, e.occurredAt), 0);
const view = (state: CustomerState, now: number) => ({
  health: scoreHealth(state, now, defaultHealthModel, undefined, { lifecycle }),
  stage: stageOf(state, now, lifecycle),
});
/** As in test/core/compaction.test.ts: a ticket event older than the ticket retention brings its ticket back on its own. */
const withinTicketRetention = (log: NormalizedEvent[]) => {
  const newest = newestOf(log);
  return log.filter((e) => e.type !== "ticket.changed" || e.occurredAt > newest - (TICKET_DAYS_KEPT - 10) * DAY);
};

/** A log, and a split of it into two customers' logs (an event may reach both: a redelivery before the merge). */
const arbSplit = arbEventLog(60)
  .map(withinTicketRetention)
  .chain((log) =>
    fc.tuple(fc.constant(log), fc.array(fc.constantFrom<"a" | "b" | "both">("a", "b", "both"), { minLength: log.length, maxLength: log.length })),
  )
  .map(([log, sides]) => ({
    log,
    a: log.filter((_, i) => sides[i] !== "b"),
    b: log.filter((_, i) => sides[i] !== "a"),
  }));

describe("mergeStates: two customers' states joined into one", () => {
  it("scores and stages like one customer that received every fact of both", () => {
    fc.assert(
      fc.property(arbSplit, fc.integer({ min: 0, max: 60 }), ({ log, a, b }, after) => {
        const now = newestOf(log) + after * DAY;
        const merged = mergeStates(fold(a), fold(b));
        expect(view(merged, now)).toEqual(view(fold(log), now));
        // Billing and usage join to the very same facts.
        expect(merged.billing).toEqual(fold(log).billing);
        expect(merged.usage).toEqual(fold(log).usage);
      }),
      { numRuns: 500 },
    );
  });

  it("is commutative in what the model reads, idempotent, and has the empty state as identity", () => {
    fc.assert(
      fc.property(arbSplit, fc.integer({ min: 0, max: 60 }), ({ log, a, b }, after) => {
        const now = newestOf(log) + after * DAY;
        const x = fold(a);
        const y = fold(b);
        expect(view(mergeStates(x, y), now)).toEqual(view(mergeStates(y, x), now));
        expect(mergeStates(x, x)).toEqual(x);
        expect(mergeStates(x, emptyState())).toEqual(x);
        expect(mergeStates(emptyState(), x)).toEqual(x);
      }),
      { numRuns: 300 },
    );
  });

  it("leaves both inputs unchanged", () => {
    fc.assert(
      fc.property(arbSplit, ({ a, b }) => {
        const x = fold(a);
        const y = fold(b);
        const [x0, y0] = [structuredClone(x), structuredClone(y)];
        mergeStates(x, y);
        expect(x).toEqual(x0);
        expect(y).toEqual(y0);
      }),
      { numRuns: 100 },
    );
  });
});
