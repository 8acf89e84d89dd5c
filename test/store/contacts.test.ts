import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { upsertContactsStmt } from "../../src/store/identity";

describe("a person seen again", () => {
  it("writes nothing when nothing about them changed, and updates what did", async () => {
    const seen = (over: { email?: string; role?: string } = {}) => upsertContactsStmt(env.DB, [{ id: "segment:u_same", customerId: "cu_same", email: "dana@acme.example", ...over }], Date.now()).run();
    await seen();
    const again = await seen();
    expect(again.meta.changes).toBe(0);
    const promoted = await seen({ role: "admin" });
    expect(promoted.meta.changes).toBe(1);
    const row = await env.DB.prepare(`SELECT email, role FROM contacts WHERE id = 'segment:u_same'`).first();
    expect(row).toEqual({ email: "dana@acme.example", role: "admin" });
  });
});
