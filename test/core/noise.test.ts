import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { noiseBudget, type NoiseAccount, type NoiseAlert } from "../../src/core/noise";
import { mulberry32 } from "../../scripts/demo/random";
import { formatNoise } from "../../scripts/noise-format.mjs";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1);
const RULES = ["entered_red", "score_drop", "payment_failed"];

/** A cohort: accounts with an optional churn, and alerts on some of them, all within the last year. */
const cohort = fc
  .array(fc.record({ churnDay: fc.option(fc.integer({ min: 0, max: 365 }), { nil: null }), alerts: fc.array(fc.record({ rule: fc.constantFrom(...RULES), day: fc.integer({ min: 0, max: 365 }) }), { maxLength: 3 }) }), { maxLength: 40 })
  .map((rows) => {
    const accounts: NoiseAccount[] = rows.map((r, i) => ({ customerId: `cu_${i}`, churnedAt: r.churnDay === null ? null : NOW - r.churnDay * DAY }));
    const alerts: NoiseAlert[] = rows.flatMap((r, i) => r.alerts.map((a) => ({ customerId: `cu_${i}`, rule: a.rule, at: NOW - a.day * DAY })));
    return { accounts, alerts };
  });

const horizon = fc.integer({ min: 1, max: 180 });

describe("noiseBudget: laws", () => {
  it("counts add up: alerts per rule, alerted and non-alerted accounts within the cohort, churned within their groups", () => {
    fc.assert(
      fc.property(cohort, horizon, ({ accounts, alerts }, horizonDays) => {
        const b = noiseBudget(alerts, accounts, { horizonDays, now: NOW });
        expect(b.rules.reduce((n, r) => n + r.alertsFired, 0)).toBe(alerts.length);
        for (const r of b.rules) {
          expect(r.alertsFired).toBe(alerts.filter((a) => a.rule === r.rule).length);
          expect(r.accountsAlerted + r.nonAlertedAccounts).toBeLessThanOrEqual(accounts.length);
          expect(r.accountsAlerted).toBeLessThanOrEqual(new Set(alerts.filter((a) => a.rule === r.rule).map((a) => a.customerId)).size);
          expect(r.alertedChurned).toBeLessThanOrEqual(r.accountsAlerted);
          expect(r.nonAlertedChurned).toBeLessThanOrEqual(r.nonAlertedAccounts);
          for (const share of [r.precision, r.baseRate]) if (share !== null) expect(share).toBeGreaterThanOrEqual(0), expect(share).toBeLessThanOrEqual(1);
          if (r.accountsAlerted === 0) expect(r.precision).toBeNull();
          if (r.lift !== null) expect(r.lift).toBeCloseTo(r.precision! / r.baseRate!, 10);
          if (r.baseRate === 0) expect(r.lift).toBeNull();
        }
        if (alerts.length === 0) expect(b.any).toBeNull();
        else expect(b.any!.alertsFired).toBe(alerts.length);
      }),
    );
  });

  it("the order of alerts and accounts changes nothing", () => {
    fc.assert(
      fc.property(cohort, horizon, fc.integer(), ({ accounts, alerts }, horizonDays, seed) => {
        const shuffle = <T>(xs: T[]) => xs.map((x, i) => ({ x, k: (i * 7919 + seed) % 104729 })).sort((a, b) => a.k - b.k).map((e) => e.x);
        expect(noiseBudget(shuffle(alerts), shuffle(accounts), { horizonDays, now: NOW })).toEqual(noiseBudget(alerts, accounts, { horizonDays, now: NOW }));
      }),
    );
  });

  it("a second alert of the same rule on an alerted account adds an alert, never an account", () => {
    fc.assert(
      fc.property(cohort, horizon, ({ accounts, alerts }, horizonDays) => {
        fc.pre(alerts.length > 0);
        const first = alerts[0]!;
        const before = noiseBudget(alerts, accounts, { horizonDays, now: NOW }).rules.find((r) => r.rule === first.rule)!;
        const after = noiseBudget([...alerts, { ...first, at: first.at + DAY }], accounts, { horizonDays, now: NOW }).rules.find((r) => r.rule === first.rule)!;
        expect(after.alertsFired).toBe(before.alertsFired + 1);
        expect({ ...after, alertsFired: 0 }).toEqual({ ...before, alertsFired: 0 });
      }),
    );
  });

  it("a churn long after every window, or before an account was alerted, counts for nobody", () => {
    const accounts: NoiseAccount[] = [
      { customerId: "late", churnedAt: NOW - 10 * DAY },
      { customerId: "gone", churnedAt: NOW - 300 * DAY },
      { customerId: "stay", churnedAt: null },
    ];
    const alerts: NoiseAlert[] = [
      { customerId: "late", rule: "entered_red", at: NOW - 200 * DAY },
      { customerId: "gone", rule: "entered_red", at: NOW - 250 * DAY },
    ];
    const [row] = noiseBudget(alerts, accounts, { horizonDays: 90, now: NOW }).rules;
    expect(row).toMatchObject({ alertsFired: 2, accountsAlerted: 1, alertedChurned: 0, nonAlertedAccounts: 1, nonAlertedChurned: 0, censored: 0, precision: 0, baseRate: 0, lift: null });
  });

  it("windows that reach past now are counted as open", () => {
    const accounts: NoiseAccount[] = [
      { customerId: "a", churnedAt: null },
      { customerId: "b", churnedAt: NOW - DAY },
      { customerId: "c", churnedAt: null },
    ];
    const alerts: NoiseAlert[] = [
      { customerId: "a", rule: "score_drop", at: NOW - 10 * DAY },
      { customerId: "b", rule: "score_drop", at: NOW - 5 * DAY },
    ];
    const [row] = noiseBudget(alerts, accounts, { horizonDays: 90, now: NOW }).rules;
    expect(row).toMatchObject({ accountsAlerted: 2, alertedChurned: 1, precision: 0.5, nonAlertedAccounts: 1, nonAlertedChurned: 0, censored: 1, baseRate: 0 });
  });
});

