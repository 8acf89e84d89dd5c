#!/usr/bin/env node
// Calls an admin endpoint of a running Tenure: node scripts/admin-call.mjs POST /api/setup/hubspot
// TENURE_URL (default http://127.0.0.1:8787) and ADMIN_TOKEN (default: from .dev.vars) say where and how.
import { adminTarget } from "./admin-target.mjs";
import { parseCli } from "./cli.mjs";

const USAGE = `
node scripts/admin-call.mjs [METHOD] [PATH]     e.g. POST /api/setup/hubspot (default: GET /health)

Calls an admin endpoint of a running Tenure and prints the JSON answer; exits 1 when it is not a 2xx.
Where and how: TENURE_URL (default http://127.0.0.1:8787), ADMIN_TOKEN (default: from .dev.vars).
`;
const { positionals } = parseCli(USAGE, { allowPositionals: true });
const [method = "GET", path = "/health"] = positionals;
const { base, headers } = adminTarget();
const res = await fetch(`${base}${path}`, { method, headers, body: method === "GET" ? undefined : "{}" }).catch((err) => {
  console.error(`Could not reach Tenure at ${base}: ${err.message}. Is it running (npm start)?`);
  process.exit(1);
});
const text = await res.text();
try {
  console.log(JSON.stringify(JSON.parse(text), null, 2));
} catch {
  console.log(text);
}
process.exit(res.ok ? 0 : 1);
