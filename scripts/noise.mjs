#!/usr/bin/env node
// `npm run noise`: the alert rules' noise budget of a running Tenure, as a table.
import { adminTarget } from "./admin-target.mjs";
import { intOption, parseCli } from "./cli.mjs";
import { formatNoise } from "./noise-format.mjs";

const USAGE = `
npm run noise [-- options]

Prints the alert rules' noise budget of a running Tenure (GET /api/alerts/noise): per rule, the alerts sent,
the accounts alerted and the share that churned within the horizon after the alert, against the share of
non-alerted accounts that churned in the same period (precision, base rate, lift).
  --horizon-days N  a churn counts within this many days after the alert (default 90)
  --url URL         where Tenure runs (default: TENURE_URL, else http://127.0.0.1:8787)
  --token TOKEN     the admin token (default: ADMIN_TOKEN, else the one in .dev.vars)
  --json            print the API's JSON instead of the table
  -h, --help        this text
`;
const { values } = parseCli(USAGE, {
  options: {
    "horizon-days": { type: "string", default: "90" },
    url: { type: "string" },
    token: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const horizonDays = intOption("horizon-days", values["horizon-days"], USAGE);
if (values.url) process.env.TENURE_URL = values.url;
if (values.token) process.env.ADMIN_TOKEN = values.token;
const { base, headers } = adminTarget();
const res = await fetch(`${base}/api/alerts/noise?horizonDays=${horizonDays}`, { headers }).catch((err) => {
  console.error(`Could not reach Tenure at ${base}: ${err.message}. Is it running (npm start)?`);
  process.exit(1);
});
const body = await res.json().catch(() => null);
if (!res.ok || !body) {
  console.error(`GET /api/alerts/noise answered ${res.status}: ${body?.error?.message ?? "no JSON"}`);
  process.exit(1);
}
console.log(values.json ? JSON.stringify(body, null, 2) : formatNoise(body));
