/**
 * Erasure of one person (HubSpot contact.privacyDeletion, or DELETE /api/contacts/:id). Their email and name
 * are removed from every place Tenure keeps them: the contacts table, raw payloads and normalized facts.
 * Anonymous facts (ticket counts, usage days keyed by opaque ids, scores) stay, so health is unchanged.
 */
export function eraseContactStmts(db: D1Database, contactId: string, now: number): D1PreparedStatement[] {
  const email = `(SELECT email FROM contacts WHERE id = ?1 AND email IS NOT NULL)`;
  return [
    db
      .prepare(
        `UPDATE inbox_events SET payload = NULL, normalized = replace(normalized, ${email}, '[erased]')
         WHERE ${email} IS NOT NULL AND (instr(lower(normalized), lower(${email})) > 0 OR instr(lower(payload), lower(${email})) > 0)`,
      )
      .bind(contactId),
    // The same person seen through another source (e.g. a Segment user with this email).
    db
      .prepare(`UPDATE contacts SET email = NULL, name = NULL, erased_at = ?2, updated_at = ?2 WHERE email IS NOT NULL AND email = ${email} AND id != ?1`)
      .bind(contactId, now),
    db
      .prepare(
        `INSERT INTO contacts (id, email, name, erased_at, updated_at) VALUES (?1, NULL, NULL, ?2, ?2)
         ON CONFLICT (id) DO UPDATE SET email = NULL, name = NULL, erased_at = ?2, updated_at = ?2`,
      )
      .bind(contactId, now),
  ];
}

export function markErasureDoneStmt(db: D1Database, eventId: string, now: number): D1PreparedStatement {
  return db.prepare(`UPDATE inbox_events SET status = 'processed', processed_at = ?, reason = 'personal data erased' WHERE id = ?`).bind(now, eventId);
}
