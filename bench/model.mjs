// Model: the calibration (src/core/calibrate*.ts) on seeded generated cohorts with confounders, bundled for Node.
// Out of sample, on the same later snapshots: the default model, the calibrated one, a naive rule, and the ceiling.
import { round, table } from "./lib.mjs";
import { importBundled } from "./node-bundle.mjs";

const core = await importBundled(
  "model",
  `export { calibrate } from "./src/core/calibrate";
   export { buildRows, timeSplit } from "./src/core/calibrate-split";
   export { auc } from "./src/core/backtest";
   export { defaultHealthModel } from "./src/core/health";
   export { cohortWithTruth, T0, DAY } from "./test/core/calibrate-cohort";`,
);

const HORIZON_DAYS = 90;
const WEEKS = 65;

/**
 * One seed: 400 accounts over 65 weeks. The naive rule is "recent tickets minus recent usage" in component
 * terms (usage + support); the ceiling ranks by what the generator knows at each snapshot (the latent health,
 * and whether the account's pre-churn fade has begun), the best any model could do.
 */
function benchSeed(seed, accounts) {
  const { histories, truth } = core.cohortWithTruth(seed, accounts, WEEKS, { confounders: true });
  const until = core.T0 + WEEKS * 7 * core.DAY;
  const t0 = performance.now();
  const result = core.calibrate(histories, { horizonDays: HORIZON_DAYS, stepDays: 7, until, bands: core.defaultHealthModel.bands });
  const seconds = (performance.now() - t0) / 1000;
  if (!result.ok) return { seed, refused: result.reason };
  const { rows } = core.buildRows(histories, { horizonDays: HORIZON_DAYS, stepDays: 7, until });
  const { evaluation } = core.timeSplit(rows, HORIZON_DAYS);
  const naive = core.auc(evaluation.map((r) => ({ score: (r.components[2] ?? 50) + (r.components[1] ?? 50), churned: r.churned })));
  const ceiling = core.auc(
    evaluation.map((r) => {
      const fade = truth.fadeFrom.get(r.customerId);
      return { score: fade !== null && fade <= r.at ? -1e9 : truth.health.get(r.customerId), churned: r.churned };
    }),
  );
  // The latent health alone, without the fade: below what the observed signals reach, so not a ceiling; shown so
  // the two ends of what "the best any model could do" can mean are side by side.
  const healthOnly = core.auc(evaluation.map((r) => ({ score: truth.health.get(r.customerId), churned: r.churned })));
  const e = result.evaluation;
  return { seed, defaultAuc: e.baselineAuc, calibratedAuc: e.auc, interval: e.aucInterval, fitAuc: e.fitAuc, lambda: e.lambda, naiveAuc: naive, ceilingAuc: ceiling, healthOnlyAuc: healthOnly, samples: e.samples, churned: e.churned, fitSeconds: seconds, weights: result.weights };
}

export function benchModel({ seeds = [1, 2, 3], accounts = 400 } = {}) {
  return { horizonDays: HORIZON_DAYS, weeks: WEEKS, accounts, seeds: seeds.map((s) => benchSeed(s, accounts)) };
}

export function printModel(r) {
  console.log(`\nModel: calibration on generated cohorts (${r.accounts} accounts, ${r.weeks} weeks, ${r.horizonDays}-day churn; AUC on the later snapshots)`);
  console.log(table(
    ["seed", "default", "calibrated (95% CI)", "in-sample", "naive", "ceiling", "calibrated / ceiling", "latent health alone", "eval samples (churn)", "fit s"],
    r.seeds.map((s) =>
      s.refused
        ? [s.seed, "refused", s.refused, "", "", "", "", "", "", ""]
        : [
            s.seed,
            round(s.defaultAuc, 3),
            `${round(s.calibratedAuc, 3)} (${round(s.interval[0], 3)}–${round(s.interval[1], 3)})`,
            round(s.fitAuc, 3),
            round(s.naiveAuc, 3),
            round(s.ceilingAuc, 3),
            round(s.calibratedAuc / s.ceilingAuc, 3),
            round(s.healthOnlyAuc, 3),
            `${s.samples} (${s.churned})`,
            round(s.fitSeconds, 2),
          ],
    ),
  ));
  console.log("  ceiling: ranked by what the generator knows at each snapshot (latent health, and whether the pre-churn fade has begun, from its first week, before it shows in any signal); latent health alone leaves the fade out.");
  for (const s of r.seeds) if (!s.refused) console.log(`  seed ${s.seed} weights (ridge ${s.lambda}): ${Object.entries(s.weights).map(([k, v]) => `${k} ${v}`).join(", ")}`);
}
