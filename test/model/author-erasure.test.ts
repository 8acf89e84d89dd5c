import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seedPersonIds } from "../../src/core/erasure";
import { activateModelVersion } from "../../src/jobs/model-activate";
import { erasePage } from "../../src/jobs/erase";
import { createModelVersion } from "../../src/routes/model-versions";
import { startErasureStmts } from "../../src/store/privacy";
import type { EraseJob } from "../../src/jobs/messages";

const DANA = "dana.admin@team.example";
const KIM = "kim.admin@team.example";

async function erase(email: string, id: string) {
  const now = Date.now();
  await env.DB.batch(startErasureStmts(env.DB, { id, contactId: `email:${email}`, ids: seedPersonIds({ id: `email:${email}`, email }), now }));
  let job: EraseJob | null = { job: "erase", erasureId: id };
  for (let i = 0; job && i < 200; i++) job = await erasePage(env.DB, now, job);
  expect(job).toBeNull();
}

const rows = async () =>
  (await env.DB.prepare(`SELECT id, parent, model, note, author, created_at, evaluation FROM model_versions WHERE id != 'default' ORDER BY created_at, id`).all<Record<string, unknown>>()).results;

describe("model version authors are personal data", () => {
  it("a contact erasure replaces their email as author and activator, and changes nothing else of a version", async () => {
    const now = Date.now();
    const a = await createModelVersion(env, { model: { weights: { billing: 10 } }, note: "less billing", author: DANA, evaluation: null }, now);
    const b = await createModelVersion(env, { model: { weights: { usage: 40 } }, note: "more usage", author: KIM, evaluation: { auc: 0.8 } }, now + 1);
    await activateModelVersion(env, a.id, DANA, now + 2);
    const before = await rows();
    expect(before.map((r) => r.author)).toEqual([DANA, KIM]);

    await erase(DANA, "er_dana_model");

    const after = await rows();
    expect(after.map((r) => r.author)).toEqual(["[erased]", KIM]);
    // Everything but the author is as it was: the version is still the same version.
    expect(after.map(({ author: _a, ...rest }) => rest)).toEqual(before.map(({ author: _a, ...rest }) => rest));
    const activated = await env.DB.prepare(`SELECT actor FROM model_activations WHERE version_id = ?`).bind(a.id).first<{ actor: string }>();
    expect(activated?.actor).toBe("[erased]");
    const active = await env.DB.prepare(`SELECT version_id, activated_by FROM model_active`).first<{ version_id: string; activated_by: string }>();
    expect(active).toEqual({ version_id: a.id, activated_by: "[erased]" });
    const anywhere = await env.DB.prepare(`SELECT COUNT(*) AS n FROM model_versions WHERE author LIKE ?`).bind(`%${DANA}%`).first<{ n: number }>();
    expect(anywhere?.n).toBe(0);
    expect(b.author).toBe(KIM);
  });

  it("stays immutable for everything else, and the author can only become [erased]", async () => {
    const v = await createModelVersion(env, { model: {}, note: "kept", author: KIM, evaluation: null }, Date.now());
    await expect(env.DB.prepare(`UPDATE model_versions SET note = 'edited' WHERE id = ?`).bind(v.id).run()).rejects.toThrow(/immutable/);
    await expect(env.DB.prepare(`UPDATE model_versions SET author = 'someone@else.example' WHERE id = ?`).bind(v.id).run()).rejects.toThrow(/immutable/);
    await expect(env.DB.prepare(`UPDATE model_versions SET author = '[erased]', note = 'edited' WHERE id = ?`).bind(v.id).run()).rejects.toThrow(/immutable/);
    await expect(env.DB.prepare(`DELETE FROM model_versions WHERE id = ?`).bind(v.id).run()).rejects.toThrow(/kept/);
  });
});
