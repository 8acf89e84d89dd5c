import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ROW_LIMIT_BYTES } from "../../src/store/limits";
import { takeRefusedRequests } from "../support/no-network";
import { oversizedRows } from "../support/row-ceiling";

describe("test-wide guards", () => {
  it("refuses an outbound request no fake answers, and records it for the after-each check", async () => {
    await expect(fetch("https://hubspot.fake/crm/v3/objects/companies")).rejects.toThrow(/no fake answers https:\/\/hubspot\.fake/);
    expect(takeRefusedRequests()).toEqual(["GET https://hubspot.fake/crm/v3/objects/companies"]);
  });

  it("finds a stored row over the 1 MB ceiling in any table", async () => {
    expect(await oversizedRows(env.DB)).toEqual([]);
    // Built inside SQLite: a bound string that long is refused before it gets there (test/setup/d1-limits.ts).
    await env.DB.prepare(`INSERT INTO contacts (id, email, name, updated_at) VALUES ('big', NULL, replace(hex(zeroblob(?)), '00', 'x'), 0)`).bind(ROW_LIMIT_BYTES + 1).run();
    const over = await oversizedRows(env.DB);
    expect(over).toHaveLength(1);
    expect(over[0]?.tbl).toBe("contacts");
    expect(over[0]?.bytes).toBeGreaterThan(ROW_LIMIT_BYTES);
    await env.DB.prepare(`DELETE FROM contacts WHERE id = 'big'`).run();
    expect(await oversizedRows(env.DB)).toEqual([]);
  });
});
