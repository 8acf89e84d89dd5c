// The noise budget (GET /api/alerts/noise) as a text table: `npm run noise` and the demo's report print it.

const pct = (x) => (x == null ? "–" : `${(Math.round(x * 1000) / 10).toFixed(1)} %`);
const times = (x) => (x == null ? "–" : `${x.toFixed(1)}×`);

/** @param {{ horizonDays: number, accounts: number, rules: object[], any: object | null, capped?: boolean }} budget */
export function formatNoise(budget) {
  const head = `Alert noise budget: churn within ${budget.horizonDays} days of an alert, over ${budget.accounts} accounts${budget.capped ? " (read capped: partial)" : ""}`;
  const rows = [...budget.rules, ...(budget.any ? [budget.any] : [])];
  if (rows.length === 0) return `${head}\n  no alerts sent yet`;
  const table = [
    ["rule", "alerts", "accounts", "churned", "precision", "non-alerted", "churned", "base rate", "lift", "open windows"],
    ...rows.map((r) => [
      r.rule === "any" ? "any rule" : r.rule,
      r.alertsFired,
      r.accountsAlerted,
      r.alertedChurned,
      pct(r.precision),
      r.nonAlertedAccounts,
      r.nonAlertedChurned,
      pct(r.baseRate),
      times(r.lift),
      r.censored,
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
  const lines = table.map((r) => "  " + r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  "));
  const censored = rows.some((r) => r.censored > 0)
    ? `\n  open windows: accounts whose ${budget.horizonDays}-day window reaches past now; the shares count churn so far, so they are lower bounds.`
    : "";
  return `${head}\n${lines.join("\n")}\n  precision = share of alerted accounts that churned; base rate = share of the rule's non-alerted accounts that churned in the same period; lift = precision / base rate.${censored}`;
}
