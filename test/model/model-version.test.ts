import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config";
import { componentNames, defaultHealthModel, healthModelSchema } from "../../src/core/health";
import { buildVersionModel, diffModels } from "../../src/core/model-version";
import { previewCustomer, type PreviewRow } from "../../src/core/model-version-preview";
import { emptyState } from "../../src/core/state";
import { backtest } from "../../src/core/backtest";
import { emptyPreviewTally, emptyScoreTally, scoreTallyResult, tallyHistories, tallyRows } from "../../src/core/model-version-tally";

const weights = fc.record(Object.fromEntries(componentNames.map((c) => [c, fc.integer({ min: 0, max: 100 })])) as Record<(typeof componentNames)[number], fc.Arbitrary<number>>);
const bandsArb = fc.integer({ min: 1, max: 90 }).chain((red) => fc.record({ red: fc.constant(red), green: fc.integer({ min: red + 1, max: 100 }), hysteresis: fc.integer({ min: 0, max: 25 }) }));
const band = fc.constantFrom("green" as const, "yellow" as const, "red" as const);

describe("diffModels", () => {
  it("finds nothing between a model and itself, whatever its label", () => {
    fc.assert(
      fc.property(weights, bandsArb, fc.string({ minLength: 1 }), (w, b, label) => {
        const m = healthModelSchema.parse({ weights: w, bands: b });
        expect(diffModels(m, { ...m, version: label })).toEqual([]);
      }),
    );
  });

  it("lists exactly the weights and thresholds that changed, weights first", () => {
    fc.assert(
      fc.property(weights, weights, bandsArb, (a, b, bands) => {
        const parent = healthModelSchema.parse({ weights: a });
        const child = healthModelSchema.parse({ weights: b, bands });
        const changes = diffModels(parent, child);
        const changedWeights = componentNames.filter((c) => a[c] !== b[c]).map((c) => `weights.${c}`);
        const changedBands = (["green", "hysteresis", "red"] as const).filter((k) => parent.bands[k] !== bands[k]).map((k) => `bands.${k}`);
        expect(changes.map((c) => c.path)).toEqual([...changedWeights.sort(), ...changedBands]);
        for (const c of changes.filter((c) => c.path.startsWith("weights."))) {
          const name = c.path.slice(8) as (typeof componentNames)[number];
          expect(c).toEqual({ path: c.path, from: a[name], to: b[name] });
        }
      }),
    );
  });

  it("names a stored version's model by its id", () => {
    expect(buildVersionModel("mv_abcdef12", {}).version).toBe("mv_abcdef12");
    expect(diffModels(defaultHealthModel, buildVersionModel("mv_abcdef12", {}))).toEqual([]);
  });
});

describe("the preview's band moves", () => {
  const row = fc.record({
    customerId: fc.string({ minLength: 1, maxLength: 8 }),
    name: fc.constant(null),
    active: fc.record({ score: fc.integer({ min: 0, max: 100 }), band }),
    candidate: fc.record({ score: fc.integer({ min: 0, max: 100 }), band }),
  });

  it("counts every row once by band pair, keeps only movers, at most `limit`, biggest change first, however paged", () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 25 }), (rows: PreviewRow[], limit, pageSize) => {
        const whole = emptyPreviewTally();
        tallyRows(whole, rows, rows.length, limit);
        const paged = emptyPreviewTally();
        for (let i = 0; i < rows.length; i += pageSize) tallyRows(paged, rows.slice(i, i + pageSize), rows.slice(i, i + pageSize).length, limit);
        expect(paged).toEqual(whole);
        expect(Object.values(whole.byBand).reduce((x, y) => x + y, 0)).toBe(rows.length);
        expect(whole.moved).toBe(rows.filter((r) => r.active.band !== r.candidate.band).length);
        expect(whole.moves.length).toBe(Math.min(limit, whole.moved));
        for (const m of whole.moves) expect(m.active.band).not.toBe(m.candidate.band);
        const deltas = whole.moves.map((m) => Math.abs(m.candidate.score - m.active.score));
        expect(deltas).toEqual([...deltas].sort((x, y) => y - x));
      }),
    );
  });

  it("scores the same customer the same way under the same model", () => {
    const r = previewCustomer("c", null, emptyState(), undefined, Date.UTC(2026, 0, 1), defaultConfig, { active: defaultHealthModel, candidate: defaultHealthModel });
    expect(r!.active).toEqual(r!.candidate);
  });
});

describe("the preview tally", () => {
  const DAY = 86_400_000;
  const history = fc.record({
    customerId: fc.string({ maxLength: 4 }),
    points: fc.array(fc.record({ at: fc.integer({ min: 0, max: 400 }).map((d) => d * DAY), score: fc.integer({ min: 0, max: 100 }) }), { maxLength: 12 }),
    churnedAt: fc.option(fc.integer({ min: 0, max: 500 }).map((d) => d * DAY), { nil: null }),
  });

  it("reports what the backtest reports, however the customers are split into pages", () => {
    fc.assert(
      fc.property(fc.array(history, { maxLength: 30 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 7, max: 180 }), (histories, pageSize, horizon) => {
        const until = 450 * DAY;
        const t = emptyScoreTally();
        for (let i = 0; i < histories.length; i += pageSize) tallyHistories(t, histories.slice(i, i + pageSize), horizon, until);
        const expected = backtest(histories, horizon, defaultHealthModel.bands, { observedUntil: until });
        const got = scoreTallyResult(t, defaultHealthModel.bands);
        expect({ ...got, auc: null }).toEqual({ ...expected, auc: null });
        if (expected.auc === null) expect(got.auc).toBeNull();
        else expect(got.auc).toBeCloseTo(expected.auc, 10);
      }),
    );
  });
});
