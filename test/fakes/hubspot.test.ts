import { describe, expect, it } from "vitest";
import { FakeHubSpot } from "./hubspot";

const TOKEN = "pat-test";
const T0 = Date.UTC(2026, 9, 1, 12);

function setup(opts: { burstMax?: number; dailyMax?: number } = {}) {
  let t = T0;
  const fake = new FakeHubSpot({ token: TOKEN, now: () => t, ...opts });
  fake.defineProperties([
    { name: "score", label: "Score", type: "number", fieldType: "number" },
    { name: "band", label: "Band", type: "enumeration", fieldType: "select", options: [{ label: "Red", value: "red" }] },
  ]);
  const call = async (method: string, path: string, body?: unknown, token = TOKEN) => {
    const res = await fake.handle(
      new Request(`https://hubspot.fake${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    const text = await res.text();
    const parsed: Record<string, any> = text.startsWith("{") ? JSON.parse(text) : { html: text };
    return { res, body: parsed };
  };
  return { fake, call, advance: (ms: number) => void (t += ms) };
}

const BATCH = "/crm/v3/objects/companies/batch/update";

describe("FakeHubSpot", () => {
  it("refuses a missing or wrong token with 401", async () => {
    const { call } = setup();
    const { res, body } = await call("POST", BATCH, { inputs: [] }, "nope");
    expect(res.status).toBe(401);
    expect(body).toMatchObject({ status: "error", category: "INVALID_AUTHENTICATION" });
  });

  it("refuses a batch of 101 inputs and writes nothing; accepts 100", async () => {
    const { fake, call } = setup({ burstMax: 1000 });
    const ids = Array.from({ length: 101 }, () => fake.addCompany());
    const inputs = ids.map((id) => ({ id, properties: { score: "50" } }));
    const refused = await call("POST", BATCH, { inputs });
    expect(refused.res.status).toBe(400);
    expect(refused.body).toMatchObject({ status: "error", category: "VALIDATION_ERROR" });
    expect(fake.companies.get(ids[0]!)!.properties.score).toBeUndefined();
    const ok = await call("POST", BATCH, { inputs: inputs.slice(0, 100) });
    expect(ok.res.status).toBe(200);
    expect(ok.body.results).toHaveLength(100);
    expect(fake.companies.get(ids[99]!)!.properties.score).toBe("50");
  });

  it("refuses a batch that names a company twice", async () => {
    const { fake, call } = setup();
    const id = fake.addCompany();
    const { res, body } = await call("POST", BATCH, { inputs: [{ id, properties: {} }, { id, properties: {} }] });
    expect(res.status).toBe(400);
    expect(body.message).toContain("Duplicate IDs");
  });

  it("rejects the whole batch when one value does not fit its property's type", async () => {
    const { fake, call } = setup();
    const a = fake.addCompany();
    const b = fake.addCompany();
    const { res, body } = await call("POST", BATCH, {
      inputs: [
        { id: a, properties: { score: "70" } },
        { id: b, properties: { band: "purple", nope: "x" } },
      ],
    });
    expect(res.status).toBe(400);
    expect(body.message).toContain("INVALID_OPTION");
    expect(body.message).toContain("PROPERTY_DOESNT_EXIST");
    expect(fake.companies.get(a)!.properties.score).toBeUndefined();
  });

  it("answers 207 naming unknown ids and writes the others", async () => {
    const { fake, call } = setup();
    const a = fake.addCompany();
    const { res, body } = await call("POST", BATCH, {
      inputs: [
        { id: a, properties: { score: "70" } },
        { id: "999", properties: { score: "10" } },
      ],
    });
    expect(res.status).toBe(207);
    expect(body.errors[0]).toMatchObject({ category: "OBJECT_NOT_FOUND", context: { ids: ["999"] } });
    expect(body.results.map((r: { id: string }) => r.id)).toEqual([a]);
    expect(fake.companies.get(a)!.properties.score).toBe("70");
  });

  it("answers 429 TEN_SECONDLY_ROLLING with Retry-After past the burst limit, and recovers", async () => {
    const { call, advance } = setup({ burstMax: 3 });
    for (let i = 0; i < 3; i++) {
      const { res } = await call("GET", "/crm/v3/properties/companies/score");
      expect(res.headers.get("x-hubspot-ratelimit-remaining")).toBe(String(2 - i));
    }
    const limited = await call("GET", "/crm/v3/properties/companies/score");
    expect(limited.res.status).toBe(429);
    expect(limited.res.headers.get("retry-after")).toBe("10");
    expect(limited.res.headers.get("x-hubspot-ratelimit-max")).toBe("3");
    expect(limited.body).toMatchObject({
      status: "error",
      errorType: "RATE_LIMIT",
      policyName: "TEN_SECONDLY_ROLLING",
      message: "You have reached your ten_secondly_rolling limit.",
    });
    advance(4_000);
    expect((await call("GET", "/crm/v3/properties/companies/score")).res.status).toBe(429);
    advance(6_000);
    expect((await call("GET", "/crm/v3/properties/companies/score")).res.status).toBe(200);
  });

  it("answers 429 DAILY once the daily quota is spent, until the next UTC day", async () => {
    const { call, advance } = setup({ dailyMax: 2 });
    await call("GET", "/crm/v3/properties/companies/score");
    const second = await call("GET", "/crm/v3/properties/companies/score");
    expect(second.res.headers.get("x-hubspot-ratelimit-daily-remaining")).toBe("0");
    const limited = await call("GET", "/crm/v3/properties/companies/score");
    expect(limited.res.status).toBe(429);
    expect(limited.body).toMatchObject({ policyName: "DAILY", errorType: "RATE_LIMIT" });
    advance(12 * 3_600_000);
    expect((await call("GET", "/crm/v3/properties/companies/score")).res.status).toBe(200);
  });

  it("creates groups and typed properties, 409 on a duplicate, 404 before creation", async () => {
    const { call } = setup();
    expect((await call("GET", "/crm/v3/properties/companies/tenure_x")).res.status).toBe(404);
    const noGroup = await call("POST", "/crm/v3/properties/companies", {
      name: "tenure_x", label: "X", type: "number", fieldType: "number", groupName: "tenure",
    });
    expect(noGroup.res.status).toBe(400);
    expect((await call("POST", "/crm/v3/properties/companies/groups", { name: "tenure", label: "Tenure" })).res.status).toBe(201);
    expect((await call("POST", "/crm/v3/properties/companies/groups", { name: "tenure", label: "Tenure" })).res.status).toBe(409);
    const wrongField = await call("POST", "/crm/v3/properties/companies", {
      name: "tenure_x", label: "X", type: "number", fieldType: "select", groupName: "tenure",
    });
    expect(wrongField.res.status).toBe(400);
    const def = { name: "tenure_x", label: "X", type: "number", fieldType: "number", groupName: "tenure" };
    expect((await call("POST", "/crm/v3/properties/companies", def)).res.status).toBe(201);
    expect((await call("POST", "/crm/v3/properties/companies", def)).res.status).toBe(409);
    const got = await call("GET", "/crm/v3/properties/companies/tenure_x");
    expect(got.body).toMatchObject({ name: "tenure_x", type: "number" });
  });

  it("stores notes associated to an existing company and refuses bad ones", async () => {
    const { fake, call } = setup();
    const company = fake.addCompany();
    const note = (to: string, typeId = 190, props: Record<string, string> = { hs_timestamp: "2026-10-01T12:00:00Z", hs_note_body: "hi" }) => ({
      properties: props,
      associations: [{ to: { id: to }, types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: typeId }] }],
    });
    const created = await call("POST", "/crm/v3/objects/notes", note(company));
    expect(created.res.status).toBe(201);
    expect(fake.notes).toEqual([expect.objectContaining({ id: created.body.id, companyIds: [company] })]);
    expect((await call("POST", "/crm/v3/objects/notes", note("424242"))).res.status).toBe(400);
    expect((await call("POST", "/crm/v3/objects/notes", note(company, 202))).res.status).toBe(400);
    expect((await call("POST", "/crm/v3/objects/notes", note(company, 190, { hs_note_body: "x" }))).res.status).toBe(400);
    expect(fake.notes).toHaveLength(1);
  });

  it("searches notes by company and hs_timestamp, paged with after", async () => {
    const { fake, call } = setup();
    const [a, b] = [fake.addCompany(), fake.addCompany()];
    const at = "2026-10-01T12:00:00.000Z";
    const add = (to: string, body: string, time = at) =>
      call("POST", "/crm/v3/objects/notes", { properties: { hs_timestamp: time, hs_note_body: body }, associations: [{ to: { id: to }, types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 190 }] }] });
    for (const body of ["one", "two", "three"]) await add(a, body);
    await add(a, "later", "2026-10-02T12:00:00.000Z");
    await add(b, "other company");
    const search = (after?: string) =>
      call("POST", "/crm/v3/objects/notes/search", {
        filterGroups: [{ filters: [{ propertyName: "associations.company", operator: "EQ", value: a }, { propertyName: "hs_timestamp", operator: "EQ", value: String(Date.parse(at)) }] }],
        limit: 2,
        ...(after ? { after } : {}),
      });
    const first = await search();
    expect(first.body.total).toBe(3);
    expect(first.body.results.map((r: { properties: { hs_note_body: string } }) => r.properties.hs_note_body)).toEqual(["one", "two"]);
    const rest = await search(first.body.paging.next.after);
    expect(rest.body.results.map((r: { properties: { hs_note_body: string } }) => r.properties.hs_note_body)).toEqual(["three"]);
    expect(rest.body.paging).toBeUndefined();
    const unsupported = await call("POST", "/crm/v3/objects/notes/search", { filterGroups: [{ filters: [{ propertyName: "hs_note_body", operator: "CONTAINS_TOKEN", value: "one" }] }] });
    expect(unsupported.res.status).toBe(400);
  });

  it("holds answers on demand: the vendor acts at once, or only when released", async () => {
    const { fake, call } = setup();
    const company = fake.addCompany();
    const note = { properties: { hs_timestamp: "2026-10-01T12:00:00Z", hs_note_body: "held" }, associations: [{ to: { id: company }, types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 190 }] }] };
    fake.stall.hangNext(1, "after");
    const acted = call("POST", "/crm/v3/objects/notes", note);
    for (let i = 0; i < 100 && fake.stall.held === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(fake.notes).toHaveLength(1);
    fake.stall.release();
    expect((await acted).res.status).toBe(201);
    fake.stall.hangNext(1, "before");
    const slow = call("POST", "/crm/v3/objects/notes", note);
    for (let i = 0; i < 100 && fake.stall.held === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(fake.notes).toHaveLength(1);
    fake.stall.release();
    expect((await slow).res.status).toBe(201);
    expect(fake.notes).toHaveLength(2);
  });

  it("fails on demand: failNext answers the given status, outage answers 503 until it ends", async () => {
    const { fake, call, advance } = setup();
    fake.failNext(1, 502);
    const failed = await call("GET", "/crm/v3/properties/companies/score");
    expect(failed.res.status).toBe(502);
    expect(failed.res.headers.get("content-type")).toContain("text/html");
    expect((await call("GET", "/crm/v3/properties/companies/score")).res.status).toBe(200);
    fake.outage(T0 + 5_000);
    expect((await call("GET", "/crm/v3/properties/companies/score")).res.status).toBe(503);
    advance(5_000);
    expect((await call("GET", "/crm/v3/properties/companies/score")).res.status).toBe(200);
  });
});
