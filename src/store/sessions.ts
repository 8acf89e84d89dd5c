/** Dashboard sessions (migration 0009). Rows are keyed by the SHA-256 of the cookie's id, never the id. */

export interface SessionRow {
  idHash: string;
  tokenFingerprint: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  userAgent: string;
}

/** How many expired or revoked rows one prune deletes: bounded work per login. */
export const SESSION_PRUNE_PAGE = 50;

export async function saveSession(db: D1Database, s: SessionRow): Promise<void> {
  await db
    .prepare(`INSERT INTO dashboard_sessions (id_hash, token_fingerprint, created_at, last_seen_at, expires_at, user_agent) VALUES (?, ?, ?, ?, ?, ?)`)
    .bind(s.idHash, s.tokenFingerprint, s.createdAt, s.lastSeenAt, s.expiresAt, s.userAgent)
    .run();
}

export async function findSession(db: D1Database, idHash: string): Promise<SessionRow | null> {
  const r = await db
    .prepare(`SELECT token_fingerprint, created_at, last_seen_at, expires_at, user_agent FROM dashboard_sessions WHERE id_hash = ?`)
    .bind(idHash)
    .first<{ token_fingerprint: string; created_at: number; last_seen_at: number; expires_at: number; user_agent: string }>();
  return r ? { idHash, tokenFingerprint: r.token_fingerprint, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at, userAgent: r.user_agent } : null;
}

export async function touchSession(db: D1Database, idHash: string, now: number): Promise<void> {
  await db.prepare(`UPDATE dashboard_sessions SET last_seen_at = ? WHERE id_hash = ?`).bind(now, idHash).run();
}

export async function deleteSession(db: D1Database, idHash: string): Promise<void> {
  await db.prepare(`DELETE FROM dashboard_sessions WHERE id_hash = ?`).bind(idHash).run();
}

/** Deletes up to one page of sessions that are past their lifetime, idle too long, or from an older ADMIN_TOKEN. */
export async function pruneSessions(db: D1Database, opts: { now: number; idleMs: number; tokenFingerprint: string }): Promise<number> {
  const res = await db
    .prepare(
      `DELETE FROM dashboard_sessions WHERE id_hash IN (
         SELECT id_hash FROM dashboard_sessions WHERE expires_at <= ? OR last_seen_at <= ? OR token_fingerprint <> ? LIMIT ?)`,
    )
    .bind(opts.now, opts.now - opts.idleMs, opts.tokenFingerprint, SESSION_PRUNE_PAGE)
    .run();
  return res.meta.changes ?? 0;
}
