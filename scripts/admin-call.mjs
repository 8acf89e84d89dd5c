#!/usr/bin/env node
// Calls an admin endpoint of a running Tenure: node scripts/admin-call.mjs POST /api/setup/hubspot
// TENURE_URL (default http://127.0.0.1:8787) and ADMIN_TOKEN (default: from .dev.vars) say where and how.
import { existsSync, readFileSync } from "node:fs";

const [method = "GET", path = "/health"] = process.argv.slice(2);
const base = (process.env.TENURE_URL ?? "http://127.0.0.1:8787").replace(/\/$/, "");
let token = process.env.ADMIN_TOKEN;
if (!token && existsSync(".dev.vars")) token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(".dev.vars", "utf8"))?.[1]?.trim();
if (!token) {
  console.error("Set ADMIN_TOKEN (or put it in .dev.vars).");
  process.exit(2);
}
const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: method === "GET" ? undefined : "{}" }).catch((err) => {
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
