import { describe, expect, it } from "vitest";
import { summarizeUserAgent } from "../../src/core/user-agent";

describe("user agent summary", () => {
  it("names the browser's family, major version and OS, and nothing more", () => {
    expect(summarizeUserAgent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15")).toBe("Safari 17 on macOS");
    expect(summarizeUserAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0")).toBe("Firefox 128 on Windows");
    expect(summarizeUserAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")).toBe("Edge 131 on Windows");
    expect(summarizeUserAgent("curl/8.5.0")).toBe("curl 8");
    expect(summarizeUserAgent("something-else/1.0")).toBe("Other client");
    expect(summarizeUserAgent(undefined)).toBe("Unknown client");
  });
});
