import { afterEach, describe, expect, it, vi } from "vitest";
import { configureLog, errorFields, log } from "../../src/log";

/** The scrubber itself, on values the scenario's well-behaved test secrets cannot exercise. */
function capture(fn: () => void): string[] {
  const lines: string[] = [];
  for (const m of ["log", "warn", "error"] as const) vi.spyOn(console, m).mockImplementation((line: unknown) => void lines.push(String(line)));
  fn();
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe("log scrubbing", () => {
  it("redacts a secret wherever it appears in a field, an error message or the message itself", () => {
    const secret = "sk_live_scrub_me_0123456789";
    configureLog({ secrets: [secret], level: "debug" });
    const lines = capture(() => {
      log("info", `calling with ${secret}`, { header: `Bearer ${secret}`, nested: { deep: [secret] } });
      log("error", "failed", errorFields(new Error(`401 for key ${secret}`)));
    });
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain(secret);
  });

  it("redacts a secret that JSON escapes (a quote or a backslash in it)", () => {
    // Lines are JSON: a secret with `"` or `\` appears escaped, so matching the raw value misses it.
    const secret = 'whsec_a"b\\c_0123456789';
    configureLog({ secrets: [secret], level: "debug" });
    const [line] = capture(() => log("warn", "signature check", { secret }));
    expect(JSON.parse(line!).secret).not.toBe(secret);
    expect(line).not.toContain(JSON.stringify(secret).slice(1, -1));
  });
});
