/**
 * The SQL an erasure page runs: one bounded page of a table by rowid, and the row writes it decides on.
 * Table and column names come only from ERASE_TABLES below, never from input; every value is bound.
 */

/**
 * Tables that can hold a person's data in text, beyond the inbox, contacts and customers (which have steps of
 * their own). `customer` names the column that says whose row it is: inside a customer they were seen with,
 * their single names count too (a HubSpot note or a Slack alert that names "Dana").
 */
export const ERASE_TABLES = [
  // A link keyed by one of their identifiers (an account id that is their email) is theirs.
  { table: "identities", columns: ["value"], onMatch: "delete" },
  { table: "unmatched_keys", columns: ["value"], onMatch: "delete" },
  { table: "identity_conflicts", columns: ["value", "held"], onMatch: "delete" },
  { table: "identity_unlinks", columns: ["value"], onMatch: "delete" },
  // HubSpot notes and Slack alert text, pending or sent; vendor replies and errors.
  { table: "outbox", columns: ["payload", "last_error", "result"], onMatch: "scrub", customer: "customer_id" },
  { table: "alert_states", columns: ["by_user"], onMatch: "scrub", customer: "customer_id" },
  // A CSM's note on an alert may name the person; the actor and assignee are the team's own people.
  { table: "alert_activity", columns: ["note"], onMatch: "scrub" },
  { table: "loyalty_ledger", columns: ["kind", "ref", "reason"], onMatch: "scrub", customer: "customer_id" },
  { table: "referrals", columns: ["code", "reason"], onMatch: "scrub" },
  // A review or share a member claimed through the widget: submitted by their user id, often at a URL naming them.
  { table: "member_claims", columns: ["submitted_by", "url"], onMatch: "delete" },
  { table: "hubspot_synced", columns: ["value"], onMatch: "scrub" },
  { table: "backfill_runs", columns: ["last_error"], onMatch: "scrub" },
  // Who created, activated or calibrated a health model version: the version itself stays as it was.
  { table: "model_versions", columns: ["author"], onMatch: "scrub" },
  { table: "model_activations", columns: ["actor"], onMatch: "scrub" },
  { table: "model_active", columns: ["activated_by"], onMatch: "scrub" },
  { table: "calibration_runs", columns: ["actor"], onMatch: "scrub" },
] as const;
export type EraseTable = (typeof ERASE_TABLES)[number];

export type ScanRow = { rid: number } & Record<string, unknown>;

export async function readPage(db: D1Database, table: string, columns: readonly string[], after: number, limit: number): Promise<ScanRow[]> {
  const { results } = await db
    .prepare(`SELECT rowid AS rid, ${columns.join(", ")} FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
    .bind(after, limit)
    .all<ScanRow>();
  return results;
}

export function updateRowStmt(db: D1Database, table: string, values: Record<string, unknown>, rid: number): D1PreparedStatement {
  const cols = Object.keys(values);
  return db.prepare(`UPDATE ${table} SET ${cols.map((c) => `${c} = ?`).join(", ")} WHERE rowid = ?`).bind(...cols.map((c) => values[c] ?? null), rid);
}

export function deleteRowStmt(db: D1Database, table: string, rid: number): D1PreparedStatement {
  return db.prepare(`DELETE FROM ${table} WHERE rowid = ?`).bind(rid);
}

/** Their HubSpot contact row stays as a tombstone (erased_at), with nothing of them in it. */
export function eraseContactRowStmt(db: D1Database, rid: number, now: number): D1PreparedStatement {
  return db
    .prepare(`UPDATE contacts SET email = NULL, name = NULL, birthday = NULL, erased_at = COALESCE(erased_at, ?1), updated_at = ?1 WHERE rowid = ?2`)
    .bind(now, rid);
}

/** A customer rewritten without the person, under the same version guard as every customer write. */
export function scrubCustomerStmts(
  db: D1Database,
  c: { rid: number; version: number; name: string | null; state: string; health: string | null; alerts: string },
): D1PreparedStatement[] {
  return [
    db
      .prepare(`UPDATE customers SET name = ?, state = ?, health = ?, alerts = ?, version = version + 1 WHERE rowid = ? AND version = ?`)
      .bind(c.name, c.state, c.health, c.alerts, c.rid, c.version),
    db.prepare(`INSERT INTO batch_guard (x) SELECT NULL WHERE changes() = 0`),
  ];
}
