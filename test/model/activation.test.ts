import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { ADMIN } from "../support/drain";
import { jobHarness, runPages, type JobHarness } from "../support/jobs";
import { BASE, api, seedCustomers } from "./seed";

/** Bands no paying customer reaches: every live customer turns red under it. */
const redForAll = { bands: { red: 99, green: 100, hysteresis: 0 } };

/** Calls the route through the real app with the harness's bindings (its events queue captures the job pages). */
async function call(h: JobHarness, method: string, path: string, body?: unknown) {
  const ctx = createExecutionContext();
  const res = await worker.fetch!(
    new Request(`${BASE}${path}`, { method, headers: { ...ADMIN, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }) as never,
    h.env as never,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

const customers = async () =>
  (await env.DB.prepare(`SELECT id, score, band, stage, json_extract(health, '$.modelVersion') AS model FROM customers ORDER BY id`).all<{ id: string; score: number; band: string; stage: string; model: string }>()).results;
const slackAlerts = async () => (await env.DB.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE type = 'slack.alert'`).first<{ n: number }>())!.n;

describe("activating a model version", () => {
  let version: string;
  beforeAll(async () => {
    await seedCustomers();
    const res = await api("POST", "/api/model/versions", { model: redForAll, note: "everyone red" });
    version = (await res.json<{ id: string }>()).id;
  });

  it("re-scores current customers through the queue, one bounded page at a time, and raises no alert", async () => {
    const before = await customers();
    expect(before.filter((c) => c.stage !== "churned").every((c) => c.band !== "red")).toBe(true);
    const alertsBefore = await slackAlerts();
    const h = jobHarness();
    const res = await call(h, "POST", `/api/model/versions/${version}/activate`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ active: version, previous: "default", changed: true, rescoreQueued: true });
    // The request itself scored no one: it only queued the first page.
    expect(await customers()).toEqual(before);
    const first = h.events.sent.splice(0);
    expect(first).toEqual([{ job: "model-rescore", versionId: version, after: "" }]);
    const runs = await runPages(h, first);
    expect(runs.every((r) => r.acked && !r.retried)).toBe(true);
    expect(runs.every((r) => r.calls < 1000)).toBe(true);
    const after = await customers();
    for (const c of after.filter((c) => c.stage !== "churned")) expect(c).toMatchObject({ band: "red", model: version });
    expect(await slackAlerts()).toBe(alertsBefore);
    // The timeline's newest point names the version that made it.
    const point = await env.DB.prepare(`SELECT model_version, band FROM score_history WHERE customer_id = ? ORDER BY at DESC LIMIT 1`).bind(after.find((c) => c.stage !== "churned")!.id).first<{ model_version: string; band: string }>();
    expect(point).toEqual({ model_version: version, band: "red" });
    // And the activation itself is recorded.
    const { activations } = await (await api("GET", "/api/model/versions")).json<any>();
    expect(activations[0]).toMatchObject({ versionId: version, previousId: "default", actor: "admin" });
    expect((await (await api("GET", "/api/model")).json<any>()).versionId).toBe(version);
  });

  it("the scorers read the active version: the daily re-score keeps it, and still alerts nothing", async () => {
    const alertsBefore = await slackAlerts();
    const h = jobHarness();
    await runPages(h, [{ recomputeAfter: "", asOf: Date.now() }], { follow: (b: any) => "recomputeAfter" in b });
    for (const c of (await customers()).filter((c) => c.stage !== "churned")) expect(c).toMatchObject({ band: "red", model: version });
    expect(await slackAlerts()).toBe(alertsBefore);
  });

  it("activating the active version changes nothing", async () => {
    const h = jobHarness();
    const res = await call(h, "POST", `/api/model/versions/${version}/activate`);
    expect(await res.json()).toMatchObject({ changed: false, rescoreQueued: false });
    expect(h.events.sent).toEqual([]);
  });

  it("rolls back by activating the previous version, re-scored the same way", async () => {
    const alertsBefore = await slackAlerts();
    const h = jobHarness();
    const res = await call(h, "POST", `/api/model/versions/default/activate`);
    expect(await res.json()).toMatchObject({ active: "default", previous: version, changed: true });
    await runPages(h, h.events.sent.splice(0));
    for (const c of (await customers()).filter((c) => c.stage !== "churned")) {
      expect(c.band).not.toBe("red");
      expect(c.model).not.toBe(version);
    }
    expect(await slackAlerts()).toBe(alertsBefore);
    expect((await (await api("GET", "/api/model")).json<any>()).versionId).toBe("default");
  });

  it("a re-score page left over from an older activation stops", async () => {
    const h = jobHarness();
    const before = await customers();
    await runPages(h, [{ job: "model-rescore", versionId: version, after: "" }]);
    expect(h.runs).toHaveLength(1);
    expect(await customers()).toEqual(before);
  });
});
