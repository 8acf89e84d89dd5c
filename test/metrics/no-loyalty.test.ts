import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { login, ORIGIN } from "../dashboard/seed";
import { ADMIN } from "../support/drain";

/** A deployment that has not applied the loyalty migration: metrics and pages still answer. */
beforeAll(async () => {
  await env.DB.batch(["referrals", "loyalty_members", "loyalty_ledger"].map((t) => env.DB.prepare(`DROP TABLE ${t}`)));
});

describe("without the loyalty tables", () => {
  it("loyalty metrics are null with the reason, the rest are computed", async () => {
    const body = await (await SELF.fetch(`${ORIGIN}/api/metrics`, { headers: ADMIN })).json<any>();
    expect(body.loyaltyProgram).toBe("loyalty tables absent");
    for (const name of ["loyaltyEnrollment", "referralRate", "pointsEarned", "pointsRedeemed", "referralFunnel"]) expect(body.metrics[name].value, name).toBeNull();
    expect(body.metrics.activeAccounts.value).toBe(0);
  });

  it("the dashboard's loyalty page and overview still render", async () => {
    const { cookie } = await login();
    const loyaltyPage = await (await SELF.fetch(`${ORIGIN}/loyalty`, { headers: { cookie } })).text();
    expect(loyaltyPage).toContain("tables do not exist yet");
    const overview = await SELF.fetch(`${ORIGIN}/overview`, { headers: { cookie } });
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain('data-chart="referral-funnel"');
  });
});
