import type { SourceName } from "../core/events";
import { DAY } from "../core/state";
import { ENRICHED_KINDS } from "./identity";
import type { InboxStatus } from "./inbox";

/**
 * How long an inbox row is kept after it was received, so that a redelivery answers as a duplicate.
 * Each window outlasts its vendor's retries (and, for Stripe, the 30 days its events API lists, which
 * reconciliation reads) with a margin; docs/sources.md gives the reason for each figure. Only rows whose
 * work is done (`processed`, `ignored`) are deleted; after the window a late redelivery is stored again
 * and applied again, which the reducer's keyed state makes a no-op.
 */
export const DEDUPE_WINDOW_DAYS = {
  stripe: 35,
  hubspot: 3,
  zendesk: 7,
  intercom: 7,
  freshdesk: 7,
  helpscout: 7,
  segment: 2,
  delighted: 7,
  typeform: 7,
  api: 30,
  paddle: 7,
  front: 7,
} as const satisfies Record<SourceName, number>;

export const DAY_MS = DAY;

/**
 * Sources declared in plugins (bundled or stored) have no entry above: their processed rows go after this many
 * days, long enough for the retry schedules of the vendors a declaration covers (Paddle, Front: hours to 3 days).
 */
export const DECLARED_DEDUPE_WINDOW_DAYS = 7;

/** Each statement of the retention job touches at most this many rows. */
export const ROWS_PER_STATEMENT = 1000;

/**
 * One kind of work of the retention job, in the order the job walks them:
 * - `expired`: a source's `processed` / `ignored` rows past its dedupe window are deleted;
 * - `applied`: the same for the ids of a source's carried deliveries that were applied (`applied_deliveries`);
 * - `unmatched`: `unmatched` rows past UNMATCHED_RETENTION_DAYS are deleted with the keys they waited for;
 * - `raw-payload`: raw bodies past RAW_PAYLOAD_RETENTION_DAYS are dropped from rows of one status that are kept.
 * `received` and `failed` rows are never deleted: they still have work to do (a re-drive, for `failed`).
 */
export type PruneStep =
  | { kind: "expired"; source: SourceName }
  | { kind: "expired-declared" }
  | { kind: "applied"; source: SourceName }
  | { kind: "applied-declared" }
  | { kind: "unmatched" }
  | { kind: "raw-payload"; status: InboxStatus }
  | { kind: "outbox" }
  | { kind: "referral-clicks" }
  | { kind: "associations" }
  | { kind: "enriched-identities" };

/**
 * What a vendor's API said an id belongs to (src/store/associations.ts) is kept this long after it was fetched.
 * An event it attached linked its ids to the customer (identities), so later events resolve without it; an id
 * seen again after the lookup was pruned is simply looked up again.
 */
export const ASSOCIATION_RETENTION_DAYS = 90;

/**
 * Referral link clicks are counted per code and day (for recent stats); days older than this are folded into
 * one running total per code (day `before`), so the table grows with codes, not with days, and a code's total
 * clicks never change.
 */
export const REFERRAL_CLICK_DAYS = 400;

/**
 * Delivered or skipped actions are history once this old: the dashboard shows recent ones, and an action id
 * replayed later (a retried Stripe credit) is long past Stripe's own 24-hour idempotency window anyway.
 * Rows the loyalty program points at (a referral code's promotion code, a ledger row's credit) are kept.
 */
export const OUTBOX_RETENTION_DAYS = 180;

/**
 * Identities of enriched kinds (src/store/identity.ts: one per HubSpot deal or ticket, Zendesk requester or
 * organization) grow with every ticket and deal, so they are deleted this long after they were linked. Not
 * sooner: a lookup's id is deterministic, and its delivered outbox row (older than the identity it led to) must be
 * gone first, or a later event of the id would plan a lookup the outbox ignores as a duplicate and stay unmatched.
 * The outbox step runs before this one. Explicit ids (Stripe, HubSpot company, account), domains and people are
 * never pruned: they are the customer.
 */
export const ENRICHED_IDENTITY_RETENTION_DAYS = OUTBOX_RETENTION_DAYS;

const STATUSES: readonly InboxStatus[] = ["processed", "ignored", "unmatched", "failed", "received"];

