/**
 * The noise budget of the alert rules: per rule, how many alerts fired and how often an alerted account went on
 * to churn, against how often the accounts the rule left alone churned over the same windows. Pure.
 *
 * - An alerted account counts once per rule, from its first alert of that rule (t0); it churned "after the alert"
 *   when its churn falls in (t0, t0 + horizon]. An account that had churned by t0 is not counted.
 * - The base rate is matched to those windows: for each alerted account's window, the share of the non-alerted
 *   accounts still there at t0 that churned within it, averaged over the windows. `nonAlertedAccounts` and
 *   `nonAlertedChurned` count those accounts from the rule's first alert to the end of its last window.
 * - Windows that reach past `now` are cut at `now` (alerted accounts still open then are counted in `censored`):
 *   on young data the shares are lower bounds.
 * - precision = churned alerted / alerted; lift = precision / baseRate (how many times likelier an alerted
 *   account churned than one the rule left alone); null where undefined.
 */

export interface NoiseAlert {
  customerId: string;
  rule: string;
  at: number;
}

export interface NoiseAccount {
  customerId: string;
  /** When the account churned (its first move to the churned stage), or null. */
  churnedAt: number | null;
}

export interface NoiseRow {
  /** A rule, or "any" for every rule together. */
  rule: string;
  alertsFired: number;
  accountsAlerted: number;
  alertedChurned: number;
  nonAlertedAccounts: number;
  nonAlertedChurned: number;
  /** Accounts whose window was cut at `now`. */
  censored: number;
  precision: number | null;
  baseRate: number | null;
  lift: number | null;
}

export interface NoiseBudget {
  horizonDays: number;
  accounts: number;
  rules: NoiseRow[];
  any: NoiseRow | null;
}

const DAY = 86_400_000;

export function noiseBudget(alerts: readonly NoiseAlert[], accounts: readonly NoiseAccount[], opts: { horizonDays: number; now: number }): NoiseBudget {
  const horizon = opts.horizonDays * DAY;
  const churnOf = new Map<string, number | null>();
  for (const a of accounts) {
    const prev = churnOf.get(a.customerId);
    churnOf.set(a.customerId, prev === undefined ? a.churnedAt : minOrNull(prev, a.churnedAt));
  }
  const known = alerts.filter((a) => churnOf.has(a.customerId));
  const rules = [...new Set(known.map((a) => a.rule))].sort();
  const rows = rules.map((rule) => ruleRow(rule, known.filter((a) => a.rule === rule), churnOf, horizon, opts.now));
  return { horizonDays: opts.horizonDays, accounts: churnOf.size, rules: rows, any: known.length > 0 ? ruleRow("any", known, churnOf, horizon, opts.now) : null };
}

function ruleRow(rule: string, alerts: readonly NoiseAlert[], churnOf: Map<string, number | null>, horizon: number, now: number): NoiseRow {
  const firstAt = new Map<string, number>();
  for (const a of alerts) firstAt.set(a.customerId, Math.min(firstAt.get(a.customerId) ?? Infinity, a.at));
  const windows: number[] = [];
  let alertedChurned = 0;
  let censored = 0;
  for (const [id, t0] of firstAt) {
    const churned = churnOf.get(id) ?? null;
    if (churned !== null && churned <= t0) continue;
    windows.push(t0);
    if (churned !== null && churned <= Math.min(t0 + horizon, now)) alertedChurned++;
    else if (t0 + horizon > now) censored++;
  }
  // The accounts the rule left alone, by churn time, to count who was still there and who left in each window.
  const others = [...churnOf].filter(([id]) => !firstAt.has(id)).map(([, c]) => c);
  const churns = others.filter((c): c is number => c !== null).sort((a, b) => a - b);
  const goneBy = (t: number) => upperBound(churns, t);
  let rateSum = 0;
  let matched = 0;
  // In time order, so the average is the same float whatever order the alerts came in.
  for (const t0 of [...windows].sort((a, b) => a - b)) {
    const alive = others.length - goneBy(t0);
    if (alive === 0) continue;
    rateSum += (goneBy(Math.min(t0 + horizon, now)) - goneBy(t0)) / alive;
    matched++;
  }
  const start = windows.length > 0 ? Math.min(...windows) : Infinity;
  const end = windows.length > 0 ? Math.min(Math.max(...windows) + horizon, now) : Infinity;
  const accountsAlerted = windows.length;
  const nonAlertedAccounts = windows.length > 0 ? others.length - goneBy(start) : 0;
  const nonAlertedChurned = windows.length > 0 ? goneBy(end) - goneBy(start) : 0;
  const precision = ratio(alertedChurned, accountsAlerted);
  const baseRate = matched > 0 ? rateSum / matched : null;
  const lift = precision !== null && baseRate !== null && baseRate > 0 ? precision / baseRate : null;
  return { rule, alertsFired: alerts.length, accountsAlerted, alertedChurned, nonAlertedAccounts, nonAlertedChurned, censored, precision, baseRate, lift };
}

/** How many sorted values are <= t. */
function upperBound(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);
const minOrNull = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
