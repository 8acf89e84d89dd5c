import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { CALIBRATION_SAMPLE, emptySample } from "../../src/core/calibrate-sample";
import { calibrateModel, calibrateBody } from "../../src/routes/model-calibrate";
import { modelCalibratePage } from "../../src/jobs/model-calibrate";
import { insertCalibrationRun } from "../../src/store/model-calibration-runs";
import type { ModelCalibrateJob } from "../../src/jobs/messages";
import { storeCohort } from "./calibration-store";
import { api } from "./seed";

const NOW = Date.UTC(2026, 8, 1);

/** Starts a run as the route does, then runs its pages one by one (each with `pageSize` customers). */
async function runPaged(runId: string, pageSize: number, sampleSize = CALIBRATION_SAMPLE): Promise<{ pages: number; run: any; mostStored: number }> {
  const options = { horizonDays: 90, stepDays: 7, until: NOW, sampleSize };
  await insertCalibrationRun(env.DB, { id: runId, status: "running", cursor: "", options, sample: emptySample(), result: null, activeId: "default", actor: "admin", startedAt: NOW, updatedAt: NOW });
  let mostStored = 0;
  let job: ModelCalibrateJob | null = { job: "model-calibrate", runId };
  let pages = 0;
  while (job) {
    const next: ModelCalibrateJob | null = await modelCalibratePage(env, job, NOW, pageSize);
    pages++;
    // A message delivered twice reads on from the stored cursor: it never folds a page twice.
    if (next && pages === 2) {
      await modelCalibratePage(env, job, NOW, pageSize);
      pages++;
    }
    job = next;
    expect(pages).toBeLessThan(100);
    const stored = await env.DB.prepare(`SELECT COUNT(*) AS n FROM calibration_samples WHERE run_id = ?`).bind(runId).first<{ n: number }>();
    mostStored = Math.max(mostStored, stored?.n ?? 0);
  }
  return { pages, mostStored, run: await (await api("GET", `/api/model/calibrate/${runId}`)).json<any>() };
}

const fit = (r: any) => {
  const { fittedFrom: _f, ...evaluation } = r.evaluation;
  return { weights: r.weights, evaluation };
};

describe("a calibration in pages", () => {
  beforeAll(() => storeCohort(7, 120, 0.02));

  it("fits the same whether the customers come 7 to a page or 100 (the job's own page), and the same as at once", async () => {
    const inline = await calibrateModel(env, calibrateBody.parse({ horizonDays: 90 }), "admin", NOW);
    expect(inline.status).toBe("done");
    const sevens = await runPaged("cr_sevens", 7);
    const whole = await runPaged("cr_whole", 100);
    expect(sevens.pages).toBeGreaterThanOrEqual(Math.ceil(120 / 7));
    expect(whole.pages).toBe(2);
    expect(sevens.run.rowsRead).toBe(whole.run.rowsRead);
    for (const r of [sevens.run, whole.run]) {
      expect(r.status).toBe("done");
      expect(r.customersRead).toBe(120);
      expect(r.id).toMatch(/^mv_/);
    }
    expect(fit(sevens.run)).toEqual(fit(whole.run));
    expect(fit(sevens.run)).toEqual(fit(inline));
    // Each run stored its own candidate, inactive; the rows it kept for the fit are gone.
    expect((await (await api("GET", "/api/model")).json<any>()).versionId).toBe("default");
    const left = await env.DB.prepare(`SELECT COUNT(*) AS n FROM calibration_samples WHERE run_id IN ('cr_sevens', 'cr_whole')`).first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("fits on a bounded sample, the same for any page size, and never stores much more than the sample", async () => {
    const sevens = await runPaged("cr_smallsevens", 7, 3000);
    const whole = await runPaged("cr_smallwhole", 100, 3000);
    for (const r of [sevens, whole]) {
      expect(r.run.status).toBe("done");
      expect(r.run.rowsRead).toBeGreaterThan(3000);
      expect(r.run.evaluation.sampledRows).toBe(3000);
      // A page of 7 customers adds at most 7 × 80 weekly rows on top of the sample before the excess is dropped.
      expect(r.mostStored).toBeLessThanOrEqual(3000);
    }
    expect(fit(sevens.run)).toEqual(fit(whole.run));
  });

  it("starts from the API as a run on the queue and answers 404 for an unknown run", async () => {
    const res = await api("POST", "/api/model/calibrate", { horizonDays: 90, paged: true });
    expect(res.status).toBe(202);
    const started = await res.json<any>();
    expect(started).toMatchObject({ status: "running", totalCustomers: 120 });
    expect(started.runId).toMatch(/^cr_/);
    const polled = await (await api("GET", `/api/model/calibrate/${started.runId}`)).json<any>();
    expect(["running", "done"]).toContain(polled.status);
    expect((await api("GET", "/api/model/calibrate/cr_nosuchrun")).status).toBe(404);
    expect((await api("GET", "/api/model/calibrate/not-an-id")).status).toBe(404);
  });
});
