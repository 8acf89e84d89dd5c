import { describe, expect, it } from "vitest";
import {
  HUBSPOT_PROPERTIES as P,
  hubspotConnector,
  maxBatch,
  propertyDefinitions,
  setupHubspotProperties,
} from "../../connectors/hubspot";
import { HUBSPOT_PROPERTIES as PLANNED } from "../../src/core/plan";
import { action, START, useFakes } from "./harness";

const props = (companyId: string, properties: Record<string, string>) =>
  action({ type: "hubspot.properties", companyId, properties });
const note = (companyId: string, body = "Health dropped to 42") =>
  action({ type: "hubspot.note", companyId, body, timestamp: START });

describe("hubspot connector: property batches", () => {
  const h = useFakes();
  const seeded = () => {
    const { fakes } = h();
    fakes.hubspot.defineProperties(propertyDefinitions);
    return fakes.hubspot;
  };
  const batchCalls = () => h().fakes.hubspot.requests.filter((r) => r.path.endsWith("/batch/update"));

  it("coalesces actions for one company into one input, later values winning", async () => {
    const hub = seeded();
    const [a, b] = [hub.addCompany(), hub.addCompany()];
    const actions = [
      props(a, { [P.score]: "40", [P.band]: "red" }),
      props(b, { [P.score]: "90" }),
      props(a, { [P.score]: "45", [P.stage]: "renewal" }),
    ];
    const out = await hubspotConnector.deliver(actions, h().deps);
    expect(out.map((o) => [o.id, o.status])).toEqual(actions.map((x) => [x.id, "delivered"]));
    expect(batchCalls()).toHaveLength(1);
    expect(JSON.parse(batchCalls()[0]!.body).inputs).toHaveLength(2);
    expect(hub.companies.get(a)!.properties).toMatchObject({ [P.score]: "45", [P.band]: "red", [P.stage]: "renewal" });
  });

  it("sends at most 100 inputs per request", async () => {
    const hub = seeded();
    const actions = Array.from({ length: 150 }, (_, i) => props(hub.addCompany(), { [P.score]: String(i % 100) }));
    const out = await hubspotConnector.deliver(actions, h().deps);
    expect(maxBatch).toBe(100);
    expect(out.every((o) => o.status === "delivered")).toBe(true);
    expect(batchCalls().map((r) => JSON.parse(r.body).inputs.length)).toEqual([100, 50]);
  });

  it("on 207 marks only the missing company permanent", async () => {
    const hub = seeded();
    const good = hub.addCompany();
    const out = await hubspotConnector.deliver([props(good, { [P.score]: "70" }), props("404404", { [P.score]: "1" })], h().deps);
    expect(out[0]).toMatchObject({ status: "delivered" });
    expect(out[1]).toMatchObject({ status: "permanent", httpStatus: 207 });
    expect(out[1]!.status === "permanent" && out[1]!.error).toContain("OBJECT_NOT_FOUND");
  });

  it("isolates one invalid input of a rejected batch so the others still land", async () => {
    const hub = seeded();
    const ids = Array.from({ length: 8 }, () => hub.addCompany());
    const actions = ids.map((id, i) => props(id, { [P.band]: i === 5 ? "purple" : "green" }));
    const out = await hubspotConnector.deliver(actions, h().deps);
    expect(out.filter((o) => o.status === "delivered")).toHaveLength(7);
    expect(out[5]).toMatchObject({ status: "permanent", httpStatus: 400 });
    expect(out[5]!.status === "permanent" && out[5]!.error).toContain("INVALID_OPTION");
    expect(hub.companies.get(ids[0]!)!.properties[P.band]).toBe("green");
    expect(hub.companies.get(ids[5]!)!.properties[P.band]).toBeUndefined();
  });

  it("on 429 retries after HubSpot's Retry-After and sends nothing more", async () => {
    const { fakes, deps } = h();
    fakes.hubspot.defineProperties(propertyDefinitions);
    const company = fakes.hubspot.addCompany();
    for (let i = 0; i < 100; i++) await fakes.hubspot.handle(new Request("https://hubspot.fake/crm/v3/objects/companies/1", { headers: { authorization: `Bearer ${deps.cfg.HUBSPOT_ACCESS_TOKEN}` } }));
    const before = fakes.hubspot.requests.length;
    const out = await hubspotConnector.deliver([props(company, { [P.score]: "1" }), note(company)], deps);
    expect(out[0]).toMatchObject({ status: "retry", httpStatus: 429, retryAfterMs: 10_000, policy: "TEN_SECONDLY_ROLLING" });
    expect(out[1]).toMatchObject({ status: "retry", policy: "TEN_SECONDLY_ROLLING" });
    expect(fakes.hubspot.requests.length - before).toBe(1);
  });

  it("retries 5xx (even an HTML body) and 423 no sooner than 2 s; a 401 is permanent", async () => {
    const hub = seeded();
    const company = hub.addCompany();
    hub.failNext(1, 502);
    const gateway = await hubspotConnector.deliver([props(company, { [P.score]: "1" })], h().deps);
    expect(gateway[0]).toMatchObject({ status: "retry", httpStatus: 502 });
    hub.failNext(1, 423);
    const locked = await hubspotConnector.deliver([props(company, { [P.score]: "1" })], h().deps);
    expect(locked[0]).toMatchObject({ status: "retry", httpStatus: 423, retryAfterMs: 2_000 });
    const badToken = { ...h().deps, cfg: { ...h().cfg, HUBSPOT_ACCESS_TOKEN: "pat-wrong" } };
    const denied = await hubspotConnector.deliver([props(company, { [P.score]: "1" })], badToken);
    expect(denied[0]).toMatchObject({ status: "permanent", httpStatus: 401 });
  });

  it("retries when the network fails", async () => {
    const deps = { ...h().deps, fetch: async () => Promise.reject(new TypeError("network down")) };
    const out = await hubspotConnector.deliver([props("1", { [P.score]: "1" })], deps);
    expect(out[0]).toMatchObject({ status: "retry" });
    expect(out[0]!.status === "retry" && out[0]!.error).toContain("network down");
  });
});

