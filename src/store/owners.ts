/** HubSpot owners by id (migrations/0012_owners.sql), so pages can show a name instead of an id. */

export interface OwnerRecord {
  id: string;
  name: string | null;
  email: string | null;
}

/** Remembers an owner as the HubSpot owners API last described them; emails are kept lower-cased, as sign-in emails are. */
export function saveOwnerStmt(db: D1Database, o: OwnerRecord, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO owners (id, name, email, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, updated_at = excluded.updated_at`,
    )
    .bind(o.id, o.name, o.email?.toLowerCase() ?? null, now);
}
