import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { emptyState } from "../../src/core/state";
import { loadCustomers, saveCustomerStmts, type CustomerWrite } from "../../src/store/customers";

const write = (expectedVersion: number | null, name: string): CustomerWrite => ({
  id: "cu_guard",
  expectedVersion,
  name,
  domain: null,
  state: emptyState(),
  health: null,
  score: 50,
  band: "yellow",
  stage: "awareness",
  stageSince: null,
  mrr: 0,
  currency: null,
  alerts: {},
  timelineThrough: null,
  now: 1,
});

describe("the customer version guard", () => {
  it("rolls back the whole batch when another writer committed first", async () => {
    await env.DB.batch(saveCustomerStmts(env.DB, write(null, "created")));
    // Two writers read version 1; the first commits (version 2), the second must fail and change nothing.
    await env.DB.batch(saveCustomerStmts(env.DB, write(1, "first")));
    const marker = env.DB.prepare(`INSERT INTO identities (kind, value, customer_id, created_at) VALUES ('account', 'stale-writer', 'cu_guard', 0)`);
    await expect(env.DB.batch([...saveCustomerStmts(env.DB, write(1, "second")), marker])).rejects.toThrow();
    const c = (await loadCustomers(env.DB, ["cu_guard"])).get("cu_guard")!;
    expect(c.version).toBe(2);
    const name = await env.DB.prepare(`SELECT name FROM customers WHERE id = 'cu_guard'`).first<{ name: string }>();
    expect(name!.name).toBe("first");
    expect(await env.DB.prepare(`SELECT 1 FROM identities WHERE value = 'stale-writer'`).first()).toBeNull();
  });

  it("a second creation of the same customer fails instead of overwriting", async () => {
    await expect(env.DB.batch(saveCustomerStmts(env.DB, write(null, "again")))).rejects.toThrow();
  });
});