describe("hubspot connector: daily quota", () => {
  const h = useFakes({ hubspot: { dailyMax: 0 } });

  it("on a DAILY 429 without Retry-After waits until the next UTC midnight", async () => {
    const out = await hubspotConnector.deliver([props("1", { [P.score]: "1" })], h().deps);
    expect(out[0]).toMatchObject({ status: "retry", httpStatus: 429, policy: "DAILY", retryAfterMs: 12 * 3_600_000 });
  });
});

describe("hubspot connector: notes", () => {
  const h = useFakes();

  it("creates a note on the company timeline with the note-to-company association", async () => {
    const { fakes, deps } = h();
    const company = fakes.hubspot.addCompany();
    const out = await hubspotConnector.deliver([note(company)], deps);
    expect(out[0]).toMatchObject({ status: "delivered", result: { noteId: fakes.hubspot.notes[0]!.id } });
    expect(fakes.hubspot.notes[0]).toMatchObject({
      companyIds: [company],
      properties: { hs_note_body: "Health dropped to 42", hs_timestamp: new Date(START).toISOString() },
    });
  });

  it("a note for a company HubSpot does not have is permanent", async () => {
    const out = await hubspotConnector.deliver([note("77")], h().deps);
    expect(out[0]).toMatchObject({ status: "permanent", httpStatus: 400 });
  });
});

describe("hubspot connector: a note whose outcome is unknown", () => {
  const h = useFakes();

  it("is looked up on the company before it is created again", async () => {
    const { fakes, deps } = h();
    const company = fakes.hubspot.addCompany();
    const first = note(company, "Renewal at risk");
    const [created] = await hubspotConnector.deliver([first], deps);
    const [again] = await hubspotConnector.deliver([{ ...first, unconfirmed: true, attempts: 1 }], deps);
    expect(again).toEqual(created);
    expect(fakes.hubspot.notes).toHaveLength(1);
    expect(fakes.hubspot.requests.at(-1)!.path).toBe("/crm/v3/objects/notes/search");
  });

  it("is created when the search finds no such note (another body, another company)", async () => {
    const { fakes, deps } = h();
    const [a, b] = [fakes.hubspot.addCompany(), fakes.hubspot.addCompany()];
    await hubspotConnector.deliver([note(a, "one"), note(b, "two")], deps);
    const [out] = await hubspotConnector.deliver([{ ...note(a, "two"), unconfirmed: true }], deps);
    expect(out).toMatchObject({ status: "delivered" });
    expect(fakes.hubspot.notes.map((n) => [n.companyIds[0], n.properties.hs_note_body])).toEqual([[a, "one"], [b, "two"], [a, "two"]]);
  });

  it("is retried, not created, when the search itself fails", async () => {
    const { fakes, deps } = h();
    const company = fakes.hubspot.addCompany();
    fakes.hubspot.failNext(1, 503);
    const [out] = await hubspotConnector.deliver([{ ...note(company), unconfirmed: true }], deps);
    expect(out).toMatchObject({ status: "retry", httpStatus: 503 });
    expect(fakes.hubspot.notes).toHaveLength(0);
  });
});

describe("setupHubspotProperties", () => {
  const h = useFakes();

  it("creates the group and every property once, then finds them all", async () => {
    const { deps, fakes } = h();
    const first = await setupHubspotProperties(deps);
    expect(first).toHaveLength(1 + propertyDefinitions.length);
    expect(first.every((r) => r.status === "created")).toBe(true);
    expect(fakes.hubspot.props.properties.get(P.stage)!.options).toHaveLength(7);
    const second = await setupHubspotProperties(deps);
    expect(second.every((r) => r.status === "exists")).toBe(true);
  });

  it("reports a property with the wrong type and leaves it alone", async () => {
    const { deps, fakes } = h();
    fakes.hubspot.defineProperties([{ name: P.score, label: "Mine", type: "string", fieldType: "text" }]);
    const results = await setupHubspotProperties(deps);
    expect(results.find((r) => r.name === P.score)).toMatchObject({ status: "wrong_type", detail: "expected number, found string" });
    expect(fakes.hubspot.props.properties.get(P.score)).toMatchObject({ type: "string", label: "Mine" });
  });

  it("produces properties the pipeline's values fit", async () => {
    const { deps, fakes } = h();
    await setupHubspotProperties(deps);
    const company = fakes.hubspot.addCompany();
    const values = {
      [P.score]: "42", [P.band]: "red", [P.trend7]: "-12", [P.stage]: "loyalty",
      [P.stageSince]: String(START), [P.lastScoredAt]: new Date(START).toISOString(), [P.drivers]: "payments; tickets",
    };
    const out = await hubspotConnector.deliver([props(company, values)], deps);
    expect(out[0]).toMatchObject({ status: "delivered" });
  });
});

describe("hubspot property names", () => {
  it("setup creates exactly the properties the planner writes", () => {
    expect(new Set(propertyDefinitions.map((d) => d.name))).toEqual(new Set(Object.values(PLANNED)));
  });
});

describe("hubspot connector config", () => {
  const h = useFakes();
  it("is disabled without a token", () => {
    expect(hubspotConnector.disabledReason({ ...h().cfg, HUBSPOT_ACCESS_TOKEN: undefined })).toContain("HUBSPOT_ACCESS_TOKEN");
    expect(hubspotConnector.disabledReason(h().cfg)).toBeNull();
  });
});
