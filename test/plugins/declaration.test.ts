import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import paddleDeclaration from "../../plugins/paddle.json";
import frontDeclaration from "../../plugins/front.json";
import intercomDeclaration from "../../plugins/intercom.json";
import { loadPlugins } from "../../src/plugins/load";
import { parseSourceDeclaration } from "../../src/plugins/schema";
import { fixture } from "../support/fixtures";
import { ADMIN } from "../support/drain";
import { PADDLE_SECRET, signFront, signPaddle } from "./sign";

const BASE = "https://tenure.example.com";
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe("declaration schema", () => {
  it("accepts the bundled declarations", () => {
    expect(parseSourceDeclaration(paddleDeclaration)).toMatchObject({ ok: true });
    expect(parseSourceDeclaration(frontDeclaration)).toMatchObject({ ok: true });
  });

  it.each([
    ["signature.algorithm", (d: any) => (d.signature.algorithm = "md5")],
    ["signature.timestampHeader", (d: any) => ((d.signature.format = "plain"), delete d.signature.timestampHeader)],
    ["eventId", (d: any) => (d.eventId = "data.id")],
    ["map.0.emit", (d: any) => (d.map[0].emit = "invoice.voided")],
    ["map.1.fields.amountPaid", (d: any) => (d.map[1].fields.amountPaid = { path: "$.x", as: "cents" })],
    ["map.1.on.0", (d: any) => d.ignore.push("transaction.completed")],
    ["secret", (d: any) => (d.secret = "paddle-secret")],
    ["surprise", (d: any) => (d.surprise = true)],
  ])("refuses a malformed declaration naming %s", (path, edit) => {
    const d = clone(paddleDeclaration) as any;
    edit(d);
    const r = parseSourceDeclaration(d);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.path).toBe(path === "surprise" ? "(root)" : path);
  });

  it("a malformed declaration is refused at load and listed as broken; the others still load", () => {
    const broken = { ...clone(frontDeclaration), signature: { scheme: "hmac", algorithm: "sha256" } };
    const seen: string[] = [];
    const r = loadPlugins({ "paddle.json": paddleDeclaration, "front.json": broken, "acme.json": { ...clone(frontDeclaration), name: "acme" } }, new Set(["stripe"]), (b) => seen.push(b.file));
    expect(Object.keys(r.sources).sort()).toEqual(["acme", "paddle"]);
    expect(r.broken).toEqual([{ file: "front.json", error: { path: "signature.encoding", message: expect.any(String) } }]);
    expect(seen).toEqual(["front.json"]);
  });

  it("refuses a declaration that takes a built-in source's name", () => {
    const r = loadPlugins({ "x.json": { ...clone(paddleDeclaration), name: "stripe" } }, new Set(["stripe"]));
    expect(r.broken[0]!.error).toMatchObject({ path: "name", message: '"stripe" is a built-in source' });
  });

  it("takes any safe name, and no unsafe one", () => {
    const named = (name: string) => parseSourceDeclaration({ ...clone(paddleDeclaration), name });
    for (const ok of ["acme", "billing-eu-2", `a${"b".repeat(39)}`]) expect(named(ok)).toMatchObject({ ok: true });
    for (const bad of ["a", "Acme", "2fa", "-x", "acme_billing", "x/y", `a${"b".repeat(40)}`]) expect(named(bad)).toMatchObject({ ok: false, error: { path: "name" } });
  });

  it("refuses a credential Tenure uses for something else as a source's secret", () => {
    for (const secret of ["ADMIN_TOKEN", "STRIPE_SECRET_KEY", "HUBSPOT_ACCESS_TOKEN", "WEBHOOK_OUT_SECRET"]) {
      const r = loadPlugins({ "x.json": { ...clone(paddleDeclaration), name: "acme", secret } }, new Set());
      expect(r.broken[0]!.error).toMatchObject({ path: "secret" });
    }
    const r = loadPlugins({ "x.json": { ...clone(paddleDeclaration), name: "acme", secret: "ACME_WEBHOOK_SECRET" } }, new Set());
    expect(r.loaded).toMatchObject([{ name: "acme", secret: "ACME_WEBHOOK_SECRET" }]);
  });
});

/** A weaker shared-token scheme, declared, through the same contract suite (it signs nothing). */
describe("token scheme", () => {
  const decl = { ...clone(paddleDeclaration), signature: { scheme: "token", header: "X-Webhook-Token" } };
  const r = loadPlugins({ "paddle.json": decl }, new Set());
  it("is marked weak", () => expect(r.loaded[0]).toMatchObject({ scheme: "token", weak: true }));
  const source = r.sources.paddle!;
  it("refuses a wrong token and accepts the right one", async () => {
    const input = (token: string) => ({ rawBody: "{}", headers: new Headers({ "X-Webhook-Token": token }), method: "POST", url: "", now: 0, secret: PADDLE_SECRET });
    await expect(source.verify(input(PADDLE_SECRET))).resolves.toBeUndefined();
    await expect(source.verify(input(`${PADDLE_SECRET}x`))).rejects.toMatchObject({ reason: "bad_signature" });
  });
});

