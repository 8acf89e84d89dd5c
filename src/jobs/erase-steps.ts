import { z } from "zod";
import { normalizedEventSchema, type NormalizedEvent } from "../core/events";
import { ERASED, contactIsTheirs, isAccountFact, learnFromContact, learnFromEvent, learnFromPayload, mentions, personOwns, scrubEvents, scrubValue, type PersonIds } from "../core/erasure";
import { scrubState } from "../core/erasure-state";
import { ERASE_TABLES, deleteRowStmt, eraseContactRowStmt, readPage, scrubCustomerStmts, updateRowStmt, type EraseTable, type ScanRow } from "../store/erasure-scan";

/**
 * The steps of an erasure, in order. Each call does one page of one table (rows after `cursor` by rowid) and
 * returns the writes for the page's batch, the rowid it reached (null when the table is done) and, for the
 * collecting steps, what it learnt about the person. Nothing is written here.
 */
export interface StepResult {
  writes: D1PreparedStatement[];
  reached: number | null;
  changed: number;
}

export interface Step {
  name: string;
  run: (db: D1Database, ids: PersonIds, cursor: number, now: number) => Promise<StepResult>;
}

/** Rows per page: inbox rows carry raw payloads (up to 256 KiB), customers their state. */
export const PAGE = { inbox: 100, contacts: 200, customers: 25, table: 200 } as const;

const reachedOf = (rows: ScanRow[], limit: number) => (rows.length < limit ? null : rows.at(-1)!.rid);

/** A row's facts; null when they no longer parse as facts (then they are scrubbed as plain JSON). */
function parseEvents(normalized: unknown): NormalizedEvent[] | null {
  const json = parseJson(normalized);
  const parsed = json.ok ? z.array(normalizedEventSchema).safeParse(json.value) : null;
  return parsed?.success ? parsed.data : null;
}

function parseJson(text: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof text !== "string") return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** A text column without the person: JSON is rewritten leaf by leaf, other text goes whole. */
export function scrubText(text: unknown, ids: PersonIds, own = false): { text: unknown; changed: boolean } {
  if (typeof text !== "string") return { text, changed: false };
  const json = parseJson(text);
  if (json.ok && typeof json.value === "object" && json.value !== null) {
    const r = scrubValue(json.value, ids, own);
    return r.changed ? { text: JSON.stringify(r.value), changed: true } : { text, changed: false };
  }
  return mentions(text, ids, own) ? { text: ERASED, changed: true } : { text, changed: false };
}

const collectContacts: Step = {
  name: "collect:contacts",
  run: async (db, ids, cursor) => {
    const rows = await readPage(db, "contacts", ["id", "email", "name", "customer_id"], cursor, PAGE.contacts);
    for (const r of rows) {
      const c = { id: String(r.id), email: r.email as string | null, name: r.name as string | null, customerId: r.customer_id as string | null };
      if (contactIsTheirs(c, ids)) learnFromContact(c, ids);
    }
    return { writes: [], reached: reachedOf(rows, PAGE.contacts), changed: 0 };
  },
};

const collectInbox: Step = {
  name: "collect:inbox",
  run: async (db, ids, cursor) => {
    const rows = await readPage(db, "inbox_events", ["normalized", "payload", "customer_id"], cursor, PAGE.inbox);
    for (const r of rows) {
      const events = parseEvents(r.normalized) ?? [];
      const own = events.filter((e) => personOwns(e, ids));
      for (const e of own) learnFromEvent(e, ids, (r.customer_id as string | null) ?? null);
      if (own.length > 0 && !events.some(isAccountFact)) {
        const raw = parseJson(r.payload);
        if (raw.ok) learnFromPayload(raw.value, ids);
      }
    }
    return { writes: [], reached: reachedOf(rows, PAGE.inbox), changed: 0 };
  },
};

