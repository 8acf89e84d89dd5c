import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { accessSettings } from "../../src/dashboard/access";
import { ConfigError, loadConfig } from "../../src/env";

const cfg = (vars: Record<string, string>) => loadConfig({ ...env, ...vars });

describe("Cloudflare Access and roles configuration", () => {
  it("is off with neither variable, on with both (trailing slash dropped), a clear error with one", () => {
    expect(accessSettings(cfg({}))).toBeNull();
    expect(accessSettings(cfg({ CF_ACCESS_TEAM_DOMAIN: "https://acme.cloudflareaccess.com/", CF_ACCESS_AUD: "aud123" }))).toEqual({
      teamDomain: "https://acme.cloudflareaccess.com",
      audience: "aud123",
    });
    expect(() => accessSettings(cfg({ CF_ACCESS_AUD: "aud123" }))).toThrow(ConfigError);
    expect(() => accessSettings(cfg({ CF_ACCESS_TEAM_DOMAIN: "https://acme.cloudflareaccess.com" }))).toThrow(/CF_ACCESS_AUD/);
  });

  it("parses TENURE_ROLES, and names it when it is not JSON or not the expected shape", () => {
    expect(cfg({ TENURE_ROLES: '{"admins":["A@x.com"]}' }).TENURE_ROLES).toEqual({ admins: ["a@x.com"], csms: [] });
    expect(cfg({}).TENURE_ROLES).toEqual({ admins: [], csms: [] });
    expect(() => cfg({ TENURE_ROLES: "admins: a@x.com" })).toThrow(/TENURE_ROLES must be JSON/);
    expect(() => cfg({ TENURE_ROLES: '{"admins":"a@x.com"}' })).toThrow(/TENURE_ROLES/);
    expect(() => cfg({ CF_ACCESS_TEAM_DOMAIN: "acme" })).toThrow(/CF_ACCESS_TEAM_DOMAIN/);
  });
});
