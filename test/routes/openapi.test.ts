import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { openapiDocument } from "../../src/routes/openapi-doc";
import { seed } from "../dashboard/seed";
import { ADMIN } from "../support/drain";
import { mismatch, resolveRef, undeclaredKeys } from "./openapi-shape";

/**
 * The OpenAPI document against the router itself: a route added under /api, /webhooks or /slack without its
 * documentation fails here. The dashboard's HTML routes are left out of the document (see src/routes/openapi-doc.ts).
 */
const BASE = "https://tenure.example.com";
const doc = JSON.parse(JSON.stringify(openapiDocument)) as Record<string, any>;
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

const documentedPrefix = (path: string) => /^\/(api|webhooks|slack|member|r)\//.test(path) || ["/health", "/openapi.json", "/widget.js"].includes(path);
/** Hono's `:id` (and `:id{regex}`) as OpenAPI's `{id}`. */
const openapiPath = (path: string) => path.replace(/:([A-Za-z_][A-Za-z0-9_]*)(\{[^}]*\})?/g, "{$1}");

const registered = [...new Set(app.routes.filter((r) => r.method !== "ALL" && documentedPrefix(r.path)).map((r) => `${r.method} ${openapiPath(r.path)}`))].sort();
const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op })),
);
const documented = operations.map((o) => o.key).sort();
const isAdmin = (path: string) => path.startsWith("/api/");
const responsesOf = (op: any): Record<string, any> => Object.fromEntries(Object.entries(op.responses).map(([status, r]: [string, any]) => [status, r.$ref ? resolveRef(doc, r.$ref) : r]));
const schemaOf = (op: any, status: string) => responsesOf(op)[status]?.content?.["application/json"]?.schema;

