import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { ADMIN } from "../support/drain";
import { jobHarness, runPages } from "../support/jobs";
import { BASE, api, seedCustomers } from "./seed";

/**
 * Every row of every table, except the admin-token throttle (each authenticated request updates its own
 * bookkeeping there, whatever the route does).
 */
async function dump(...without: string[]): Promise<Record<string, unknown[]>> {
  const { results } = await env.DB.prepare(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT IN ('d1_migrations', 'auth_throttle') ORDER BY name`,
  ).all<{ name: string }>();
  for (const t of without) results.splice(results.findIndex((r) => r.name === t), 1);
  const out: Record<string, unknown[]> = {};
  for (const { name } of results) out[name] = (await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results.map((r) => JSON.stringify(r)).sort();
  return out;
}

describe("previewing a model version", () => {
  let version: string;
  beforeAll(async () => {
    await seedCustomers();
    const res = await api("POST", "/api/model/versions", { model: { bands: { red: 99, green: 100, hysteresis: 0 } }, note: "everyone red" });
    version = (await res.json<{ id: string }>()).id;
  });

  it("shows every live customer's band under both models, the moves, and both backtests, changing nothing", async () => {
    const before = await dump();
    expect(before.customers!.length).toBe(3);
    const res = await api("POST", `/api/model/versions/${version}/preview`, { horizonDays: 90, stepDays: 7 });
    expect(res.status).toBe(200);
    const p = await res.json<any>();
    expect(await dump()).toEqual(before);
    expect(p).toMatchObject({ previewId: null, status: "done", versionId: version, activeVersionId: "default", totalCustomers: 3, customers: 3, scored: 2, moved: 2 });
    expect(new Set(p.moves.map((m: any) => m.customerId)).size).toBe(2);
    for (const m of p.moves) {
      expect(m.candidate.band).toBe("red");
      expect(m.active.band).not.toBe("red");
      expect(m.candidate.score).toBe(m.active.score); // only the bands moved
    }
    expect(Object.values(p.byBand as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(2);
    expect(p.backtest.active.modelVersion).not.toBe(version);
    expect(p.backtest.candidate.modelVersion).toBe(version);
    expect(p.backtest.candidate.churned).toBeGreaterThan(0);
    // The active model's past is what the timeline recorded; the candidate's is replayed from the facts.
    expect(p.backtest.active.auc).toBeGreaterThan(0.5);
    expect(p.backtest.candidate.auc).toBeGreaterThan(0.5);
  });

  it("runs as bounded pages on the queue when asked (or when the deployment is large), polled to the same answer", async () => {
    const inline = await (await api("POST", `/api/model/versions/${version}/preview`, {})).json<any>();
    const before = await dump("model_previews");
    const h = jobHarness();
    const ctx = createExecutionContext();
    const res = await worker.fetch!(
      new Request(`${BASE}/api/model/versions/${version}/preview`, { method: "POST", headers: { ...ADMIN, "content-type": "application/json" }, body: JSON.stringify({ paged: true }) }) as never,
      h.env as never,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(202);
    const started = await res.json<any>();
    expect(started).toMatchObject({ status: "running", customers: 0, totalCustomers: 3 });
    const running = await (await api("GET", `/api/model/versions/${version}/preview`)).json<any>();
    expect(running).toMatchObject({ previewId: started.previewId, status: "running" });
    const first = h.events.sent.splice(0);
    expect(first).toEqual([{ job: "model-preview", previewId: started.previewId }]);
    const runs = await runPages(h, [...first, ...first]); // a repeated page adds nothing twice
    expect(runs.every((r) => r.acked && !r.retried)).toBe(true);
    const done = await (await api("GET", `/api/model/versions/${version}/preview`)).json<any>();
    expect(done.status).toBe("done");
    const same = (x: any) => ({ customers: x.customers, scored: x.scored, moved: x.moved, byBand: x.byBand, moves: x.moves, backtest: x.backtest });
    expect(same(done)).toEqual(same(inline));
    // Only the preview's own row was written.
    expect(await dump("model_previews")).toEqual(before);
    expect((await api("GET", `/api/model/versions/default/preview`)).status).toBe(404);
  });

  it("lists at most `limit` moves, but counts them all", async () => {
    const p = await (await api("POST", `/api/model/versions/${version}/preview`, { limit: 1 })).json<any>();
    expect(p.moved).toBe(2);
    expect(p.moves).toHaveLength(1);
  });

  it("refuses a bad body and an unknown version", async () => {
    expect((await api("POST", `/api/model/versions/${version}/preview`, { horizonDays: 0 })).status).toBe(400);
    expect((await api("POST", `/api/model/versions/mv_unknown00/preview`, {})).status).toBe(404);
  });
});

describe("calibration", () => {
  it("refuses with 422 when there are too few churn events, says how many are needed, and stores nothing", async () => {
    const before = await dump();
    const res = await api("POST", "/api/model/calibrate", { horizonDays: 90 });
    expect(res.status).toBe(422);
    const { error } = await res.json<any>();
    expect(error).toMatchObject({ code: "too_few_churn_events" });
    expect(error.needed).toBeGreaterThan(0);
    expect(error.needed).toBe(Math.max(0, 20 - error.fitChurned) + Math.max(0, 10 - error.evaluationChurned));
    expect(error.message).toMatch(/Too few churn events/);
    expect(await dump()).toEqual(before);
  });

  it("refuses a bad horizon with a 400", async () => {
    expect((await api("POST", "/api/model/calibrate", { horizonDays: "ninety" })).status).toBe(400);
  });
});
