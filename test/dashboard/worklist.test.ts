import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { saveOwnerStmt } from "../../src/store/owners";
import { ORIGIN, login } from "./seed";

const DAY = 86_400_000;

interface Seeded {
  id: string;
  name: string;
  domain: string;
  score: number | null;
  band: string | null;
  stage: string;
  mrr: number;
  currency: string;
  coverage: number;
  drivers: { factor: string; impact: number; detail: string; component: string }[];
  renewalIn?: number;
  owner?: string;
  stageDays: number;
}

const failed = { factor: "billing.payment_failed", impact: -12, detail: "payment failed 2 times, still unpaid", component: "billing" };
const idle = { factor: "usage.recency", impact: -9, detail: "no product use for 21 days", component: "usage" };
const tickets = { factor: "support.open_tickets", impact: -4, detail: "3 open tickets", component: "support" };
const upgrade = { factor: "billing.upgrade", impact: 5, detail: "upgraded 10 days ago", component: "billing" };

const customers: Seeded[] = [
  // MRR at risk: 100000 × 70 — first although "tiny" has the worst score.
  { id: "cus_big", name: "Big Co", domain: "big.example", score: 30, band: "red", stage: "renewal", mrr: 100_000, currency: "usd", coverage: 0.9, drivers: [tickets, failed, idle], renewalIn: 20, owner: "71002", stageDays: 12 },
  // 50000 × 40, second; a score on 15 % coverage.
  { id: "cus_mid", name: "Mid <b>Ltd</b>", domain: "mid.example", score: 60, band: "yellow", stage: "loyalty", mrr: 50_000, currency: "eur", coverage: 0.15, drivers: [idle], renewalIn: 45, owner: "99999", stageDays: 40 },
  // 1000 × 90, third; ahead of "xss" (10 × 45) by revenue.
  { id: "cus_tiny", name: "100% Club", domain: "tiny.example", score: 10, band: "red", stage: "onboarding", mrr: 1_000, currency: "usd", coverage: 0.6, drivers: [failed], stageDays: 3 },
  { id: "cus_happy", name: "under_score Inc", domain: "happy.example", score: 90, band: "green", stage: "loyalty", mrr: 200_000, currency: "usd", coverage: 1, drivers: [upgrade], renewalIn: 75, stageDays: 100 },
  { id: "cus_gone", name: "Gone Away", domain: "gone.example", score: 5, band: "red", stage: "churned", mrr: 0, currency: "usd", coverage: 0.8, drivers: [failed], renewalIn: 10, owner: "71002", stageDays: 8 },
  { id: "cus_bar", name: "Bar Stool", domain: "bar.example", score: 80, band: "green", stage: "loyalty", mrr: 100, currency: "usd", coverage: 1, drivers: [], stageDays: 5 },
  { id: "cus_xss", name: "<script>alert(1)</script>", domain: "xss.example", score: 55, band: "yellow", stage: "purchase", mrr: 10, currency: "gbp", coverage: 0.7, drivers: [], stageDays: 1 },
];

