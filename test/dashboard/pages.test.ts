import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, ORIGIN, login, post, seed } from "./seed";

let session: { cookie: string; csrf: string };
beforeAll(async () => {
  await seed();
  session = await login();
});

const page = async (path: string, cookie = session.cookie) => {
  const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie }, redirect: "manual" });
  return { res, html: await res.text() };
};

describe("login", () => {
  it("shows the login form without a session, and no data", async () => {
    const { res, html } = await page("/", "");
    expect(res.status).toBe(200);
    expect(html).toContain('<form method="post" action="/login">');
    expect(html).not.toContain("<svg");
  });

  it("refuses a wrong token", async () => {
    const res = await SELF.fetch(`${ORIGIN}/login`, { method: "POST", body: new URLSearchParams({ token: "wrong" }), redirect: "manual" });
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await res.text()).toContain("That is not the admin token.");
  });

  it("sets a __Host- HttpOnly, Secure, SameSite=Strict session cookie that does not contain the token", async () => {
    const res = await SELF.fetch(`${ORIGIN}/login`, { method: "POST", body: new URLSearchParams({ token: ADMIN_TOKEN }), redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^__Host-tenure_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).not.toMatch(/Domain=/i);
    expect(cookie).not.toContain(ADMIN_TOKEN);
  });

  it("sets the same __Host- cookie on plain-http localhost (browsers accept Secure cookies from localhost)", async () => {
    const res = await SELF.fetch(`http://localhost:8787/login`, { method: "POST", body: new URLSearchParams({ token: ADMIN_TOKEN }), redirect: "manual" });
    expect(res.headers.get("set-cookie")).toMatch(/^__Host-tenure_session=[^;]+;.*; Secure/);
  });

  it("sends pages without a session back to the login page", async () => {
    for (const path of ["/overview", "/portfolio", "/customers/A", "/alerts", "/outbox", "/loyalty", "/model"]) {
      const { res } = await page(path, "");
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location")).toBe("/");
    }
    const forged = await page("/portfolio", "__Host-tenure_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect(forged.res.status).toBe(303);
  });
});

describe("overview", () => {
  it("renders every chart as inline SVG with a title, plus the metric cards with their definitions behind a disclosure", async () => {
    const { res, html } = await page("/overview");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    for (const id of ["health-distribution", "portfolio-score", "stage-funnel", "nps-trend", "churn-retention", "referral-funnel"]) {
      expect(html, id).toMatch(new RegExp(`<svg [^>]*data-chart="${id}"[^>]*>\\s*<title id="${id}-t">`));
    }
    expect(html).toContain('data-metric="retention"');
    expect(html).toMatch(/<details class="definitions"><summary>[^<]+<\/summary><dl>.*Customer retention rate: \(E − N\) \/ S/s);
    // Health distribution: green A + D, yellow B + E, red C + G.
    expect(html).toMatch(/<title>green: 2<\/title>/);
    expect(html).toMatch(/<title>red: 2<\/title>/);
  });

  it("a reversed window falls back to the last 30 days and says why", async () => {
    const { res, html } = await page("/overview?from=2026-11-01&to=2026-10-01");
    expect(res.status).toBe(200);
    expect(html).toContain("`from` must be before `to`. Showing the last 30 days.");
  });

  it("a date-only `to` includes that whole day", async () => {
    const { html } = await page("/overview?from=2026-10-01&to=2026-10-31");
    // October: retention (E − N) / S = 66.7, as in the metrics tests.
    expect(html).toMatch(/data-metric="retention"><div>Customer retention<\/div><div class="v">66.7%<\/div>/);
    expect(html).toContain('name="to" value="2026-10-31"');
  });
});

describe("portfolio", () => {
  const order = (html: string) => [...html.matchAll(/<a href="\/customers\/([A-Z])">/g)].map((m) => m[1]).join("");

  it("sorts by the column in the query, either way", async () => {
    expect(order((await page("/portfolio?sort=score&dir=desc")).html)).toBe("ADBECGF");
    expect(order((await page("/portfolio?sort=score&dir=asc")).html)).toBe("GCEBDAF");
    expect(order((await page("/portfolio?sort=mrr&dir=desc")).html)).toBe("ABEDCFG");
    expect(order((await page("/portfolio?sort=renewal&dir=asc")).html)).toBe("BACDEFG");
  });

  it("filters by band and ignores an unknown sort", async () => {
    expect(order((await page("/portfolio?band=green&sort=nonsense")).html)).toBe("DA");
  });
});

describe("customer page", () => {
  it("shows history, components, drivers, stage timeline, tickets, usage, rewards and actions", async () => {
    const { res, html } = await page("/customers/A");
    expect(res.status).toBe(200);
    for (const id of ["score-history", "components", "usage"]) expect(html).toContain(`data-chart="${id}"`);
    expect(html).toContain("One failed payment");
    expect(html).toContain("<strong>loyalty</strong>");
    expect(html).toContain("Invoice PDF missing");
    expect(html).toContain("balance <strong>120</strong> points");
    expect(html).toMatch(/data-action-id="slack.alert:payment_failed:A:in_1:1" data-status="failed"/);
  });

  it("answers 404 for an unknown customer, as a page", async () => {
    const { res, html } = await page("/customers/nobody");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(html).toContain("Customer nobody not found");
  });
});

describe("alerts, loyalty and model", () => {
  it("lists Slack alerts with their delivery status", async () => {
    const { html } = await page("/alerts");
    expect(html).toContain("Customer A: payment failed (attempt 1).");
    expect(html).toContain("channel_not_found");
  });

  it("shows the loyalty leaderboard and ledger", async () => {
    const { html } = await page("/loyalty");
    expect(html).toContain("1 members enrolled.");
    expect(html).toContain("review_submitted");
  });

  it("shows the model's weights and runs the backtest through the API", async () => {
    const { html } = await page("/model");
    expect(html).toMatch(/<td>billing<\/td><td class="num">30<\/td>/);
    const res = await post("/model/backtest", session.cookie, { _csrf: session.csrf, horizonDays: "30", stepDays: "7" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("data-backtest");
  });
});

describe("outbox forms", () => {
  const status = async (id: string) => (await env.DB.prepare(`SELECT status, attempts FROM outbox WHERE id = ?`).bind(id).first<{ status: string; attempts: number }>())!;

  it("refuses a form without the session's CSRF token", async () => {
    const id = "slack.alert:payment_failed:A:in_1:1";
    expect((await post(`/outbox/${encodeURIComponent(id)}/retry`, session.cookie, {})).status).toBe(403);
    const other = await login();
    expect((await post(`/outbox/${encodeURIComponent(id)}/retry`, session.cookie, { _csrf: other.csrf })).status).toBe(403);
    expect((await post(`/outbox/${encodeURIComponent(id)}/retry`, "", { _csrf: session.csrf })).status).toBe(403);
    expect((await status(id)).status).toBe("failed");
  });

  it("Retry re-queues a failed action through the admin API and says so", async () => {
    const id = "slack.alert:payment_failed:A:in_1:1";
    const { html } = await page("/outbox");
    expect(html).toContain(`action="/outbox/${encodeURIComponent(id)}/retry"`);
    const res = await post(`/outbox/${encodeURIComponent(id)}/retry`, session.cookie, { _csrf: session.csrf, back: "https://evil.example/" });
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toMatch(/^\/outbox\?notice=requeued&id=/);
    expect(await status(id)).toMatchObject({ status: "pending", attempts: 0 });
    expect((await page(location)).html).toContain(`Action ${id} was re-queued.`);
  });

  it("a delivered action is never retried", async () => {
    const id = "slack.alert:payment_failed:B:in_2:1";
    const res = await post(`/outbox/${encodeURIComponent(id)}/retry`, session.cookie, { _csrf: session.csrf, back: "/customers/B" });
    expect(res.headers.get("location")).toMatch(/^\/customers\/B\?notice=delivered/);
    expect((await status(id)).status).toBe("delivered");
  });

  it("Replay re-queues dead letters of one destination", async () => {
    const res = await post("/outbox/replay", session.cookie, { _csrf: session.csrf, destination: "hubspot", from: "", to: "", status: "" });
    expect(res.headers.get("location")).toBe("/outbox?notice=replayed&n=1");
    expect((await status("hubspot.properties:123")).status).toBe("pending");
  });

  it("logout clears the cookie", async () => {
    const res = await post("/logout", session.cookie, { _csrf: session.csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get("set-cookie")).toMatch(/tenure_session=;.*Max-Age=0/);
  });
});
