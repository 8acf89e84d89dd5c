import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ORIGIN, login, post } from "../dashboard/seed";
import { api, seedCustomers } from "./seed";

let session: { cookie: string; csrf: string };
const page = async (path: string) => (await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie: session.cookie } })).text();
const form = (path: string, fields: Record<string, string> = {}) => post(path, session.cookie, { _csrf: session.csrf, ...fields });

describe("the Model page", () => {
  beforeAll(async () => {
    await seedCustomers();
    session = await login();
  });

  it("lists the versions with the deployment default active", async () => {
    const html = await page("/model");
    expect(html).toContain('data-version="default"');
    expect(html).toContain('data-active-version="default"');
    expect(html).toContain('action="/model/versions"');
  });

  it("creates a version from JSON, escaping what it shows, and keeps a bad draft with an error", async () => {
    const bad = await form("/model/versions", { model: "{ not json", note: "<b>x</b>" });
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain("not valid JSON");
    expect(badHtml).toContain("{ not json");
    const invalid = await form("/model/versions", { model: JSON.stringify({ bands: { red: 90, green: 10 } }), note: "" });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain("does not fit its schema");
    const res = await form("/model/versions", { model: JSON.stringify({ bands: { red: 99, green: 100, hysteresis: 0 } }), note: "<script>alert(1)</script> all red" });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; all red");
    const row = await env.DB.prepare(`SELECT author FROM model_versions WHERE id != 'default'`).first<{ author: string }>();
    expect(row!.author).toBe("admin (token)");
  });

  it("walks preview → activate → roll back", async () => {
    const id = (await env.DB.prepare(`SELECT id FROM model_versions WHERE id != 'default' ORDER BY created_at DESC LIMIT 1`).first<{ id: string }>())!.id;
    const preview = await form(`/model/versions/${id}/preview`);
    expect(preview.status).toBe(200);
    const html = await preview.text();
    expect(html).toContain("data-preview");
    expect(html).toContain('data-moved="2"');
    expect(html).toContain("data-moves");
    expect(html).toContain(`action="/model/versions/${id}/activate"`);
    const activate = await form(`/model/versions/${id}/activate`);
    expect(activate.status).toBe(303);
    expect(activate.headers.get("location")).toBe(`/model?activated=${id}`);
    const after = await page(`/model?activated=${id}`);
    expect(after).toContain(`data-active-version="${id}"`);
    expect(after).toContain("re-scored in the background");
    expect(after).toContain(`default → ${id} by admin (token)`);
    const activation = await env.DB.prepare(`SELECT actor FROM model_activations ORDER BY seq DESC LIMIT 1`).first<{ actor: string }>();
    expect(activation!.actor).toBe("admin (token)");
    const back = await form(`/model/versions/default/activate`);
    expect(back.status).toBe(303);
    expect(await page("/model")).toContain('data-active-version="default"');
  });

  it("shows a paged preview's running total on its own page", async () => {
    const id = (await env.DB.prepare(`SELECT id FROM model_versions WHERE id != 'default' ORDER BY created_at DESC LIMIT 1`).first<{ id: string }>())!.id;
    expect((await api("POST", `/api/model/versions/${id}/preview`, { paged: true })).status).toBe(202);
    const html = await page(`/model/versions/${id}/preview`);
    expect(html).toContain("data-preview");
    expect(html).toMatch(/data-preview-running|data-moved="2"/);
  });

  it("shows a calibration refusal with the number of churn events needed", async () => {
    const res = await form("/model/calibrate", { horizonDays: "90" });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("Too few churn events");
  });

  it("refuses a form without the CSRF token", async () => {
    const res = await post("/model/versions/default/activate", session.cookie, {});
    expect(res.status).toBe(403);
  });
});
