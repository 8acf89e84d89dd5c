/**
 * SQL of a customer merge: every row that belongs to the loser moves to the survivor in set-based statements
 * (a constant number, whatever the customer's size), and the loser leaves a pointer in `customer_merges`.
 */

export interface MergePointer {
  loserId: string;
  survivorId: string;
  via: "admin" | "auto";
  reason: string | null;
  moved: Record<string, number>;
  mergedAt: number;
}

type PointerRow = { loser_id: string; survivor_id: string; via: "admin" | "auto"; reason: string | null; moved: string; merged_at: number };

const toPointer = (r: PointerRow): MergePointer => ({
  loserId: r.loser_id,
  survivorId: r.survivor_id,
  via: r.via,
  reason: r.reason,
  moved: JSON.parse(r.moved) as Record<string, number>,
  mergedAt: r.merged_at,
});

/** The customer a merged id now points at (pointers are kept flat: always a live customer), or null. */
export async function mergedInto(db: D1Database, id: string): Promise<MergePointer | null> {
  const r = await db.prepare(`SELECT * FROM customer_merges WHERE loser_id = ?`).bind(id).first<PointerRow>();
  return r ? toPointer(r) : null;
}

/** The ids merged into these customers, for the customer page. */
export async function mergedFrom(db: D1Database, survivorId: string): Promise<MergePointer[]> {
  const { results } = await db.prepare(`SELECT * FROM customer_merges WHERE survivor_id = ? ORDER BY merged_at`).bind(survivorId).all<PointerRow>();
  return results.map(toPointer);
}

