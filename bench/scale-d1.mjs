// Reading a running app's local D1 file directly (SQLite, read-only), and its workerd processes' memory.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "./lib.mjs";

let DatabaseSync;
/** node:sqlite (Node 22), imported without its one-line "experimental" warning. */
async function sqlite() {
  if (DatabaseSync) return DatabaseSync;
  const emit = process.emitWarning;
  process.emitWarning = (w, ...rest) => (/SQLite/i.test(String(w)) ? undefined : emit.call(process, w, ...rest));
  try {
    ({ DatabaseSync } = await import("node:sqlite"));
  } finally {
    process.emitWarning = emit;
  }
  return DatabaseSync;
}

/** The local D1 database file that `wrangler dev --persist-to <dir>` keeps (one database: the app's). */
export function d1File(persistTo) {
  const dir = join(persistTo, "v3", "d1");
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(".sqlite") && e.name !== "metadata.sqlite") files.push(join(d, e.name));
    }
  };
  if (existsSync(dir)) walk(dir);
  if (files.length !== 1) throw new Error(`expected one local D1 file under ${dir}, found ${files.length}`);
  return files[0];
}

/**
 * A read-only connection to the app's local D1 while the app runs (SQLite WAL: readers never block its
 * writer). Every statement sees the latest committed data.
 */
export async function openD1(persistTo) {
  const Db = await sqlite();
  const db = new Db(d1File(persistTo), { readOnly: true });
  db.exec("PRAGMA busy_timeout = 5000");
  const all = (sql, ...params) => db.prepare(sql).all(...params).map((r) => ({ ...r }));
  const get = (sql, ...params) => all(sql, ...params)[0];
  const tables = () => all(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).map((r) => r.name);
  const columns = (table) => all(`SELECT name FROM pragma_table_info(?)`, table).map((r) => r.name);
  return {
    all,
    get,
    tables,
    close: () => db.close(),
    /**
     * Deliveries kept, by status, optionally only ids in [from, to): inbox rows, and the ids of applied deliveries
     * carried on the events queue (migrations/0028_applied_deliveries.sql), counted as processed.
     */
    inbox(range) {
      const applied = tables().includes("applied_deliveries")
        ? `UNION ALL SELECT 'processed' AS status, COUNT(*) AS n FROM applied_deliveries ${range ? "WHERE id >= ?1 AND id < ?2" : ""}`
        : "";
      const sql = `SELECT status, SUM(n) AS n FROM (SELECT status, COUNT(*) AS n FROM inbox_events ${range ? "WHERE id >= ?1 AND id < ?2" : ""} GROUP BY status ${applied}) GROUP BY status`;
      const rows = range ? all(sql, range[0], range[1]) : all(sql);
      const out = { total: 0 };
      for (const r of rows) (out[r.status] = r.n), (out.total += r.n);
      return out;
    },
    /**
     * Bytes per table: the pages its b-tree and its indexes occupy (dbstat `pgsize`, free pages excluded),
     * the bytes of the cells on them (`payload`), and its rows.
     */
    storage() {
      const pages = all(
        `SELECT COALESCE(m.tbl_name, s.name) AS tbl, SUM(s.pgsize) AS bytes, SUM(s.payload) AS payload
         FROM dbstat s LEFT JOIN sqlite_schema m ON m.name = s.name GROUP BY tbl`,
      );
      const byTable = pages.map((p) => ({
        table: p.tbl,
        bytes: p.bytes,
        payloadBytes: p.payload,
        rows: p.tbl === "sqlite_schema" ? null : get(`SELECT COUNT(*) AS n FROM "${p.tbl.replaceAll('"', '""')}"`).n,
      }));
      byTable.sort((a, b) => b.bytes - a.bytes);
      const pageSize = get("PRAGMA page_size").page_size;
      return {
        byTable,
        bytes: byTable.reduce((n, t) => n + t.bytes, 0),
        fileBytes: get("PRAGMA page_count").page_count * pageSize,
        freeBytes: get("PRAGMA freelist_count").freelist_count * pageSize,
      };
    },
    /** The largest row of each table, as the sum of length() over its columns. */
    largestRows() {
      return tables()
        .map((t) => {
          const cols = columns(t);
          const size = cols.map((c) => `IFNULL(length("${c.replaceAll('"', '""')}"), 0)`).join(" + ");
          const r = get(`SELECT MAX(${size}) AS bytes FROM "${t.replaceAll('"', '""')}"`);
          return { table: t, bytes: r?.bytes ?? 0 };
        })
        .filter((r) => r.bytes > 0)
        .sort((a, b) => b.bytes - a.bytes);
    },
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; returns the last value. */
export async function poll(check, { timeoutMs, everyMs = 100 }) {
  const deadline = Date.now() + timeoutMs;
  let v = await check();
  while (!v && Date.now() < deadline) {
    await sleep(everyMs);
    v = await check();
  }
  return v;
}

/** pid -> { ppid, comm } for every process. */
function processes() {
  const out = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const m = /^\d+ \((.*)\) \S+ (\d+)/s.exec(stat);
      if (m) out.set(Number(d), { comm: m[1], ppid: Number(m[2]) });
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** Resident memory (VmRSS) of the workerd processes started under `rootPid` (wrangler dev's process group). */
export function workerdRss(rootPid) {
  const all = processes();
  const tree = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of all) if (!tree.has(pid) && tree.has(p.ppid)) (tree.add(pid), (grew = true));
  }
  let kib = 0;
  const pids = [];
  const perProcessMiB = [];
  // VmRSS = RssAnon (heaps: V8, SQLite's page cache, allocator arenas) + RssFile (mapped files: the binary,
  // an mmapped database) + RssShmem; the split says whose memory a growth is.
  const parts = { anon: 0, file: 0, shmem: 0 };
  const field = (status, name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  for (const pid of tree) {
    if (!/workerd/.test(all.get(pid)?.comm ?? "")) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const rss = field(status, "VmRSS");
      if (!rss) continue;
      kib += rss;
      pids.push(pid);
      perProcessMiB.push(Math.round(rss / 102.4) / 10);
      parts.anon += field(status, "RssAnon");
      parts.file += field(status, "RssFile");
      parts.shmem += field(status, "RssShmem");
    } catch {
      // ended meanwhile
    }
  }
  const mib = (k) => Math.round((k / 1024) * 10) / 10;
  return { mib: mib(kib), pids, perProcessMiB, anonMiB: mib(parts.anon), fileMiB: mib(parts.file), shmemMiB: mib(parts.shmem) };
}