export const PRUNE_STEPS: readonly PruneStep[] = [
  ...(Object.keys(DEDUPE_WINDOW_DAYS) as SourceName[]).map((source) => ({ kind: "expired" as const, source })),
  { kind: "expired-declared" },
  ...(Object.keys(DEDUPE_WINDOW_DAYS) as SourceName[]).map((source) => ({ kind: "applied" as const, source })),
  { kind: "applied-declared" },
  { kind: "unmatched" },
  ...STATUSES.map((status) => ({ kind: "raw-payload" as const, status })),
  { kind: "outbox" },
  { kind: "referral-clicks" },
  { kind: "associations" },
  { kind: "enriched-identities" },
];

/**
 * The steps the hourly run takes (src/jobs/prune-inbox.ts): the usage stream's ids are nearly all of what the window
 * holds, so deleting them within the hour after their window, rather than at the next daily run, keeps the table near
 * one window's worth instead of up to a day more.
 */
export const APPLIED_STEPS: readonly PruneStep[] = PRUNE_STEPS.filter((s) => s.kind === "applied" || s.kind === "applied-declared");

export interface RetentionPolicy {
  dedupeWindowDays: Record<SourceName, number>;
  unmatchedDays: number;
  rawPayloadDays: number;
}

/** Rows received before this instant are past the step's retention. */
export function cutoffOf(step: PruneStep, policy: RetentionPolicy, now: number): number {
  const days =
    step.kind === "expired" || step.kind === "applied"
      ? policy.dedupeWindowDays[step.source]
      : step.kind === "expired-declared" || step.kind === "applied-declared"
        ? DECLARED_DEDUPE_WINDOW_DAYS
        : step.kind === "unmatched"
        ? policy.unmatchedDays
        : step.kind === "outbox"
          ? OUTBOX_RETENTION_DAYS
          : step.kind === "referral-clicks"
            ? REFERRAL_CLICK_DAYS
            : step.kind === "associations"
              ? ASSOCIATION_RETENTION_DAYS
              : step.kind === "enriched-identities"
                ? ENRICHED_IDENTITY_RETENTION_DAYS
                : policy.rawPayloadDays;
  return now - days * DAY_MS;
}

/** What one statement of a step did: `rows` changed, and whether it was a full chunk (more may remain). */
export interface PruneChunk {
  rows: number;
  full: boolean;
}

/** Runs one bounded chunk of a step: at most `limit` rows, two D1 calls at most. */
export async function pruneChunk(db: D1Database, step: PruneStep, cutoff: number, limit = ROWS_PER_STATEMENT): Promise<PruneChunk> {
  if (step.kind === "referral-clicks") return foldReferralClicks(db, new Date(cutoff).toISOString().slice(0, 10), limit);
  if (step.kind === "associations") {
    const r = await db.prepare(`DELETE FROM associations WHERE rowid IN (SELECT rowid FROM associations WHERE fetched_at < ? LIMIT ?)`).bind(cutoff, limit).run();
    const rows = r.meta.changes ?? 0;
    return { rows, full: rows >= limit };
  }
  if (step.kind === "enriched-identities") {
    // The kinds are literals of ENRICHED_KINDS, so each walks the (kind, created_at) index.
    const r = await db
      .prepare(
        `DELETE FROM identities WHERE rowid IN (
           SELECT rowid FROM identities WHERE kind IN (SELECT value FROM json_each(?1)) AND created_at < ?2 ORDER BY created_at LIMIT ?3)`,
      )
      .bind(JSON.stringify(ENRICHED_KINDS), cutoff, limit)
      .run();
    const rows = r.meta.changes ?? 0;
    return { rows, full: rows >= limit };
  }
  if (step.kind === "outbox") {
    const r = await db
      .prepare(
        `DELETE FROM outbox WHERE rowid IN (
           SELECT rowid FROM outbox o WHERE status IN ('delivered', 'skipped') AND updated_at < ?
             AND NOT EXISTS (SELECT 1 FROM referral_codes rc WHERE rc.action_id = o.id)
             AND NOT EXISTS (SELECT 1 FROM loyalty_ledger l WHERE l.action_id = o.id) LIMIT ?)`,
      )
      .bind(cutoff, limit)
      .run();
    const rows = r.meta.changes ?? 0;
    return { rows, full: rows >= limit };
  }
  if (step.kind === "applied" || step.kind === "applied-declared") {
    // Each walks the received_at index: carried sources are few (the usage stream), so other sources' rows are few.
    const stmt =
      step.kind === "applied"
        ? db
            .prepare(`DELETE FROM applied_deliveries WHERE id IN (SELECT id FROM applied_deliveries WHERE received_at < ?2 AND source = ?1 LIMIT ?3)`)
            .bind(step.source, cutoff, limit)
        : db
            .prepare(
              `DELETE FROM applied_deliveries WHERE id IN (
                 SELECT id FROM applied_deliveries WHERE received_at < ?2 AND source NOT IN (SELECT value FROM json_each(?1)) LIMIT ?3)`,
            )
            .bind(JSON.stringify(Object.keys(DEDUPE_WINDOW_DAYS)), cutoff, limit);
    const rows = (await stmt.run()).meta.changes ?? 0;
    return { rows, full: rows >= limit };
  }
  if (step.kind === "raw-payload") {
    const r = await db
      .prepare(
        `UPDATE inbox_events SET payload = NULL
         WHERE rowid IN (SELECT rowid FROM inbox_events WHERE status = ? AND received_at < ? AND payload IS NOT NULL LIMIT ?)`,
      )
      .bind(step.status, cutoff, limit)
      .run();
    const rows = r.meta.changes ?? 0;
    return { rows, full: rows >= limit };
  }
  // Literal SQL per kind, so each walks its index (source, status, received_at) or (status, received_at).
  const statuses = step.kind === "unmatched" ? ["unmatched"] : ["processed", "ignored"];
  const select =
    step.kind === "expired"
      ? db.prepare(`SELECT id FROM inbox_events WHERE source = ? AND status IN ('processed', 'ignored') AND received_at < ? LIMIT ?`).bind(step.source, cutoff, limit)
      : step.kind === "expired-declared"
        ? db
            .prepare(
              `SELECT id FROM inbox_events WHERE status IN ('processed', 'ignored') AND received_at < ? AND source NOT IN (SELECT value FROM json_each(?)) LIMIT ?`,
            )
            .bind(cutoff, JSON.stringify(Object.keys(DEDUPE_WINDOW_DAYS)), limit)
        : db.prepare(`SELECT id FROM inbox_events WHERE status = 'unmatched' AND received_at < ? LIMIT ?`).bind(cutoff, limit);
  const { results } = await select.all<{ id: string }>();
  if (results.length === 0) return { rows: 0, full: false };
  return { rows: await deleteRows(db, results.map((r) => r.id), statuses, cutoff), full: results.length >= limit };
}