let cookie = "";
beforeAll(async () => {
  const now = Date.now();
  await env.DB.batch([
    ...customers.map((c) =>
      env.DB.prepare(
        `INSERT INTO customers (id, name, domain, state, score, band, stage, stage_since, health, mrr, currency, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).bind(
        c.id,
        c.name,
        c.domain,
        JSON.stringify({ crm: { properties: c.owner ? { hubspot_owner_id: { value: c.owner, at: now } } : {} } }),
        c.score,
        c.band,
        c.stage,
        now - c.stageDays * DAY - 1000,
        JSON.stringify({ score: c.score, coverage: c.coverage, drivers: c.drivers, snapshot: { renewalDate: c.renewalIn == null ? null : now + c.renewalIn * DAY } }),
        c.mrr,
        c.currency,
        now,
        now,
      ),
    ),
    saveOwnerStmt(env.DB, { id: "71002", name: "Dana Scully", email: "dana@example.com" }, now),
  ]);
  cookie = (await login()).cookie;
});

const page = async (path: string) => {
  const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie }, redirect: "manual" });
  expect(res.status).toBe(200);
  return res.text();
};

/** The customer ids of one list on the page, in order. */
const list = (html: string, name: string) => {
  const table = new RegExp(`<table data-list="${name}">(.*?)</table>`, "s").exec(html)?.[1] ?? "";
  return [...table.matchAll(/<tr data-customer="([^"]+)">/g)].map((m) => m[1]);
};
const row = (html: string, id: string) => new RegExp(`<tr data-customer="${id}">(.*?)</tr>`, "s").exec(html)?.[1] ?? "";

describe("the worklist at /", () => {
  it("ranks live red and yellow accounts by MRR at risk, not by score alone", async () => {
    const html = await page("/");
    expect(list(html, "attention")).toEqual(["cus_big", "cus_mid", "cus_tiny", "cus_xss"]);
  });

  it("shows the top two drivers in words, worst first, and the next step from the worst", async () => {
    const big = row(await page("/"), "cus_big");
    expect(big).toMatch(/payment failed 2 times, still unpaid<\/div><div[^>]*>no product use for 21 days/);
    expect(big).not.toContain("3 open tickets");
    expect(big).toContain("<td>Fix billing: payment failed 2 times, still unpaid</td>");
    expect(row(await page("/"), "cus_mid")).toContain("<td>Book a usage review</td>");
  });

  it("shows MRR at risk with its currency, owner names when known and the id otherwise, renewal and days in stage", async () => {
    const html = await page("/");
    const big = row(html, "cus_big");
    expect(big).toContain("700 USD");
    expect(big).toContain("of 1,000 USD");
    expect(big).toContain("<td>Dana Scully</td>");
    expect(big).not.toContain("71002");
    expect(big).toMatch(/<td class="num" title="renewal">12<\/td>/);
    const mid = row(html, "cus_mid");
    expect(mid).toContain("200 EUR");
    expect(mid).toContain("<td>99999</td>");
  });

  it("marks a score on low coverage as tentative, with the coverage in its title", async () => {
    const html = await page("/");
    expect(row(html, "cus_mid")).toMatch(/<span class="badge tentative" title="Coverage 15 %[^"]*"/);
    expect(row(html, "cus_big")).not.toContain("tentative");
    expect(row(html, "cus_big")).toContain("90 %");
  });

  it("keeps churned accounts out of the worklist and the renewals, and lists them on their own", async () => {
    const html = await page("/");
    expect(list(html, "attention")).not.toContain("cus_gone");
    expect(list(html, "churned")).toEqual(["cus_gone"]);
    expect(html).toContain("Churned (1)");
    expect(list(html, "renewals-30")).toEqual(["cus_big"]);
  });

  it("groups renewals into the next 30, 31–60 and 61–90 days, with their health", async () => {
    const html = await page("/");
    expect(list(html, "renewals-60")).toEqual(["cus_mid"]);
    expect(list(html, "renewals-90")).toEqual(["cus_happy"]);
    expect(row(html, "cus_happy")).toContain('<span class="badge green">green</span>');
  });

  it("escapes markup in names", async () => {
    const html = await page("/");
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("Mid &lt;b&gt;Ltd&lt;/b&gt;");
  });

  it("pages through the worklist", async () => {
    const html = await page("/?offset=2");
    expect(list(html, "attention")).toEqual(["cus_tiny", "cus_xss"]);
    expect(html).toContain('<a href="/">← Previous</a>');
  });
});

describe("navigation and the portfolio", () => {
  it("links the worklist and the metrics overview from the nav", async () => {
    const html = await page("/");
    expect(html).toContain('<a href="/" aria-current="page">Worklist</a>');
    expect(html).toContain('<a href="/overview">Overview</a>');
  });

  it("the portfolio shows an owner's name when it is known, the id otherwise", async () => {
    const html = await page("/portfolio?sort=mrr&dir=desc");
    expect(html).toContain("<td>Dana Scully</td>");
    expect(html).toContain("<td>99999</td>");
    expect(html).not.toContain("<td>71002</td>");
  });
});

describe("search", () => {
  const found = async (q: string) => list(await page(`/?q=${encodeURIComponent(q)}`), "search");

  it("finds accounts by domain, name or id, churned ones included", async () => {
    expect(await found("mid.exam")).toEqual(["cus_mid"]);
    expect(await found("gone")).toEqual(["cus_gone"]);
    expect(await found("cus_tiny")).toEqual(["cus_tiny"]);
  });

  it("treats % and _ as themselves, not as wildcards", async () => {
    expect(await found("%")).toEqual(["cus_tiny"]);
    // As a wildcard, `r_s` would also match "Bar Stool".
    expect(await found("r_s")).toEqual(["cus_happy"]);
    expect(await found("\\")).toEqual([]);
  });

  it("echoes the query escaped and says when nothing matches", async () => {
    const html = await page(`/?q=${encodeURIComponent("<img src=x>")}`);
    expect(html).not.toContain("<img src=x>");
    expect(html).toContain("&lt;img src=x&gt;");
    expect(html).toContain("No account matches.");
  });
});
