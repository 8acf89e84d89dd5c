import { ROW_LIMIT_BYTES } from "../../src/store/limits";

/**
 * The local D1 stores rows Cloudflare's D1 refuses (over 2,000,000 bytes). test/setup/row-ceiling.ts runs this
 * after every test, so any stored row over Tenure's own 1 MB ceiling fails the test that left it, whichever code
 * path wrote it. One query: a UNION over every table of its largest row, in bytes.
 */
let scans: string[] | null = null;

/** One statement per table (D1 caps compound SELECTs well below the table count): its rows over `?`, in bytes. */
async function buildScans(db: D1Database): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT m.name AS tbl, p.name AS col FROM sqlite_master m JOIN pragma_table_info(m.name) p
       WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_cf_%' AND m.name != 'd1_migrations'
       ORDER BY m.name, p.cid`,
    )
    .all<{ tbl: string; col: string }>();
  const byTable = new Map<string, string[]>();
  for (const r of results) byTable.set(r.tbl, [...(byTable.get(r.tbl) ?? []), r.col]);
  const q = (id: string) => `"${id.replace(/"/g, '""')}"`;
  return [...byTable].map(([t, cols]) => {
    const size = cols.map((c) => `coalesce(length(CAST(${q(c)} AS BLOB)), 0)`).join(" + ");
    return `SELECT '${t.replace(/'/g, "''")}' AS tbl, ${size} AS bytes FROM ${q(t)} WHERE ${size} > ?`;
  });
}

/** Every stored row over the ceiling, as table and bytes; all tables in one batch. */
export async function oversizedRows(db: D1Database, limit = ROW_LIMIT_BYTES): Promise<{ tbl: string; bytes: number }[]> {
  scans ??= await buildScans(db);
  if (scans.length === 0) return [];
  const results = await db.batch<{ tbl: string; bytes: number }>(scans.map((sql) => db.prepare(sql).bind(limit)));
  return results.flatMap((r) => r.results);
}
