import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN } from "../support/drain";
import { definitions } from "../../src/core/metrics";
import { OCTOBER, loyalty, portfolio, transitions } from "./dataset";

/** The October portfolio stored the way the pipeline stores it, read back through the SQL and the API. */
beforeAll(async () => {
  const now = Date.now();
  await env.DB.batch([
    ...portfolio().map((c) =>
      env.DB.prepare(
        `INSERT INTO customers (id, name, state, score, band, stage, health, mrr, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).bind(c.id, c.name, JSON.stringify(c.state), c.band ? 60 : null, c.band, c.stage, JSON.stringify({ snapshot: { segments: c.segments } }), c.mrr, now, now),
    ),
    ...transitions.map((t) =>
      env.DB.prepare(`INSERT INTO stage_transitions (customer_id, at, from_stage, to_stage) VALUES (?, ?, ?, ?)`).bind(t.customerId, t.at, t.from, t.to),
    ),
    ...loyalty.enrollments.map((e) => env.DB.prepare(`INSERT INTO loyalty_members (customer_id, enrolled_at, via) VALUES (?, ?, 'earn')`).bind(e.customerId, e.at)),
    ...loyalty.ledger.map((e, i) =>
      env.DB.prepare(`INSERT INTO loyalty_ledger (id, customer_id, entry, points, rules_version, at) VALUES (?, ?, ?, ?, 'r1', ?)`).bind(`l${i}`, e.customerId, e.points > 0 ? "points.earned" : "points.redeemed", e.points, e.at),
    ),
    // A badge row moves no points: it must not count as earned or redeemed.
    env.DB.prepare(`INSERT INTO loyalty_ledger (id, customer_id, entry, points, rules_version, at) VALUES ('badge', 'A', 'badge.awarded', 0, 'r1', ?)`).bind(OCTOBER.from + 1),
    ...loyalty.referrals.map((r) =>
      env.DB.prepare(`INSERT INTO referrals (referred_id, referrer_id, source, status, attributed_at, version, write_token, updated_at) VALUES (?, ?, 'promotion_code', ?, ?, 1, 't', ?)`).bind(
        r.referredId,
        r.referrerId,
        r.status,
        r.at,
        r.at,
      ),
    ),
  ]);
});

const get = (query: string, headers: Record<string, string> = ADMIN) => SELF.fetch(`https://tenure.example.com/api/metrics${query}`, { headers });

describe("GET /api/metrics", () => {
  it("needs the admin token", async () => {
    expect((await get("", {})).status).toBe(401);
  });

  it("computes the hand-checked October values from D1 (ISO dates)", async () => {
    const res = await get(`?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z`);
    expect(res.status).toBe(200);
    const body = await res.json<any>();
    expect(body.window).toMatchObject({ from: OCTOBER.from, to: OCTOBER.to, period: "month", fromIso: "2026-10-01T00:00:00.000Z" });
    const m = body.metrics;
    // Same arithmetic as metrics.test.ts: the partial state loaded by SQL must give the same numbers.
    expect(m.nps).toMatchObject({ value: 25, responses: 4 });
    expect(m.retention).toMatchObject({ value: 66.7, start: 3, end: 4, new: 2 });
    expect(m.logoChurn.value).toBe(33.3);
    expect(m.revenueChurn.value).toBe(60.5);
    expect(m.netRevenueRetention.value).toBe(39.5);
    expect(m.customerLifetimeValue.value).toBe(13640);
    expect(m.activeAccounts.value).toBe(2);
    expect(m.onboardingCompletion.value).toBe(50);
    expect(m.timeToFirstValue.value).toBe(2);
    expect(m.stageFunnel.value[1]).toEqual({ stage: "conversion", current: 0, reached: 6, conversion: 85.7 });
    expect(m.topTicketTopics.value[0].topics[0]).toMatchObject({ topic: "billing", tickets: 2 });
    for (const [name, metric] of Object.entries<any>(m)) expect(typeof metric.definition, name).toBe("string");
  });

  it("reads the loyalty tables: the same enrollment, points and referral numbers as by hand", async () => {
    const m = (await (await get(`?from=${OCTOBER.from}&to=${OCTOBER.to}`)).json<any>()).metrics;
    expect(m.loyaltyEnrollment).toMatchObject({ value: 50, enrolled: 2, paying: 4 });
    expect([m.pointsEarned.value, m.pointsRedeemed.value]).toEqual([150, 40]);
    expect(m.referralRate).toMatchObject({ value: 50, referred: 1, new: 2 });
    expect(m.referralFunnel.value.map((s: any) => s.count)).toEqual([3, 1, 0]);
  });

  it("the OpenAPI document states the same definitions", async () => {
    const doc = await (await SELF.fetch("https://tenure.example.com/openapi.json")).json<any>();
    const op = doc.paths["/api/metrics"].get;
    expect(op.description).toContain(definitions.retention);
    expect(op.responses["200"].content["application/json"].schema.properties.metrics.properties.nps.properties.definition.const).toBe(definitions.nps);
  });

  it("accepts ms, a weekly period, a segment and a gross margin", async () => {
    const res = await get(`?from=${OCTOBER.from}&to=${OCTOBER.to}&period=week&segment=band&grossMargin=0.4`);
    const body = await res.json<any>();
    expect(body.series.map((p: any) => p.period)).toEqual(["2026-09-28", "2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"]);
    // Half the margin, half the CLV: 5500 × 0.4 / (10/31) = 6820
    expect(body.metrics.customerLifetimeValue.value).toBe(6820);
    expect(body.segments.groups.map((g: any) => g.value)).toEqual(["green", "red", "unscored", "yellow"]);
  });

  it("defaults to the last 30 days", async () => {
    const before = Date.now();
    const body = await (await get("")).json<any>();
    expect(body.window.to).toBeGreaterThanOrEqual(before);
    expect(body.window.to - body.window.from).toBe(30 * 86_400_000);
  });

  it("rejects a bad window with a 400 that says why", async () => {
    const bad = await get(`?from=yesterday`);
    expect(bad.status).toBe(400);
    expect((await bad.json<any>()).error.message).toMatch(/ISO 8601/);
    const reversed = await get(`?from=2026-11-01&to=2026-10-01`);
    expect(reversed.status).toBe(400);
    expect((await reversed.json<any>()).error.message).toMatch(/before/);
    expect((await get(`?period=year`)).status).toBe(400);
  });
});