describe("GET /openapi.json", () => {
  it("serves the document", async () => {
    const res = await SELF.fetch(`${BASE}/openapi.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(doc);
  });

  it("documents every API route the app registers, and no route it does not", () => {
    expect(registered.length).toBeGreaterThan(30);
    expect(documented.filter((k) => !registered.includes(k))).toEqual([]);
    expect(registered.filter((k) => !documented.includes(k))).toEqual([]);
  });

  it("declares each path parameter once, required, and no other", () => {
    for (const { key, path, op } of operations) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p: any) => p.in === "path");
      expect(declared.map((p: any) => p.name).sort(), key).toEqual(inPath.sort());
      for (const p of declared) expect(p.required, `${key} ${p.name}`).toBe(true);
    }
  });

  it("gives every operation a unique operationId, a summary and a declared tag", () => {
    const tags = new Set(doc.tags.map((t: any) => t.name));
    const ids = operations.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { key, op } of operations) {
      expect(op.operationId, key).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.summary, key).toBeTruthy();
      expect(op.tags?.length, key).toBeGreaterThan(0);
      for (const t of op.tags) expect(tags.has(t), `${key} tag ${t}`).toBe(true);
    }
  });

  it("puts the admin token on /api and leaves the signed and public routes open", () => {
    expect(doc.security).toEqual([{ adminToken: [] }]);
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: "http", scheme: "bearer" });
    for (const { key, path, op } of operations) {
      if (isAdmin(path)) {
        expect(op.security, key).toBeUndefined();
        const r = responsesOf(op);
        for (const status of ["401", "429", "503"]) expect(r[status], `${key} ${status}`).toBeDefined();
        expect(r["429"].headers?.["Retry-After"], key).toBeDefined();
      } else if (path.startsWith("/member/")) {
        expect(op.security, key).toEqual([{ memberToken: [] }]);
      } else {
        expect(op.security, key).toEqual([]);
      }
    }
    for (const key of ["POST /webhooks/{source}", "POST /slack/events"]) {
      expect(operations.find((o) => o.key === key)!.op.description, key).toMatch(/signature/);
    }
  });

  it("gives every error response the shared Error schema, and a 4xx to every operation that takes input", () => {
    for (const { key, op } of operations) {
      const statuses = Object.keys(op.responses);
      if (op.parameters?.length || op.requestBody) expect(statuses.some((s) => s.startsWith("4")), key).toBe(true);
      for (const s of statuses.filter((s) => Number(s) >= 400)) {
        const schema = schemaOf(op, s);
        // /health answers its own body with ok: false when D1 is down.
        if (key === "GET /health" && s === "503") continue;
        // A referral link answers a person's browser: its errors are HTML pages.
        if (key === "GET /r/{code}") continue;
        expect(schema, `${key} ${s}`).toEqual({ $ref: "#/components/schemas/Error" });
      }
    }
  });

  it("names a relative server", () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: "/" })]);
  });
});

describe("the answers match the document", () => {
  beforeAll(seed);

  const operation = (key: string) => {
    const found = operations.find((o) => o.key === key);
    if (!found) throw new Error(`${key} is not documented`);
    return found.op;
  };

  async function expectDocumented(method: string, path: string, template: string, status: number, init: RequestInit = {}) {
    const res = await SELF.fetch(`${BASE}${path}`, { method, ...init });
    expect(res.status, `${method} ${path}`).toBe(status);
    const body = await res.json<Record<string, unknown>>();
    const schema = schemaOf(operation(`${method} ${template}`), String(status));
    expect(schema, `${method} ${template} ${status} is documented`).toBeDefined();
    expect(mismatch(body, schema, doc), `${method} ${path}`).toBeNull();
    expect(undeclaredKeys(body, schema, doc), `${method} ${path}`).toEqual([]);
    return body;
  }

  const reads: [string, string][] = [
    ["/health", "/health"],
    ["/api/customers", "/api/customers"],
    ["/api/customers/A", "/api/customers/{id}"],
    ["/api/events", "/api/events"],
    ["/api/unmatched", "/api/unmatched"],
    ["/api/actions", "/api/actions"],
    ["/api/destinations", "/api/destinations"],
    ["/api/model", "/api/model"],
    ["/api/backfill", "/api/backfill"],
    ["/api/loyalty/leaderboard?period=all", "/api/loyalty/leaderboard"],
    ["/api/loyalty/summary", "/api/loyalty/summary"],
    ["/api/loyalty/customers/A", "/api/loyalty/customers/{id}"],
    ["/api/metrics", "/api/metrics"],
  ];
  for (const [path, template] of reads) {
    it(`GET ${path}`, async () => {
      await expectDocumented("GET", path, template, 200, { headers: ADMIN });
    });
  }

  it("a customer list with data in it", async () => {
    const body = await expectDocumented("GET", "/api/customers", "/api/customers", 200, { headers: ADMIN });
    expect((body.customers as unknown[]).length).toBeGreaterThan(0);
  });

  it("the errors: no token, a bad query, an unknown customer, an unknown source", async () => {
    const noToken = await expectDocumented("GET", "/api/customers", "/api/customers", 401, { headers: { "cf-connecting-ip": "10.77.0.1" } });
    expect(noToken.error).toMatchObject({ code: "unauthorized", requestId: expect.any(String) });
    const bad = await expectDocumented("GET", "/api/customers?band=purple", "/api/customers", 400, { headers: ADMIN });
    expect(bad.error).toMatchObject({ code: "bad_request", path: "band" });
    await expectDocumented("GET", "/api/customers/nobody", "/api/customers/{id}", 404, { headers: ADMIN });
    await expectDocumented("POST", "/webhooks/nope", "/webhooks/{source}", 404, { body: "{}" });
  });

  it("POST /api/recompute with asOf, and a backtest", async () => {
    const body = { asOf: new Date().toISOString() };
    await expectDocumented("POST", "/api/recompute", "/api/recompute", 200, { headers: { ...ADMIN, "content-type": "application/json" }, body: JSON.stringify(body) });
    await expectDocumented("POST", "/api/model/backtest", "/api/model/backtest", 200, { headers: { ...ADMIN, "content-type": "application/json" }, body: JSON.stringify({ horizonDays: 30 }) });
  });
});