describe("noiseBudget on a simulated cohort", () => {
  /**
   * 2,000 accounts over a year: a fifth are at risk and churn with p = 0.5, the rest with p = 0.05. A useful
   * rule alerts 80 % of the at-risk and 5 % of the others, 30 days before any churn; a noisy one alerts
   * anyone with p = 0.3, unrelated to churn.
   */
  function simulate(seed: number) {
    const r = mulberry32(seed);
    const accounts: NoiseAccount[] = [];
    const alerts: NoiseAlert[] = [];
    for (let i = 0; i < 2000; i++) {
      const id = `sim_${i}`;
      const atRisk = r() < 0.2;
      const churns = r() < (atRisk ? 0.5 : 0.05);
      const churnedAt = churns ? NOW - Math.floor(r() * 200) * DAY - 100 * DAY : null;
      accounts.push({ customerId: id, churnedAt });
      const alertAt = (churnedAt ?? NOW - Math.floor(r() * 200) * DAY - 100 * DAY) - 30 * DAY;
      if (r() < (atRisk ? 0.8 : 0.05)) alerts.push({ customerId: id, rule: "entered_red", at: alertAt });
      if (r() < 0.3) alerts.push({ customerId: id, rule: "first_value_missed", at: NOW - Math.floor(r() * 200) * DAY - 100 * DAY });
    }
    return { accounts, alerts };
  }

  it("a rule that tracks churn shows a high lift; one that does not shows a lift near 1", () => {
    const { accounts, alerts } = simulate(7);
    const b = noiseBudget(alerts, accounts, { horizonDays: 90, now: NOW });
    const useful = b.rules.find((r) => r.rule === "entered_red")!;
    const noisy = b.rules.find((r) => r.rule === "first_value_missed")!;
    expect(useful.precision!).toBeGreaterThan(0.35);
    expect(useful.lift!).toBeGreaterThan(8);
    expect(noisy.lift!).toBeGreaterThan(0.7);
    expect(noisy.lift!).toBeLessThan(1.4);
    expect(useful.censored + noisy.censored).toBe(0);
  });
});

describe("formatNoise", () => {
  it("prints one row per rule and the total, with shares, lift and counts", () => {
    const text = formatNoise({
      horizonDays: 90,
      accounts: 50,
      capped: false,
      rules: [
        { rule: "entered_red", alertsFired: 12, accountsAlerted: 10, alertedChurned: 4, nonAlertedAccounts: 38, nonAlertedChurned: 2, censored: 0, precision: 0.4, baseRate: 2 / 38, lift: 0.4 / (2 / 38) },
        { rule: "payment_failed", alertsFired: 3, accountsAlerted: 3, alertedChurned: 0, nonAlertedAccounts: 45, nonAlertedChurned: 0, censored: 3, precision: 0, baseRate: 0, lift: null },
      ],
      any: { rule: "any", alertsFired: 15, accountsAlerted: 12, alertedChurned: 4, nonAlertedAccounts: 36, nonAlertedChurned: 2, censored: 3, precision: 1 / 3, baseRate: 1 / 18, lift: 6 },
    });
    const lines = text.split("\n");
    expect(lines[0]).toBe("Alert noise budget: churn within 90 days of an alert, over 50 accounts");
    expect(lines[1]).toMatch(/^\s+rule\s+alerts\s+accounts\s+churned\s+precision\s+non-alerted\s+churned\s+base rate\s+lift\s+open windows$/);
    expect(lines[2]).toMatch(/^\s+entered_red\s+12\s+10\s+4\s+40\.0 %\s+38\s+2\s+5\.3 %\s+7\.6×\s+0$/);
    expect(lines[3]).toMatch(/^\s+payment_failed\s+3\s+3\s+0\s+0\.0 %\s+45\s+0\s+0\.0 %\s+–\s+3$/);
    expect(lines[4]).toMatch(/^\s+any rule\s+15\s+12\s+4\s+33\.3 %\s+36\s+2\s+5\.6 %\s+6\.0×\s+3$/);
    expect(text).toContain("lower bounds");
    // Columns line up: every row is as wide as the header.
    expect(new Set(lines.slice(1, 5).map((l) => l.length)).size).toBe(1);
  });

  it("says so when no alert was sent", () => {
    expect(formatNoise({ horizonDays: 30, accounts: 4, rules: [], any: null })).toBe("Alert noise budget: churn within 30 days of an alert, over 4 accounts\n  no alerts sent yet");
  });
});
