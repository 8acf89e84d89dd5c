#!/usr/bin/env node
// Calls an admin endpoint of a running Tenure: node scripts/admin-call.mjs POST /api/setup/hubspot
// TENURE_URL (default http://127.0.0.1:8787) and ADMIN_TOKEN (default: from .dev.vars) say where and how.
import { adminTarget } from "./admin-target.mjs";

const [method = "GET", path = "/health"] = process.argv.slice(2);
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
