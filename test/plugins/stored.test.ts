import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import frontDeclaration from "../../plugins/front.json";
import intercomDeclaration from "../../plugins/intercom.json";
import worker from "../../src/index";
import { cachedVersionCount, parseStoredVersion } from "../../src/plugins/stored";
import { ADMIN, drain } from "../support/drain";
import { editedFixture, fixture } from "../support/fixtures";
import { signFront } from "./sign";

/**
 * Source declarations stored through POST /api/plugins: versioned, activated and rolled back, served at
 * POST /webhooks/{name} like a bundled one. The secret is one the deployment's config does not read
 * (ACME_WEBHOOK_SECRET), so it comes straight from the environment, as `wrangler secret put` would set it.
 */

const BASE = "https://tenure.example.com";
const ACME_SECRET = "acme_signing_key_0123";
const acmeEnv = { ...env, ACME_WEBHOOK_SECRET: ACME_SECRET };
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** Front's format under another name and secret: the shape a team would store for its own Front workspace. */
const declaration = (name: string, version = 1, edit: (d: any) => void = () => {}) => {
  const d = { ...clone(frontDeclaration), name, version, secret: "ACME_WEBHOOK_SECRET", title: `Support desk ${name}` } as any;
  edit(d);
  return d;
};

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init), acmeEnv as never, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}
const admin = (path: string, body?: unknown) =>
  call(`/api${path}`, body === undefined ? { headers: ADMIN } : { method: "POST", headers: { ...ADMIN, "content-type": "application/json" }, body: JSON.stringify(body) });

async function deliver(name: string, body = fixture("front", "inbound_received"), secret = ACME_SECRET): Promise<Response> {
  return call(`/webhooks/${name}`, { method: "POST", body, headers: { "content-type": "application/json", ...(await signFront(secret, body)) } });
}

describe("POST /api/plugins", () => {
  it("stores a version, serves it at /webhooks/{name}, and answers a replay of the same version with 200", async () => {
    const first = await admin("/plugins", { definition: declaration("acme-desk"), actor: "ops@tenure.example" });
    expect(first.status, await first.clone().text()).toBe(201);
    expect(await first.json()).toMatchObject({ name: "acme-desk", version: 1, id: "acme-desk@1", active: true, author: "ops@tenure.example via admin (token)" });

    const again = await admin("/plugins", { definition: declaration("acme-desk") });
    expect(again.status).toBe(200);

    const changed = await admin("/plugins", { definition: declaration("acme-desk", 1, (d) => (d.title = "other")) });
    expect(changed.status).toBe(409);
    expect(await changed.json()).toMatchObject({ error: { code: "plugin_version_exists", path: "definition.version" } });

    const res = await deliver("acme-desk");
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ received: 1, duplicates: 0, ignored: 0 });
    expect((await (await deliver("acme-desk")).json()) as object).toMatchObject({ duplicates: 1 });
    await drain();
    // The pipeline read the event (a source name outside the built-in list included); no customer has this
    // recipient's domain yet, so the ticket waits for one, as a bundled Front ticket would.
    const row = await env.DB.prepare(`SELECT id, status FROM inbox_events WHERE source = 'acme-desk'`).first();
    expect(row).toEqual({ id: "acme-desk:evt_5f1d7a3b", status: "unmatched" });
  });

  it("checks a stored source's signature like a bundled one's", async () => {
    await admin("/plugins", { definition: declaration("acme-signed") });
    const res = await deliver("acme-signed", fixture("front", "inbound_received"), "another_key");
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_signature", reason: "bad_signature" } });
  });

  it.each([
    ["a bundled declaration's name", "front"],
    ["a built-in source's name", "stripe"],
  ])("refuses %s with 409: the shipped endpoint keeps its behaviour", async (_, name) => {
    const res = await admin("/plugins", { definition: declaration(name) });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: "plugin_name_taken", path: "definition.name" } });
  });

  it.each([
    ["definition.signature.algorithm", (d: any) => (d.signature.algorithm = "md5")],
    ["definition.name", (d: any) => (d.name = "Acme_Desk")],
    ["definition.secret", (d: any) => (d.secret = "STRIPE_SECRET_KEY")],
    ["definition.map.0.emit", (d: any) => (d.map[0].emit = "ticket.deleted")],
  ])("refuses a malformed declaration with 422 at %s, storing nothing", async (path, edit) => {
    const res = await admin("/plugins", { definition: declaration("acme-bad", 1, edit) });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: "invalid_plugin", path } });
    expect(await env.DB.prepare(`SELECT COUNT(*) AS n FROM plugin_versions WHERE name LIKE 'acme-bad%' OR name = 'Acme_Desk'`).first("n")).toBe(0);
  });

  it("refuses a destination (they are bundled files) and a body without a definition", async () => {
    const dest = await admin("/plugins", { definition: { ...clone(intercomDeclaration), name: "crm-out" } });
    expect(dest.status).toBe(422);
    expect(await dest.json()).toMatchObject({ error: { path: "definition.kind" } });
    expect((await admin("/plugins", { activate: true })).status).toBe(400);
  });

  it("requires the admin token", async () => {
    const res = await call("/api/plugins", { method: "POST", body: JSON.stringify({ definition: declaration("acme-anon") }) });
    expect(res.status).toBe(401);
  });
});

