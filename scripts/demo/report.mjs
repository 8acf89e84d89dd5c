// Prints what the demo quarter did: customers per band and stage, alerts posted to the fake Slack,
// HubSpot companies written, Stripe credits, and where to look next.
import { getJson } from "./server.mjs";
import { formatNoise } from "../noise-format.mjs";

const BANDS = ["green", "yellow", "red"];
const STAGES = ["awareness", "conversion", "purchase", "onboarding", "renewal", "loyalty", "churned"];
const money = (cents) => `${cents < 0 ? "-" : ""}$${Math.abs(Math.round(cents / 100)).toLocaleString("en-US")}`;

function countBy(items, key) {
  const out = {};
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1;
  return out;
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => "    " + r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ")).join("\n");
}

async function fakeSummary(port) {
  return (await getJson(`http://127.0.0.1:${port}/__fakes/summary`))?.body ?? {};
}

export async function waitActions({ base, admin, timeoutMs = 120_000, onProgress }) {
  const started = Date.now();
  for (;;) {
    const res = await getJson(`${base}/api/actions?status=pending&limit=500`, { headers: admin });
    const pending = res?.body?.actions?.length ?? 0;
    if (pending === 0 || Date.now() - started > timeoutMs) return pending;
    onProgress?.(pending);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

export async function report(m, { base, admin, quarter }) {
  const customers = (await getJson(`${base}/api/customers?limit=500`, { headers: admin }))?.body?.customers ?? [];
  const personaOf = new Map(quarter.accounts.map((a) => [a.domain, a.persona]));
  const bands = countBy(customers, (c) => c.health?.band ?? "unscored");
  const stages = countBy(customers, (c) => c.stage?.current ?? "none");
  console.log(`\nCustomers: ${customers.length} (generated: ${quarter.accounts.length}), MRR ${money(customers.reduce((n, c) => n + (c.mrr ?? 0), 0))}`);
  console.log(`  by band:  ${BANDS.map((b) => `${b} ${bands[b] ?? 0}`).join(" · ")}`);
  console.log(`  by stage: ${STAGES.filter((s) => stages[s]).map((s) => `${s} ${stages[s]}`).join(" · ")}`);
  const personas = ["champion", "steady", "new", "at_risk", "churning"];
  const rows = [["persona (generated)", ...BANDS]];
  for (const p of personas) {
    const of = customers.filter((c) => personaOf.get(c.domain) === p);
    if (of.length) rows.push([p, ...BANDS.map((b) => of.filter((c) => c.health?.band === b).length)]);
  }
  console.log(table(rows));
  console.log("  lowest scores:");
  for (const c of customers.slice(0, 5)) {
    const driver = c.health?.drivers?.[0]?.detail ?? "";
    console.log(`    ${String(c.health?.score ?? "-").padStart(3)} ${c.health?.band ?? ""} ${c.name ?? c.id} (${c.stage?.current ?? "-"})${driver ? `: ${driver}` : ""}`);
  }
  // A quarter of history observes a 30-day horizon; with 90 days every point that did not churn is censored.
  const bt = (await getJson(`${base}/api/model/backtest`, { method: "POST", headers: { ...admin, "content-type": "application/json" }, body: JSON.stringify({ horizonDays: 30, stepDays: 7 }) }))?.body;
  if (bt?.auc != null) {
    const pct = (x) => (x == null ? "–" : `${Math.round(x * 1000) / 10} %`);
    console.log(`  backtest on the event-time timeline (churn within 30 days of each weekly score): AUC ${bt.auc.toFixed(2)}; churned afterwards: green ${pct(bt.churnRateByBand.green)}, yellow ${pct(bt.churnRateByBand.yellow)}, red ${pct(bt.churnRateByBand.red)} (${bt.samples} scores)`);
  }

  const actions = (await getJson(`${base}/api/actions?limit=500`, { headers: admin }))?.body?.actions ?? [];
  const byType = countBy(actions, (a) => `${a.type} ${a.status}`);
  console.log(`\nActions (outbox): ${Object.entries(byType).map(([k, v]) => `${k} ${v}`).join(" · ") || "none"}`);
  const p = m.DEMO.fakePorts;
  const [hub, slack, stripe] = await Promise.all([fakeSummary(p.hubspot), fakeSummary(p.slack), fakeSummary(p.stripe)]);
  console.log(`  Slack #customer-health (fake): ${slack.alerts?.length ?? 0} alerts, ${slack.threadReplies ?? 0} recovery replies`);
  for (const text of (slack.alerts ?? []).slice(0, 5)) console.log(`    · ${String(text).split("\n")[0].slice(0, 110)}`);
  console.log(`  HubSpot (fake): ${hub.scored ?? 0} companies carry Tenure's scores (${Object.entries(hub.bands ?? {}).map(([k, v]) => `${k} ${v}`).join(", ")}), ${hub.notes ?? 0} timeline notes, ${hub.batchWrites ?? 0} batch writes`);
  const credits = stripe.credits ?? [];
  console.log(`  Stripe (fake): ${credits.length} customer credits (${money(-credits.reduce((n, c) => n + c.amount, 0))}), ${stripe.promotionCodes ?? 0} promotion codes, ${stripe.discountedSubscriptions ?? 0} discounted subscriptions`);
  const unmatched = (await getJson(`${base}/api/unmatched?limit=500`, { headers: admin }))?.body?.events ?? [];
  if (unmatched.length) console.log(`  ${unmatched.length} events match no customer yet (e.g. HubSpot deal webhooks carry no company id): GET /api/unmatched`);
  const noise = (await getJson(`${base}/api/alerts/noise?horizonDays=90`, { headers: admin }))?.body;
  if (noise?.rules) console.log(`\n${formatNoise(noise)}\n  (again any time: npm run noise)`);
}
