import { slackAlertSchema } from "../core/actions";
import type { TenureConfig } from "../core/config";
import { planDigests, type HeldAlert } from "../core/digest";
import { loadConfig, type Env } from "../env";
import { log } from "../log";
import { heldAlertsPage, markDigestedStmt } from "../store/digest";
import { insertActionStmts } from "../store/outbox";
import { enqueue, sendJobs } from "./enqueue";
import type { DigestJob } from "./messages";

/** Held alerts per page: each page plans its digest messages and marks its alerts in one batch. */
export const DIGEST_PAGE = 200;

/** The hourly cron starts the digest once a day, in the hour `alerts.digest.hourUtc`, when the digest is on. */
export async function startDigestJob(env: Env, cfg: TenureConfig, now: number): Promise<boolean> {
  const { enabled, hourUtc } = cfg.alerts.digest;
  if (!enabled || new Date(now).getUTCHours() !== hourUtc) return false;
  await sendJobs(env.EVENTS, [{ job: "digest", asOf: now, after: "" }]);
  return true;
}

/**
 * One page: the held alerts not yet in a digest become digest messages in the outbox (one per recipient, split
 * past DIGEST_MAX_ITEMS), and each alert records its message. Ids are deterministic and the alerts are marked in
 * the same batch, so a retried page plans nothing twice. Returns the next page, or null when done.
 */
export async function digestPage(env: Env, cfg: TenureConfig, job: DigestJob): Promise<DigestJob | null> {
  const rows = await heldAlertsPage(env.DB, job.asOf, job.after, DIGEST_PAGE);
  if (rows.length === 0) return null;
  const held: HeldAlert[] = [];
  for (const r of rows) {
    const alert = slackAlertSchema.safeParse(parse(r.payload));
    if (alert.success) held.push({ id: r.id, alert: alert.data, ...(r.ownerEmail ? { ownerEmail: r.ownerEmail } : {}) });
    else log("warn", "a held alert is unreadable and is left out of the digest", { actionId: r.id });
  }
  const fallback = cfg.alerts.routing.fallbackChannel ?? loadConfig(env).SLACK_ALERT_CHANNEL ?? "";
  const day = new Date(job.asOf).toISOString().slice(0, 10);
  const plan = planDigests(held, cfg.alerts.routing, fallback, day);
  // Planned as of the cron's time, so a retried page writes the same rows.
  await env.DB.batch([...insertActionStmts(env.DB, plan.actions, job.asOf), ...[...plan.digestOf].map(([alertId, digestId]) => markDigestedStmt(env.DB, alertId, digestId))]);
  await enqueue(env.ACTIONS, plan.actions.map((a) => ({ actionId: a.id })));
  log("info", "digest page planned", { alerts: held.length, messages: plan.actions.length });
  return rows.length < DIGEST_PAGE ? null : { ...job, after: rows[rows.length - 1]!.id };
}

function parse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}