describe("versions, activation and rollback", () => {
  it("serves the active version; activating an older one rolls back; deactivating stops serving", async () => {
    expect((await admin("/plugins", { definition: declaration("acme-roll", 1) })).status).toBe(201);
    // Version 2 ignores inbound messages; stored without activation it changes nothing yet.
    const v2 = declaration("acme-roll", 2, (d) => {
      d.map[0].on = d.map[0].on.filter((t: string) => t !== "inbound_received");
      d.ignore.push("inbound_received");
    });
    expect(await (await admin("/plugins", { definition: v2, activate: false })).json()).toMatchObject({ version: 2, active: false });
    const body = (id: string) => editedFixture("front", "inbound_received", (j) => (j.payload.id = id));
    expect(await (await deliver("acme-roll", body("evt_r1"))).json()).toMatchObject({ received: 1, ignored: 0 });

    expect((await admin("/plugins/acme-roll/versions/2/activate", { actor: "ana" })).status).toBe(200);
    expect(await (await deliver("acme-roll", body("evt_r2"))).json()).toMatchObject({ received: 1, ignored: 1 });

    const rollback = await admin("/plugins/acme-roll/versions/1/activate", {});
    expect(await rollback.json()).toEqual({ name: "acme-roll", activeVersion: 1, previousVersion: 2 });
    expect(await (await deliver("acme-roll", body("evt_r3"))).json()).toMatchObject({ received: 1, ignored: 0 });

    const history = (await (await admin("/plugins/acme-roll/versions")).json()) as any;
    expect(history.activeVersion).toBe(1);
    expect(history.versions.map((v: any) => [v.version, v.active])).toEqual([
      [2, false],
      [1, true],
    ]);
    expect(history.versions[0].definition.ignore).toContain("inbound_received");
    expect(history.activations.map((a: any) => [a.versionId, a.previousId, a.actor])).toEqual([
      ["acme-roll@1", "acme-roll@2", "admin (token)"],
      ["acme-roll@2", "acme-roll@1", "ana via admin (token)"],
      ["acme-roll@1", null, "admin (token)"],
    ]);

    expect((await admin("/plugins/acme-roll/deactivate", {})).status).toBe(200);
    expect((await deliver("acme-roll", body("evt_r4"))).status).toBe(404);
    expect((await admin("/plugins/acme-roll/versions/9/activate", {})).status).toBe(404);
    expect((await admin("/plugins/nobody/versions")).status).toBe(404);
  });

  it("keeps versions immutable in D1 itself", async () => {
    await admin("/plugins", { definition: declaration("acme-frozen") });
    await expect(env.DB.prepare(`UPDATE plugin_versions SET definition = '{}' WHERE name = 'acme-frozen'`).run()).rejects.toThrow(/immutable/);
    await expect(env.DB.prepare(`DELETE FROM plugin_versions WHERE name = 'acme-frozen'`).run()).rejects.toThrow(/kept/);
  });
});

