import type { ClaimKind } from "../core/member";

/** Claims members submit (a review, a social share): pending until a program manager decides. */

export type ClaimStatus = "pending" | "approved" | "rejected";

export interface Claim {
  id: string;
  customerId: string;
  kind: ClaimKind;
  url: string;
  status: ClaimStatus;
  reason: string | null;
  decidedBy: string | null;
  decidedAt: number | null;
  ledgerId: string | null;
  createdAt: number;
}

const COLS = `id, customer_id AS customerId, kind, url, status, reason, decided_by AS decidedBy, decided_at AS decidedAt, ledger_id AS ledgerId, created_at AS createdAt`;

/** At most this many claims wait per account, so a member cannot flood the review queue. */
export const MAX_PENDING_CLAIMS = 20;

/**
 * Inserts the claim unless the same (account, kind, url) exists or the account already has too many pending;
 * both decided inside the statement. Returns the stored claim and whether this call created it.
 */
export async function submitClaim(
  db: D1Database,
  c: { id: string; customerId: string; kind: ClaimKind; url: string; submittedBy: string; at: number },
): Promise<{ created: boolean; claim: Claim | null }> {
  const [insert, row] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `INSERT INTO member_claims (id, customer_id, kind, url, status, submitted_by, created_at)
         SELECT ?1, ?2, ?3, ?4, 'pending', ?5, ?6
         WHERE (SELECT COUNT(*) FROM member_claims WHERE customer_id = ?2 AND status = 'pending') < ?7
         ON CONFLICT (customer_id, kind, url) DO NOTHING`,
      )
      .bind(c.id, c.customerId, c.kind, c.url, c.submittedBy, c.at, MAX_PENDING_CLAIMS),
    db.prepare(`SELECT ${COLS} FROM member_claims WHERE customer_id = ? AND kind = ? AND url = ?`).bind(c.customerId, c.kind, c.url),
  ]);
  return { created: (insert!.meta.changes ?? 0) > 0, claim: (row!.results[0] as Claim | undefined) ?? null };
}

export async function getClaim(db: D1Database, id: string): Promise<Claim | null> {
  return db.prepare(`SELECT ${COLS} FROM member_claims WHERE id = ?`).bind(id).first<Claim>();
}

export async function listClaims(db: D1Database, q: { status?: ClaimStatus; customerId?: string; limit: number }): Promise<Claim[]> {
  const { results } = await db
    .prepare(`SELECT ${COLS} FROM member_claims WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR customer_id = ?2) ORDER BY created_at DESC, id LIMIT ?3`)
    .bind(q.status ?? null, q.customerId ?? null, q.limit)
    .all<Claim>();
  return results;
}

/** Decides a pending claim; a claim already decided is left as it is (the statement changes nothing). */
export function decideClaimStmt(db: D1Database, id: string, d: { status: "approved" | "rejected"; actor: string; reason: string | null; ledgerId: string | null; at: number }): D1PreparedStatement {
  return db
    .prepare(`UPDATE member_claims SET status = ?2, decided_by = ?3, reason = ?4, ledger_id = ?5, decided_at = ?6 WHERE id = ?1 AND status = 'pending'`)
    .bind(id, d.status, d.actor, d.reason, d.ledgerId, d.at);
}