/** Which of these ids are merge pointers (a new customer must never take a merged id). */
export async function pointerIds(db: D1Database, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { results } = await db
    .prepare(`SELECT loser_id FROM customer_merges WHERE loser_id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(ids))
    .all<{ loser_id: string }>();
  return new Set(results.map((r) => r.loser_id));
}

/** A named statement whose `changes` count the rows it moved off the loser. */
export interface MoveStmt {
  table: string;
  stmt: D1PreparedStatement;
}

/**
 * The moves, in order. Tables whose key includes the customer (history, stage changes, card fingerprints,
 * enrollment) copy the loser's rows the survivor does not already have, then delete the loser's: the counted
 * statement is the delete. `at` keys of the timeline that both hold keep the survivor's row; the timeline is
 * recomputed from the merged state afterwards anyway.
 */
export function moveStmts(db: D1Database, survivorId: string, loserId: string): { moves: MoveStmt[]; helpers: D1PreparedStatement[] } {
  const s = survivorId;
  const l = loserId;
  const helpers: D1PreparedStatement[] = [
    db.prepare(
      `INSERT INTO score_history (customer_id, at, score, band, stage, components, model_version)
       SELECT ?1, at, score, band, stage, components, model_version FROM score_history WHERE customer_id = ?2 ON CONFLICT (customer_id, at) DO NOTHING`,
    ).bind(s, l),
    db.prepare(
      `INSERT INTO stage_transitions (customer_id, at, from_stage, to_stage)
       SELECT ?1, at, from_stage, to_stage FROM stage_transitions WHERE customer_id = ?2 ON CONFLICT DO NOTHING`,
    ).bind(s, l),
    db.prepare(`INSERT INTO card_fingerprints (fingerprint, customer_id, seen_at) SELECT fingerprint, ?1, seen_at FROM card_fingerprints WHERE customer_id = ?2 ON CONFLICT DO NOTHING`).bind(s, l),
    db.prepare(
      `INSERT INTO loyalty_members (customer_id, enrolled_at, via) SELECT ?1, enrolled_at, via FROM loyalty_members WHERE customer_id = ?2
       ON CONFLICT (customer_id) DO UPDATE SET enrolled_at = MIN(enrolled_at, excluded.enrolled_at)`,
    ).bind(s, l),
  ];
  const update = (table: string, column = "customer_id") => ({ table: column === "customer_id" ? table : `${table}.${column}`, stmt: db.prepare(`UPDATE ${table} SET ${column} = ?1 WHERE ${column} = ?2`).bind(s, l) });
  const remove = (table: string) => ({ table, stmt: db.prepare(`DELETE FROM ${table} WHERE customer_id = ?`).bind(l) });
  const moves: MoveStmt[] = [
    update("identities"),
    update("contacts"),
    update("inbox_events"),
    update("outbox"),
    update("alert_states"),
    update("loyalty_ledger"),
    update("identity_conflicts"),
    update("referral_codes", "referrer_id"),
    update("referrals", "referrer_id"),
    update("referrals", "referred_id"),
    // A claim of the same link on both customers is one claim: the survivor's stays.
    { table: "member_claims", stmt: db.prepare(`UPDATE OR IGNORE member_claims SET customer_id = ?1 WHERE customer_id = ?2`).bind(s, l) },
    remove("score_history"),
    remove("stage_transitions"),
    remove("card_fingerprints"),
    remove("loyalty_members"),
    { table: "member_claims.duplicate", stmt: db.prepare(`DELETE FROM member_claims WHERE customer_id = ?`).bind(l) },
  ];
  return { moves, helpers };
}

/**
 * The loser's row goes only if it is still the version the merge read (a concurrent event step on it makes the
 * whole batch roll back: the merge is retried from fresh state); then the pointer, kept flat.
 */
export function retireStmts(db: D1Database, p: { survivorId: string; loserId: string; loserVersion: number; via: "admin" | "auto"; reason: string | null; now: number }): D1PreparedStatement[] {
  return [
    db.prepare(`DELETE FROM customers WHERE id = ? AND version = ?`).bind(p.loserId, p.loserVersion),
    db.prepare(`INSERT INTO batch_guard (x) SELECT NULL WHERE changes() = 0`),
    db.prepare(`INSERT INTO customer_merges (loser_id, survivor_id, via, reason, merged_at) VALUES (?, ?, ?, ?, ?)`).bind(p.loserId, p.survivorId, p.via, p.reason, p.now),
    db.prepare(`UPDATE customer_merges SET survivor_id = ? WHERE survivor_id = ?`).bind(p.survivorId, p.loserId),
  ];
}

export function recordMovedStmt(db: D1Database, loserId: string, moved: Record<string, number>): D1PreparedStatement {
  return db.prepare(`UPDATE customer_merges SET moved = ? WHERE loser_id = ?`).bind(JSON.stringify(moved), loserId);
}

/**
 * Why two customers cannot be merged by their loyalty rows (`conflict`), or which referral code the merge drops
 * (`drop`): a customer has one code, so when both hold one, one never used (no click, no referral) goes, the
 * loser's first. Every paying customer gets a code by default, so two unused codes are the common case.
 */
export async function referralConflict(db: D1Database, survivor: string, loser: string): Promise<{ conflict: string } | { drop: string | null }> {
  const [codes, referred, between] = await db.batch<{ n: number } | { code: string; referrer_id: string; used: number }>([
    db.prepare(
      `SELECT c.code, c.referrer_id,
         EXISTS (SELECT 1 FROM referrals r WHERE r.referrer_id = c.referrer_id) OR EXISTS (SELECT 1 FROM referral_clicks k WHERE k.code = c.code) AS used
       FROM referral_codes c WHERE c.referrer_id IN (?, ?)`,
    ).bind(survivor, loser),
    db.prepare(`SELECT COUNT(*) AS n FROM referrals WHERE referred_id IN (?, ?)`).bind(survivor, loser),
    db.prepare(`SELECT COUNT(*) AS n FROM referrals WHERE (referrer_id = ?1 AND referred_id = ?2) OR (referrer_id = ?2 AND referred_id = ?1)`).bind(survivor, loser),
  ]);
  if ((between!.results[0] as { n: number }).n > 0) return { conflict: "one of them referred the other: merged, the referral would become a self-referral" };
  if ((referred!.results[0] as { n: number }).n > 1) return { conflict: "both were referred, and a customer is referred at most once" };
  const held = codes!.results as { code: string; referrer_id: string; used: number }[];
  if (held.length < 2) return { drop: null };
  // The loser's unused code goes first: the survivor keeps the code its people may already have been sent.
  const unused = held.filter((c) => !c.used).sort((a, b) => (a.referrer_id === loser ? -1 : b.referrer_id === loser ? 1 : 0));
  if (unused.length === 0) return { conflict: "both have a referral code that has been used, and a customer has one (Stripe promotion codes cannot be merged)" };
  return { drop: unused[0]!.code };
}

/** Drops a referral code nobody used, in the merge's batch (only if it is still unused then). */
export function dropUnusedCodeStmt(db: D1Database, code: string): D1PreparedStatement {
  return db
    .prepare(
      `DELETE FROM referral_codes WHERE code = ?1
         AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.referrer_id = referral_codes.referrer_id)
         AND NOT EXISTS (SELECT 1 FROM referral_clicks k WHERE k.code = ?1)`,
    )
    .bind(code);
}

export async function createdAtOf(db: D1Database, ids: string[]): Promise<Map<string, number>> {
  const { results } = await db
    .prepare(`SELECT id, created_at FROM customers WHERE id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(ids))
    .all<{ id: string; created_at: number }>();
  return new Map(results.map((r) => [r.id, r.created_at]));
}