const scrubInbox: Step = {
  name: "inbox_events",
  run: async (db, ids, cursor) => {
    const rows = await readPage(db, "inbox_events", ["normalized", "payload"], cursor, PAGE.inbox);
    const writes: D1PreparedStatement[] = [];
    for (const r of rows) {
      const events = parseEvents(r.normalized);
      const s = events ? scrubEvents(events, ids) : { ...scrubText(r.normalized, ids), own: false };
      const normalized = "events" in s ? JSON.stringify(s.events) : s.text;
      const payload = s.own ? { text: null, changed: r.payload !== null } : scrubText(r.payload, ids);
      if (!s.changed && !payload.changed) continue;
      writes.push(updateRowStmt(db, "inbox_events", { normalized: s.changed ? normalized : r.normalized, payload: payload.text }, r.rid));
    }
    return { writes, reached: reachedOf(rows, PAGE.inbox), changed: writes.length };
  },
};

const scrubContacts: Step = {
  name: "contacts",
  run: async (db, ids, cursor, now) => {
    const rows = await readPage(db, "contacts", ["id", "email", "name", "role"], cursor, PAGE.contacts);
    const writes: D1PreparedStatement[] = [];
    for (const r of rows) {
      const id = String(r.id);
      if (contactIsTheirs({ id, email: r.email as string | null }, ids)) {
        // A HubSpot id says nothing by itself and blocks a later sighting from writing them back; other ids are theirs.
        writes.push(id.startsWith("hubspot:") ? eraseContactRowStmt(db, r.rid, now) : deleteRowStmt(db, "contacts", r.rid));
        continue;
      }
      const fields = { email: scrubText(r.email, ids), name: scrubText(r.name, ids), role: scrubText(r.role, ids) };
      if (fields.email.changed || fields.name.changed || fields.role.changed) {
        writes.push(updateRowStmt(db, "contacts", { email: fields.email.changed ? null : r.email, name: fields.name.changed ? null : r.name, role: fields.role.changed ? null : r.role }, r.rid));
      }
    }
    return { writes, reached: reachedOf(rows, PAGE.contacts), changed: writes.length };
  },
};

const scrubCustomers: Step = {
  name: "customers",
  run: async (db, ids, cursor) => {
    const rows = await readPage(db, "customers", ["id", "version", "name", "state", "health", "alerts"], cursor, PAGE.customers);
    const writes: D1PreparedStatement[] = [];
    for (const r of rows) {
      const parsed = parseJson(r.state);
      if (!parsed.ok) continue;
      const linked = ids.customerIds.includes(String(r.id));
      const state = scrubState(parsed.value as never, ids, linked);
      const health = scrubText(r.health, ids, linked);
      const alerts = scrubText(r.alerts, ids, linked);
      // A customer's name is a company's: only a full name or an email of theirs in it goes.
      const name = typeof r.name === "string" && mentions(r.name, ids, false) ? ERASED : (r.name as string | null);
      if (!state.changed && !health.changed && !alerts.changed && name === r.name) continue;
      writes.push(
        ...scrubCustomerStmts(db, {
          rid: r.rid,
          version: Number(r.version),
          name,
          state: state.changed ? JSON.stringify(state.state) : String(r.state),
          health: health.text as string | null,
          alerts: String(alerts.text),
        }),
      );
    }
    return { writes, reached: reachedOf(rows, PAGE.customers), changed: writes.length / 2 };
  },
};

function tableStep(t: EraseTable): Step {
  return {
    name: t.table,
    run: async (db, ids, cursor) => {
      const customer = "customer" in t ? t.customer : null;
      const rows = await readPage(db, t.table, customer ? [...t.columns, customer] : t.columns, cursor, PAGE.table);
      const writes: D1PreparedStatement[] = [];
      for (const r of rows) {
        const own = customer !== null && ids.customerIds.includes(String(r[customer]));
        const scrubbed = Object.fromEntries(t.columns.map((c) => [c, scrubText(r[c], ids, own)]));
        if (!Object.values(scrubbed).some((s) => s.changed)) continue;
        if (t.onMatch === "delete") writes.push(deleteRowStmt(db, t.table, r.rid));
        else writes.push(updateRowStmt(db, t.table, Object.fromEntries(t.columns.map((c) => [c, scrubbed[c]!.text])), r.rid));
      }
      return { writes, reached: reachedOf(rows, PAGE.table), changed: writes.length };
    },
  };
}

/** Collect first (every identifier they were seen with), then tombstones (written between), then every table. */
export const COLLECT_STEPS = 2;
export const ERASE_STEPS: readonly Step[] = [collectContacts, collectInbox, scrubInbox, scrubContacts, ...ERASE_TABLES.map(tableStep), scrubCustomers];