/**
 * Deletes inbox rows, the unmatched keys that point at them (a foreign key) and their identity conflicts, in one transaction. The
 * status and age are checked again, so a row that moved on since it was selected (an unmatched event
 * re-driven meanwhile) stays.
 */
async function deleteRows(db: D1Database, ids: string[], statuses: string[], cutoff: number): Promise<number> {
  const still = `SELECT id FROM inbox_events WHERE id IN (SELECT value FROM json_each(?1)) AND +status IN (SELECT value FROM json_each(?2)) AND received_at < ?3`;
  const args = [JSON.stringify(ids), JSON.stringify(statuses), cutoff];
  const [, , deleted] = await db.batch([
    db.prepare(`DELETE FROM unmatched_keys WHERE event_id IN (${still})`).bind(...args),
    // A refused event's conflict is listed for as long as the event is kept.
    db.prepare(`DELETE FROM identity_conflicts WHERE event_id IN (${still})`).bind(...args),
    db.prepare(`DELETE FROM inbox_events WHERE id IN (${still})`).bind(...args),
  ]);
  return deleted?.meta.changes ?? 0;
}

/** Folds the old day counters of up to `limit` codes into each code's `before` total, in one transaction. */
async function foldReferralClicks(db: D1Database, beforeDay: string, limit: number): Promise<PruneChunk> {
  const codes = `SELECT DISTINCT code FROM referral_clicks WHERE day < ?1 AND day != 'before' ORDER BY code LIMIT ?2`;
  const old = `day < ?1 AND day != 'before' AND code IN (${codes})`;
  const [, deleted] = await db.batch([
    db
      .prepare(
        `INSERT INTO referral_clicks (code, day, clicks) SELECT code, 'before', SUM(clicks) FROM referral_clicks WHERE ${old} GROUP BY code
         ON CONFLICT (code, day) DO UPDATE SET clicks = clicks + excluded.clicks`,
      )
      .bind(beforeDay, limit),
    db.prepare(`DELETE FROM referral_clicks WHERE ${old}`).bind(beforeDay, limit),
  ]);
  const rows = deleted?.meta.changes ?? 0;
  return { rows, full: rows >= limit };
}
