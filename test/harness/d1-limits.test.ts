import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BOUND_VALUE_LIMIT_BYTES, STATEMENT_LIMIT_BYTES } from "../support/d1-limits";

describe("D1 limits the local runtime does not enforce (test/setup/d1-limits.ts)", () => {
  it("refuses a bound string over the ceiling, on any statement", () => {
    const stmt = env.DB.prepare(`SELECT length(?) AS n`);
    expect(() => stmt.bind("x".repeat(BOUND_VALUE_LIMIT_BYTES + 1))).toThrow(/over Tenure's 1000000-byte ceiling/);
    expect(() => stmt.bind("é".repeat(BOUND_VALUE_LIMIT_BYTES / 2 + 1))).toThrow(/bytes is over/);
  });

  it("accepts one at the ceiling", async () => {
    const n = await env.DB.prepare(`SELECT length(?) AS n`).bind("x".repeat(BOUND_VALUE_LIMIT_BYTES)).first<{ n: number }>("n");
    expect(n).toBe(BOUND_VALUE_LIMIT_BYTES);
  });

  it("refuses SQL text over 100,000 bytes", () => {
    expect(() => env.DB.prepare(`SELECT 1 -- ${"x".repeat(STATEMENT_LIMIT_BYTES)}`)).toThrow(/over D1's 100000-byte limit/);
  });
});
