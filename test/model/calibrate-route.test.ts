import { beforeAll, describe, expect, it } from "vitest";
import { storeCohort } from "./calibration-store";
import { api } from "./seed";

describe("POST /api/model/calibrate on a history with enough churn", () => {
  beforeAll(() => storeCohort(5, 400));

  it("proposes a candidate version with its out-of-sample evaluation, and activates nothing", async () => {
    const res = await api("POST", "/api/model/calibrate", { horizonDays: 90 });
    expect(res.status).toBe(201);
    const r = await res.json<any>();
    expect(r.id).toMatch(/^mv_/);
    expect(r.active).toBe(false);
    const e = r.evaluation;
    expect(e.churned).toBeGreaterThanOrEqual(10);
    expect(e.fitChurned).toBeGreaterThanOrEqual(20);
    expect(e.auc).toBeGreaterThan(e.baselineAuc);
    expect(e.aucInterval[0]).toBeLessThan(e.auc);
    expect(e.aucInterval[1]).toBeGreaterThan(e.auc);
    expect(Object.keys(e.churnRateByBand).sort()).toEqual(["green", "red", "yellow"]);
    expect(e.samples).toBeGreaterThan(e.churned);
    expect(r.weights.usage).toBeGreaterThan(r.weights.support);
    expect((await (await api("GET", "/api/model")).json<any>()).versionId).toBe("default");
    const shown = await (await api("GET", `/api/model/versions/${r.id}`)).json<any>();
    expect(shown).toMatchObject({ parent: "default", active: false, author: "admin" });
    expect(shown.evaluation.auc).toBe(e.auc);
    expect(shown.model.weights).toEqual(r.weights);
    expect(shown.changes.filter((c: any) => c.path.startsWith("weights.")).length).toBeGreaterThan(0);
  });
});
