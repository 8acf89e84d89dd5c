// Where the admin scripts find a running Tenure and how they authenticate:
// TENURE_URL (default http://127.0.0.1:8787) and ADMIN_TOKEN (default: the one in .dev.vars).
import { existsSync, readFileSync } from "node:fs";

export function adminTarget() {
  const base = (process.env.TENURE_URL ?? "http://127.0.0.1:8787").replace(/\/$/, "");
  let token = process.env.ADMIN_TOKEN;
  if (!token && existsSync(".dev.vars")) token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(".dev.vars", "utf8"))?.[1]?.trim();
  if (!token) {
    console.error("Set ADMIN_TOKEN (or put it in .dev.vars).");
    process.exit(2);
  }
  return { base, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } };
}
