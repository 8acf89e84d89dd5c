import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NormalizedEvent } from "../../src/core/events";
import { defaultHealthModel, scoreHealth } from "../../src/core/health";
import { lifecycleConfigSchema, stageOf } from "../../src/core/lifecycle";
import { applyEvents } from "../../src/core/reduce";
import { emptyState } from "../../src/core/state";
import {
  arbBand,
  arbEventLog,
  arbHealthModel,
  arbIrrelevantEvent,
  arbNow,
  arbPaymentFailed,
  usageEventNames,
} from "./arbitraries";

const lifecycle = lifecycleConfigSchema.parse({
  coreFeatures: ["report_created", "export", "invite_sent"],
  firstValueEvents: ["report_created"],
});
const arbLifecycle = fc.constantFrom(
  lifecycle,
  lifecycleConfigSchema.parse({}),
  lifecycleConfigSchema.parse({ coreFeatures: [...usageEventNames], coreFeatureThreshold: 5 }),
);
const build = (events: NormalizedEvent[]) => applyEvents(emptyState(), events);

describe("health score laws", () => {
  it("stays within 0..100, with every component 0..100 or null and coverage 0..1", () => {
    fc.assert(
      fc.property(arbEventLog(), arbNow, arbHealthModel, arbBand, arbLifecycle, (log, now, model, prev, lc) => {
        const h = scoreHealth(build(log), now, model, prev, { lifecycle: lc });
        expect(Number.isInteger(h.score)).toBe(true);
        expect(h.score).toBeGreaterThanOrEqual(0);
        expect(h.score).toBeLessThanOrEqual(100);
        for (const c of Object.values(h.components)) {
          if (c !== null) expect(c >= 0 && c <= 100).toBe(true);
        }
        expect(h.coverage >= 0 && h.coverage <= 1).toBe(true);
        expect(h.drivers.length).toBeLessThanOrEqual(model.maxDrivers);
        const sizes = h.drivers.map((d) => Math.abs(d.impact));
        expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
        expect(h.drivers.every((d) => Number.isFinite(d.impact) && d.detail.length > 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("gives the same output for the same input, whatever order the events arrived in", () => {
    fc.assert(
      fc.property(
        arbEventLog().chain((log) => fc.tuple(fc.constant(log), fc.shuffledSubarray(log, { minLength: log.length }))),
        arbNow,
        arbHealthModel,
        arbBand,
        ([log, shuffled], now, model, prev) => {
          const a = scoreHealth(build(log), now, model, prev, { lifecycle });
          expect(scoreHealth(build(log), now, model, prev, { lifecycle })).toEqual(a);
          expect(scoreHealth(build(shuffled), now, model, prev, { lifecycle })).toEqual(a);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("never rises when a payment fails", () => {
    let lowered = 0;
    fc.assert(
      fc.property(arbEventLog(), arbPaymentFailed, arbNow, arbHealthModel, arbLifecycle, (log, failure, now, model, lc) => {
        const rest = log.filter((e) => e.id !== failure.id);
        const before = scoreHealth(build(rest), now, model, undefined, { lifecycle: lc });
        const after = scoreHealth(build([...rest, failure]), now, model, undefined, { lifecycle: lc });
        expect(after.score).toBeLessThanOrEqual(before.score);
        if (after.score < before.score) lowered++;
        if (before.components.billing !== null) expect(after.components.billing!).toBeLessThanOrEqual(before.components.billing);
      }),
      { numRuns: 500 },
    );
    // The law is not vacuous: a good share of the generated failures do lower the score.
    expect(lowered).toBeGreaterThan(50);
  });

  it("is unchanged by events no component reads", () => {
    fc.assert(
      fc.property(arbEventLog(), fc.array(arbIrrelevantEvent, { maxLength: 5 }), arbNow, arbBand, (log, noise, now, prev) => {
        const before = scoreHealth(build(log), now, defaultHealthModel, prev, { lifecycle });
        expect(scoreHealth(build([...log, ...noise]), now, defaultHealthModel, prev, { lifecycle })).toEqual(before);
        expect(stageOf(build([...log, ...noise]), now, lifecycle).stage).toBe(stageOf(build(log), now, lifecycle).stage);
      }),
      { numRuns: 200 },
    );
  });

  it("is unchanged by replaying events it has already seen", () => {
    fc.assert(
      fc.property(
        arbEventLog().chain((log) => fc.tuple(fc.constant(log), fc.subarray(log))),
        arbNow,
        ([log, replays], now) => {
          expect(scoreHealth(build([...log, ...replays]), now, defaultHealthModel, undefined, { lifecycle })).toEqual(
            scoreHealth(build(log), now, defaultHealthModel, undefined, { lifecycle }),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
