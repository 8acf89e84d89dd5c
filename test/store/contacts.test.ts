import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { changedSightings, upsertPerson, type Sighting, type StoredPerson } from "../../src/core/contact-upsert";
import { upsertContactsStmt } from "../../src/store/identity";

describe("a person seen again", () => {
  it("writes nothing when nothing about them changed, and updates what did", async () => {
    const seen = (over: { email?: string; role?: string } = {}) => upsertContactsStmt(env.DB, [{ id: "segment:u_same", customerId: "cu_same", email: "dana@acme.example", ...over }], Date.now()).run();
    await seen();
    const again = await seen();
    expect(again.meta.changes).toBe(0);
    const promoted = await seen({ role: "admin" });
    expect(promoted.meta.changes).toBe(1);
    const row = await env.DB.prepare(`SELECT email, role FROM contacts WHERE id = 'segment:u_same'`).first();
    expect(row).toEqual({ email: "dana@acme.example", role: "admin" });
  });
});

describe("the sightings a step still writes (changedSightings)", () => {
  const value = fc.option(fc.constantFrom("a", "b"), { nil: undefined });
  const storedArb = fc.option(
    fc.record({ customerId: fc.constantFrom("cu_1", null), email: fc.constantFrom("a", "b", null), name: fc.constantFrom("a", null), role: fc.constantFrom("a", "b", null), erased: fc.boolean() }),
    { nil: undefined },
  );
  const sightingArb = fc.record({ who: fc.constantFrom(0, 1), customerId: fc.constantFrom("cu_1", "cu_2"), email: value, name: value, role: value });
  let run = 0;

  it("leave every person's row as the upsert of all sightings does, and the model agrees with the SQL", async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(storedArb, storedArb), fc.array(sightingArb, { maxLength: 5 }), async (storedRows, raw) => {
        run++;
        const ids = [`segment:cs_${run}_0`, `segment:cs_${run}_1`];
        const sightings: Sighting[] = raw.map(({ who, ...s }) => ({ id: ids[who]!, ...s }));
        const stored = new Map<string, StoredPerson>();
        const seed = async (suffix: string) => {
          for (const [i, row] of storedRows.entries()) {
            if (!row) continue;
            await env.DB.prepare(`INSERT INTO contacts (id, customer_id, email, name, role, erased_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1)`)
              .bind(ids[i] + suffix, row.customerId, row.email, row.name, row.role, row.erased ? 1 : null)
              .run();
            // Resolution reads only people already tied to a customer.
            if (row.customerId !== null && suffix === "") stored.set(ids[i]!, row);
          }
        };
        await seed("");
        await seed("_all");
        const withSuffix = (list: Sighting[], suffix: string) => list.map((s) => ({ ...s, id: s.id + suffix }));
        const changed = changedSightings(stored, sightings);
        if (changed.length > 0) await upsertContactsStmt(env.DB, changed, 2).run();
        if (sightings.length > 0) await upsertContactsStmt(env.DB, withSuffix(sightings, "_all"), 2).run();
        for (const id of ids) {
          const [filtered, all] = await Promise.all([rowOf(id), rowOf(id + "_all")]);
          expect(filtered).toEqual(all);
          let model: StoredPerson | undefined = storedRows[ids.indexOf(id)] ?? undefined;
          for (const s of sightings) if (s.id === id) model = upsertPerson(model, s);
          expect(model ?? null).toEqual(all);
        }
      }),
      { numRuns: 150 },
    );
  });

  async function rowOf(id: string): Promise<StoredPerson | null> {
    const r = await env.DB.prepare(`SELECT customer_id, email, name, role, erased_at FROM contacts WHERE id = ?`)
      .bind(id)
      .first<{ customer_id: string | null; email: string | null; name: string | null; role: string | null; erased_at: number | null }>();
    return r ? { customerId: r.customer_id, email: r.email, name: r.name, role: r.role, erased: r.erased_at !== null } : null;
  }
});
