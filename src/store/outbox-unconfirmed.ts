/**
 * Marks an action whose last call ended without an answer (a timeout, a lost connection): the vendor may
 * have acted, so its next attempt looks for the earlier effect before acting again.
 */
export function markUnconfirmedStmt(db: D1Database, id: string): D1PreparedStatement {
  return db.prepare(`UPDATE outbox SET unconfirmed = 1 WHERE id = ?`).bind(id);
}
