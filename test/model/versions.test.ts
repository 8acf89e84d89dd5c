import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api } from "./seed";

const stricter = { weights: { billing: 10, support: 10, usage: 60, sentiment: 10, relationship: 10 }, bands: { red: 60, green: 85 } };

async function create(model: unknown, note = "a test version") {
  const res = await api("POST", "/api/model/versions", { model, note });
  expect(res.status).toBe(201);
  return res.json<any>();
}

describe("model versions", () => {
  it("lists the deployment default first, and it is active until another version is", async () => {
    const res = await api("GET", "/api/model/versions");
    expect(res.status).toBe(200);
    const { versions } = await res.json<any>();
    expect(versions[0]).toMatchObject({ id: "default", active: true, parent: null });
    const model = await (await api("GET", "/api/model")).json<any>();
    expect(model.versionId).toBe("default");
    expect(model.model.weights.billing).toBe(30);
  });

  it("creates an immutable version with its author, parent and a diff against the parent", async () => {
    const v = await create(stricter);
    expect(v).toMatchObject({ active: false, parent: "default", author: "admin", note: "a test version" });
    expect(v.id).toMatch(/^mv_/);
    expect(v.model.version).toBe(v.id);
    const shown = await (await api("GET", `/api/model/versions/${v.id}`)).json<any>();
    expect(shown.changes).toEqual([
      { path: "weights.billing", from: 30, to: 10 },
      { path: "weights.relationship", from: 15, to: 10 },
      { path: "weights.sentiment", from: 15, to: 10 },
      { path: "weights.support", from: 20, to: 10 },
      { path: "weights.usage", from: 20, to: 60 },
      { path: "bands.green", from: 75, to: 85 },
      { path: "bands.red", from: 50, to: 60 },
    ]);
    const { versions } = await (await api("GET", "/api/model/versions")).json<any>();
    expect(versions[0].id).toBe("default");
    expect(versions.at(-1).id).toBe(v.id);
  });

  it("has no route that edits or deletes a version, and the database refuses it too", async () => {
    const v = await create(stricter);
    for (const method of ["PUT", "PATCH", "DELETE"]) expect((await api(method, `/api/model/versions/${v.id}`, { note: "changed" })).status).toBe(404);
    await expect(env.DB.prepare(`UPDATE model_versions SET note = 'changed' WHERE id = ?`).bind(v.id).run()).rejects.toThrow(/immutable/);
    await expect(env.DB.prepare(`UPDATE model_versions SET model = NULL WHERE id = 'default'`).run()).rejects.toThrow(/immutable/);
    await expect(env.DB.prepare(`DELETE FROM model_versions WHERE id = ?`).bind(v.id).run()).rejects.toThrow(/kept/);
    const row = await env.DB.prepare(`SELECT note, model FROM model_versions WHERE id = ?`).bind(v.id).first<{ note: string; model: string }>();
    expect(row!.note).toBe("a test version");
    expect(JSON.parse(row!.model).weights.usage).toBe(60);
  });

  it("keeps exactly one active version", async () => {
    const v = await create(stricter);
    await expect(env.DB.prepare(`INSERT INTO model_active (singleton, version_id, activated_at, activated_by) VALUES (2, ?, 0, 'x')`).bind(v.id).run()).rejects.toThrow();
    await expect(env.DB.prepare(`INSERT INTO model_active (singleton, version_id, activated_at, activated_by) VALUES (1, ?, 0, 'x')`).bind(v.id).run()).rejects.toThrow();
    await expect(env.DB.prepare(`DELETE FROM model_active`).run()).rejects.toThrow(/always active/);
    expect((await env.DB.prepare(`SELECT COUNT(*) AS n FROM model_active`).first<{ n: number }>())!.n).toBe(1);
  });

  it("refuses a model that breaks the schema with a 400 and stores nothing", async () => {
    const count = async () => (await env.DB.prepare(`SELECT COUNT(*) AS n FROM model_versions`).first<{ n: number }>())!.n;
    const before = await count();
    for (const model of [{ weights: { billing: -1 } }, { bands: { red: 80, green: 70 } }, "not a model"]) {
      const res = await api("POST", "/api/model/versions", { model });
      expect(res.status).toBe(400);
      expect((await res.json<any>()).error.code).toBe("bad_request");
    }
    expect(await count()).toBe(before);
  });

  it("answers 404 for an unknown version or parent", async () => {
    expect((await api("GET", "/api/model/versions/mv_nothere0000")).status).toBe(404);
    expect((await api("GET", "/api/model/versions/..%2Fetc")).status).toBe(404);
    expect((await api("POST", "/api/model/versions/mv_nothere0000/activate")).status).toBe(404);
    expect((await api("POST", "/api/model/versions", { model: {}, parent: "mv_nothere0000" })).status).toBe(404);
  });
});
