import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { upsertContactsStmt } from "../../src/store/identity";
import { ADMIN } from "../support/drain";
import { BASE } from "./people";

describe("erasure routes", () => {
  it("refuses without the admin token, and answers 404 for a contact or an erasure it does not know", async () => {
    expect((await SELF.fetch(`${BASE}/api/contacts/hubspot:1`, { method: "DELETE" })).status).toBe(401);
    const missing = await SELF.fetch(`${BASE}/api/contacts/hubspot:404`, { method: "DELETE", headers: ADMIN });
    expect(missing.status).toBe(404);
    expect((await SELF.fetch(`${BASE}/api/erasures/er_unknown`, { headers: ADMIN })).status).toBe(404);
  });

  it("a second DELETE while the erasure runs answers the same erasure, and the status shows no identifier", async () => {
    await upsertContactsStmt(env.DB, [{ id: "segment:Pat.Lee@Routes.example", customerId: "cu_routes", email: "pat.lee@routes.example", name: "Pat Leeward" }], Date.now()).run();
    const url = `${BASE}/api/contacts/${encodeURIComponent("segment:Pat.Lee@Routes.example")}`;
    const first = await SELF.fetch(url, { method: "DELETE", headers: ADMIN });
    expect(first.status).toBe(202);
    const a = await first.json<{ id: string; statusUrl: string }>();
    const second = await SELF.fetch(url, { method: "DELETE", headers: ADMIN });
    expect(second.status).toBe(202);
    expect((await second.json<{ id: string }>()).id).toBe(a.id);
    const status = await SELF.fetch(`${BASE}${a.statusUrl}`, { headers: ADMIN });
    const text = (await status.text()).toLowerCase();
    // The local queue may already have run a page or all of them.
    expect(JSON.parse(text)).toMatchObject({ id: a.id.toLowerCase(), status: expect.stringMatching(/^(running|done)$/), step: expect.any(String) });
    expect(text).not.toContain("leeward");
  });
});