describe("GET /api/plugins, /api/plugins/schema, /health", () => {
  it("lists the bundled declarations with their status", async () => {
    const res = await SELF.fetch(`${BASE}/api/plugins`, { headers: ADMIN });
    expect(res.status).toBe(200);
    const body = await res.json<any>();
    expect(body.broken).toEqual([]);
    expect(body.destinations).toEqual([{ name: "intercom", version: 1, kind: "destination", events: ["score.changed", "band.changed", "stage.changed"], status: "disabled: set INTERCOM_ACCESS_TOKEN" }]);
    expect(body.plugins).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "paddle", version: 1, scheme: "hmac", weak: false, status: "enabled", file: "paddle.json" }),
        expect.objectContaining({ name: "front", status: "enabled" }),
      ]),
    );
  });

  it("requires the admin token", async () => {
    expect((await SELF.fetch(`${BASE}/api/plugins`)).status).toBe(401);
  });

  it("publishes the declaration format as JSON Schema", async () => {
    const res = await SELF.fetch(`${BASE}/api/plugins/schema`, { headers: ADMIN });
    const schema = await res.json<any>();
    expect(schema.$schema).toContain("json-schema.org");
    const [source, destination] = schema.oneOf ?? schema.anyOf;
    expect(source.required).toEqual(expect.arrayContaining(["kind", "name", "version", "secret", "signature", "eventType", "eventId", "eventTime"]));
    expect(JSON.stringify(source.properties.signature)).toContain("ts=;h1=");
    expect(destination.required).toEqual(expect.arrayContaining(["kind", "name", "events", "secrets", "baseUrl", "request"]));
  });

  it("shows declared sources in /health", async () => {
    const body = await (await SELF.fetch(`${BASE}/health`)).json<any>();
    expect(body.sources).toMatchObject({ paddle: "enabled", front: "enabled" });
    expect(body.plugins).toEqual({ sources: { front: "enabled", paddle: "enabled" }, broken: [] });
  });
});

describe("POST /api/plugins/validate", () => {
  const validate = (payload: unknown) =>
    SELF.fetch(`${BASE}/api/plugins/validate`, { method: "POST", headers: { ...ADMIN, "content-type": "application/json" }, body: JSON.stringify(payload) });

  it("returns the normalized events of a signed sample, storing nothing", async () => {
    const body = fixture("paddle", "transaction.completed");
    const res = await validate({ definition: paddleDeclaration, sample: { headers: await signPaddle(PADDLE_SECRET, body), body } });
    expect(res.status).toBe(200);
    const out = await res.json<any>();
    expect(out).toMatchObject({ ok: true, events: [{ type: "invoice.paid", amountPaid: 36000, source: "paddle" }] });
  });

  it("answers 422 with the path of a declaration's problem", async () => {
    const d = clone(paddleDeclaration) as any;
    d.signature.format = "t=v1";
    const res = await validate({ definition: d, sample: { headers: {}, body: "{}" } });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      ok: false,
      error: { code: "invalid_plugin", path: "definition.signature.format", message: expect.any(String), requestId: expect.any(String) },
    });
  });

  it("answers 422 naming the headers when the sample's signature is wrong", async () => {
    const body = fixture("front", "inbound_received");
    const res = await validate({ definition: frontDeclaration, sample: { headers: await signFront("not-the-key", body), body } });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ ok: false, error: { path: "sample.headers", message: expect.stringContaining("bad_signature") } });
  });

  it("answers 422 naming the body's path when a mapped field is unusable", async () => {
    const body = fixture("paddle", "subscription.created").replace('"status": "active",\n    "discount"', '"status": "frozen",\n    "discount"');
    expect(body).toContain('"frozen"');
    const res = await validate({ definition: paddleDeclaration, sample: { headers: await signPaddle(PADDLE_SECRET, body), body } });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ ok: false, error: { path: "sample.body.data.status" } });
  });

  it("answers 422 naming the secret when the environment does not hold it", async () => {
    const d = { ...clone(paddleDeclaration), secret: "TYPEFORM_SECRET" };
    const res = await validate({ definition: d, sample: { headers: {}, body: "{}" } });
    expect(await res.json()).toMatchObject({ ok: false, error: { path: "definition.secret" } });
  });

  it("plans a destination's request for a sample event, naming secrets instead of showing them", async () => {
    const res = await validate({ definition: intercomDeclaration, sample: { body: JSON.stringify({ event: "stage.changed", customerId: "cu_9", data: { stage: "renewal" } }) } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      request: {
        method: "POST",
        url: "https://api.intercom.io/companies",
        headers: expect.objectContaining({ Authorization: "Bearer <INTERCOM_ACCESS_TOKEN>", "Idempotency-Key": "declared:intercom:dry-run" }),
        body: { company_id: "cu_9", custom_attributes: { tenure_stage: "renewal" } },
      },
    });
    const bad = await validate({ definition: { ...clone(intercomDeclaration), events: ["score.exploded"] }, sample: { body: "{}" } });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ ok: false, error: { path: "definition.events.0" } });
  });

  it("answers 400 to a body that is not { definition, sample }", async () => {
    const res = await validate({ definition: paddleDeclaration });
    expect(res.status).toBe(400);
  });
});

