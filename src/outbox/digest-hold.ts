import { tenureConfig } from "../config";
import type { Config } from "../env";
import type { OutboxRow } from "../store/outbox";

/**
 * With the daily digest on (alerts.digest.enabled), alerts are not posted one by one: each is recorded as held
 * (the Alerts page lists it, acknowledge and snooze work) and the digest job posts it with the day's others.
 */
export function heldForDigest(cfg: Config, rows: OutboxRow[]): Set<string> {
  if (!tenureConfig(cfg.TENURE_CONFIG).alerts.digest.enabled) return new Set();
  return new Set(rows.filter((r) => r.payload.type === "slack.alert").map((r) => r.id));
}
