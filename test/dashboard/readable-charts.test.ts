import { SELF, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { emptyState } from "../../src/core/state";
import { ORIGIN, login, seed } from "./seed";

const DAY = 86_400_000;
let session: { cookie: string; csrf: string };

/** The shared seed (USD customers A–G, October 2026) plus H, a green EUR customer with recent tickets and survey answers. */
beforeAll(async () => {
  await seed();
  const now = Date.now();
  const s = emptyState();
  const subjects = ["Invoice PDF missing", "Invoice PDF is blank", "Where is the invoice PDF?"];
  subjects.forEach((subject, i) => {
    s.support.tickets[`zendesk:h${i}`] = { desk: "zendesk", statusLog: {}, slaBreached: false, openedAt: now - (i + 1) * DAY, tags: [], subject };
  });
  s.sentiment.responses.h1 = { score: 10, at: now - 2 * DAY, by: "ev" };
  s.sentiment.responses.h2 = { score: 3, at: now - 3 * DAY, by: "ev" };
  await env.DB.prepare(
    `INSERT INTO customers (id, name, state, score, band, stage, health, mrr, currency, created_at, updated_at) VALUES ('H', 'Hoffmann GmbH', ?, 88, 'green', 'loyalty', '{}', 250000, 'eur', ?, ?)`,
  )
    .bind(JSON.stringify(s), now, now)
    .run();
  session = await login();
});

const page = async (path: string) => {
  const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie: session.cookie }, redirect: "manual" });
  return { res, html: await res.text() };
};
const tickLabels = (html: string, chart: string) => {
  const svg = new RegExp(`<svg [^>]*data-chart="${chart}".*?</svg>`, "s").exec(html)![0];
  return [...svg.matchAll(/text-anchor="middle" class="tick">([^<]+)</g)].map((m) => m[1]!);
};

describe("overview: charts a person can read", () => {
  it("shows each rate with its sample size, and marks a small sample tentative", async () => {
    const { res, html } = await page("/overview?days=30");
    expect(res.status).toBe(200);
    // H's two answers in the last 30 days: one promoter, one detractor.
    expect(html).toMatch(/<div class="card tentative" data-metric="nps"><div>NPS<\/div><div class="v">0<\/div><p data-n="2">n=2 responses · too few to trust<\/p>/);
    expect(html).toMatch(/data-metric="retention">.*?<p data-n="\d+">n=\d+ paying at start/s);
  });

  it("puts the currency on every money figure and never adds two currencies", async () => {
    const { html } = await page("/overview?days=30");
    // Green: A 10000 + D 3000 USD cents, H 250000 EUR cents, side by side.
    expect(html).toContain("<td>green</td><td>3</td><td>2,500 EUR · 130 USD</td>");
    expect(html).not.toMatch(/<td>green<\/td><td>3<\/td><td>[\d,]+<\/td>/);
  });

  it("labels a 30-day window by day, and its trend axis spans only that window", async () => {
    const { html } = await page("/overview?days=30");
    for (const chart of ["portfolio-score", "nps-trend", "churn-retention"]) {
      const labels = tickLabels(html, chart);
      expect(labels.length, chart).toBeGreaterThan(2);
      for (const l of labels) expect(l, chart).toMatch(/^[A-Z][a-z]{2} \d{1,2}$/);
    }
    expect(html).toContain('<option value="30" selected="">last 30 days</option>');
  });

  it("labels a 365-day window by month", async () => {
    const labels = tickLabels((await page("/overview?days=365")).html, "nps-trend");
    expect(labels.length).toBeGreaterThan(5);
    for (const l of labels) expect(l).toMatch(/^[A-Z][a-z]{2}( \d{4})?$/);
  });

  it("lists ticket topics as phrases with example tickets linked to their customers", async () => {
    const { html } = await page("/overview?days=30");
    const row = /<tr data-topic="invoice pdf">.*?<\/tr>/s.exec(html)?.[0] ?? "";
    expect(row).toContain("<strong>invoice pdf</strong>");
    expect(row).toMatch(/3 <span class="muted">of 3<\/span>/);
    expect(row).toContain("Invoice PDF missing");
    expect(row).toContain('<a href="/customers/H">Hoffmann GmbH</a>');
    // The definition sits behind the disclosure, not above the table.
    expect(html).toMatch(/<details class="definitions">.*data-definition="topTicketTopics"/s);
  });
});

describe("customer page charts", () => {
  it("shows money with its currency and a chart window the reader can choose", async () => {
    const { res, html } = await page("/customers/H?days=7");
    expect(res.status).toBe(200);
    expect(html).toContain("2,500 EUR");
    expect(html).toContain('<strong aria-current="true">7</strong>');
    const labels = tickLabels(html, "score-history");
    expect(labels.length).toBeGreaterThanOrEqual(5);
    for (const l of labels) expect(l).toMatch(/^[A-Z][a-z]{2} \d{1,2}$/);
  });
});

describe("portfolio score over a year", () => {
  it("reads one point per customer per week and draws the score at each week's close, today included", async () => {
    const now = Date.now();
    // Daily changes for A over the last 60 days: only the last of each 7-day step is read.
    await env.DB.batch(
      Array.from({ length: 60 }, (_, i) =>
        env.DB.prepare(`INSERT OR REPLACE INTO score_history (customer_id, at, score, band, stage, components, model_version) VALUES ('A', ?, ?, 'green', 'loyalty', '{}', 'v')`).bind(now - (i + 30) * DAY, 50 + (i % 7)),
      ),
    );
    const { html } = await page("/overview?days=365");
    const svg = /<svg [^>]*data-chart="portfolio-score".*?<\/svg>/s.exec(html)![0];
    const days = [...svg.matchAll(/<title>Mean score (\d{4}-\d{2}-\d{2}):/g)].map((m) => Date.parse(m[1]!) / DAY);
    expect(days.length).toBeGreaterThan(8);
    expect(days.length).toBeLessThanOrEqual(54);
    for (const d of days.slice(0, -1)) expect((d + 1) % 7).toBe(0);
    expect(days.at(-1)).toBe(Math.floor(now / DAY));
  });
});
