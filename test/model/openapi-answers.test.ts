import { beforeAll, describe, expect, it } from "vitest";
import { openapiDocument } from "../../src/routes/openapi-doc";
import { mismatch, resolveRef, undeclaredKeys } from "../routes/openapi-shape";
import { api, seedCustomers } from "./seed";

const doc = JSON.parse(JSON.stringify(openapiDocument)) as Record<string, any>;

/** The documented schema of an answer, with the body checked against it (types and no undeclared keys). */
async function expectDocumented(res: Response, method: string, template: string) {
  const op = doc.paths[template]?.[method.toLowerCase()];
  expect(op, `${method} ${template} is documented`).toBeDefined();
  const declared = op.responses[String(res.status)];
  expect(declared, `${method} ${template} ${res.status} is documented`).toBeDefined();
  const schema = (declared.$ref ? resolveRef(doc, declared.$ref) : declared).content["application/json"].schema;
  const body = await res.json<Record<string, unknown>>();
  expect(mismatch(body, schema, doc), `${method} ${template}`).toBeNull();
  expect(undeclaredKeys(body, schema, doc), `${method} ${template}`).toEqual([]);
  return body;
}

describe("the model version routes answer as documented", () => {
  let id: string;
  beforeAll(async () => {
    await seedCustomers();
  });

  it("create, list, show, preview, activate, roll back, calibrate", async () => {
    const created = await expectDocumented(await api("POST", "/api/model/versions", { model: { weights: { usage: 40 } }, note: "more usage" }), "POST", "/api/model/versions");
    id = created.id as string;
    await expectDocumented(await api("GET", "/api/model/versions"), "GET", "/api/model/versions");
    await expectDocumented(await api("GET", `/api/model/versions/${id}`), "GET", "/api/model/versions/{id}");
    await expectDocumented(await api("GET", "/api/model/versions/mv_missing000"), "GET", "/api/model/versions/{id}");
    await expectDocumented(await api("POST", `/api/model/versions/${id}/preview`, {}), "POST", "/api/model/versions/{id}/preview");
    await expectDocumented(await api("POST", `/api/model/versions/${id}/preview`, { paged: true }), "POST", "/api/model/versions/{id}/preview");
    await expectDocumented(await api("GET", `/api/model/versions/${id}/preview`), "GET", "/api/model/versions/{id}/preview");
    await expectDocumented(await api("POST", `/api/model/versions/${id}/activate`), "POST", "/api/model/versions/{id}/activate");
    await expectDocumented(await api("GET", "/api/model"), "GET", "/api/model");
    await expectDocumented(await api("POST", `/api/model/versions/default/activate`), "POST", "/api/model/versions/{id}/activate");
    await expectDocumented(await api("POST", "/api/model/calibrate", { horizonDays: 90 }), "POST", "/api/model/calibrate");
    await expectDocumented(await api("POST", "/api/model/versions", { model: { bands: { red: 90, green: 10 } } }), "POST", "/api/model/versions");
  });
});
