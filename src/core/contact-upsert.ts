/** A person as the contacts table holds them (src/store/identity.ts, `upsertContactsStmt`). */
export interface StoredPerson {
  customerId: string | null;
  email: string | null;
  name: string | null;
  role: string | null;
  erased: boolean;
}

export interface Sighting {
  id: string;
  customerId: string;
  email?: string;
  name?: string;
  role?: string;
}

/** What the upsert does to one stored person for one sighting: the same rules as its SQL, in the same order. */
export function upsertPerson(row: StoredPerson | undefined, s: Sighting): StoredPerson {
  if (!row) return { customerId: s.customerId, email: s.email ?? null, name: s.name ?? null, role: s.role ?? null, erased: false };
  const changes =
    row.customerId === null ||
    (s.role !== undefined && s.role !== row.role) ||
    (!row.erased && ((s.email !== undefined && s.email !== row.email) || (s.name !== undefined && s.name !== row.name))) ||
    (row.erased && (row.email !== null || row.name !== null));
  if (!changes) return row;
  return {
    customerId: row.customerId ?? s.customerId,
    email: row.erased ? null : (s.email ?? row.email),
    name: row.erased ? null : (s.name ?? row.name),
    role: s.role ?? row.role,
    erased: row.erased,
  };
}

/**
 * The sightings the upsert still has to write: every sighting of a person whose row they would change, none of a
 * person they leave as stored. Most sightings of a known person change nothing, and a statement that writes nothing
 * is still a query on the one database every account shares.
 */
export function changedSightings(stored: ReadonlyMap<string, StoredPerson>, sightings: readonly Sighting[]): Sighting[] {
  const after = new Map<string, StoredPerson | undefined>();
  for (const s of sightings) after.set(s.id, upsertPerson(after.has(s.id) ? after.get(s.id) : stored.get(s.id), s));
  const changed = new Set([...after].filter(([id, row]) => !samePerson(stored.get(id), row)).map(([id]) => id));
  return sightings.filter((s) => changed.has(s.id));
}

function samePerson(a: StoredPerson | undefined, b: StoredPerson | undefined): boolean {
  return a !== undefined && b !== undefined && a.customerId === b.customerId && a.email === b.email && a.name === b.name && a.role === b.role && a.erased === b.erased;
}