describe("a stored source's challenge option", () => {
  it("answers a signed handshake with the challenge alone, as text", async () => {
    await admin("/plugins", { definition: declaration("acme-hello", 1, (d) => (d.challenge = { header: "X-Hello-Challenge", respond: "text" })) });
    const body = JSON.stringify({ type: "sync", authorization: { id: "cmp_1" } });
    const res = await call("/webhooks/acme-hello", { method: "POST", body, headers: { ...(await signFront(ACME_SECRET, body)), "X-Hello-Challenge": "abc123" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toBe("abc123");
  });
});

describe("a stored definition that no longer parses", () => {
  it("answers 503 with the path on its own endpoint, is listed as broken, and breaks no other source", async () => {
    // As if a later deploy had tightened the format: the row was valid when stored, and is not now.
    const broken = declaration("acme-old", 1, (d) => (d.signature.algorithm = "md5"));
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO plugin_versions (id, name, version, kind, definition, author, created_at) VALUES ('acme-old@1', 'acme-old', 1, 'source', ?, 'admin', 0)`).bind(JSON.stringify(broken)),
      env.DB.prepare(`INSERT INTO plugin_active (name, version_id, activated_at, activated_by) VALUES ('acme-old', 'acme-old@1', 0, 'admin')`),
    ]);
    await admin("/plugins", { definition: declaration("acme-ok") });

    const res = await deliver("acme-old");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "source_broken", path: "signature.algorithm" } });
    expect((await deliver("acme-ok", editedFixture("front", "inbound_received", (j) => (j.payload.id = "evt_ok")))).status).toBe(200);
    expect((await deliver("front", fixture("front", "conversation_archived"), "front_app_signing_key")).status).toBe(200);

    const list = (await (await admin("/plugins")).json()) as any;
    expect(list.stored).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "acme-old", activeVersion: 1, status: "broken: signature.algorithm" }),
        expect.objectContaining({ name: "acme-ok", activeVersion: 1, status: "enabled", scheme: "hmac", weak: false, secret: "ACME_WEBHOOK_SECRET" }),
      ]),
    );
    expect(list.broken).toContainEqual({ file: "stored:acme-old@1", error: { path: "signature.algorithm", message: expect.any(String) } });
    expect(list.plugins.map((p: any) => p.name)).toEqual(expect.arrayContaining(["paddle", "front"]));

    // /health lists the stored sources beside the bundled ones, and the broken one with its path.
    const health = (await (await call("/health")).json()) as any;
    expect(health.plugins.sources["acme-ok"]).toBe("enabled (stored, version 1)");
    expect(health.plugins.sources["acme-old"]).toBeUndefined();
    expect(health.plugins.broken).toContainEqual(expect.stringMatching(/^stored acme-old: signature\.algorithm: /));
  });

  it("lists a stored source as disabled until its secret is set", async () => {
    await admin("/plugins", { definition: declaration("acme-nosecret", 1, (d) => (d.secret = "ACME_OTHER_WEBHOOK_SECRET")) });
    const list = (await (await admin("/plugins")).json()) as any;
    expect(list.stored).toContainEqual(expect.objectContaining({ name: "acme-nosecret", status: "disabled: set ACME_OTHER_WEBHOOK_SECRET" }));
    const res = await deliver("acme-nosecret");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "source_not_configured" } });
  });
});

describe("the per-isolate cache of parsed versions", () => {
  it("is keyed by version id and bounded", () => {
    for (let v = 1; v <= 80; v++) {
      const parsed = parseStoredVersion({ id: `acme-many@${v}`, name: "acme-many", definition: JSON.stringify(declaration("acme-many", v)) });
      expect(parsed.ok).toBe(true);
    }
    expect(cachedVersionCount()).toBeLessThanOrEqual(64);
    // A version id always names the same definition: a second parse under the same id is the cached one.
    const again = parseStoredVersion({ id: "acme-many@80", name: "acme-many", definition: "not even JSON" });
    expect(again.ok).toBe(true);
  });
});
