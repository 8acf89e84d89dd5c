import type { Band } from "../core/health";
import { CONVERTED, isPastDue, type LedgerEntry, type MonthlyCap, type Party, type Referral, type ReferralWrite } from "../core/rewards";
import type { CustomerState } from "../core/state";

/** SQL of the loyalty program: referrals, the ledger, members, codes, fingerprints, birthdays. */

type ReferralRaw = {
  referred_id: string;
  referrer_id: string;
  code: string | null;
  source: Referral["source"];
  status: Referral["status"];
  reason: string | null;
  attributed_at: number;
  invoice_id: string | null;
  charge_id: string | null;
  payment_intent_id: string | null;
  invoice_amount: number | null;
  invoice_currency: string | null;
  reward_amount: number | null;
  currency: string | null;
  qualified_at: number | null;
  release_at: number | null;
  paid_at: number | null;
  ended_at: number | null;
  version: number;
};

export function toReferral(r: ReferralRaw): Referral {
  return {
    referredId: r.referred_id,
    referrerId: r.referrer_id,
    code: r.code,
    source: r.source,
    status: r.status,
    reason: r.reason,
    attributedAt: r.attributed_at,
    invoiceId: r.invoice_id,
    chargeId: r.charge_id,
    paymentIntentId: r.payment_intent_id,
    invoiceAmount: r.invoice_amount,
    invoiceCurrency: r.invoice_currency,
    rewardAmount: r.reward_amount,
    currency: r.currency,
    qualifiedAt: r.qualified_at,
    releaseAt: r.release_at,
    paidAt: r.paid_at,
    endedAt: r.ended_at,
    version: r.version,
  };
}

const COLS = `referrer_id, code, source, status, reason, attributed_at, invoice_id, charge_id, payment_intent_id, invoice_amount, invoice_currency,
  reward_amount, currency, qualified_at, release_at, paid_at, ended_at`;

function values(r: Referral): unknown[] {
  return [r.referrerId, r.code, r.source, r.status, r.reason, r.attributedAt, r.invoiceId, r.chargeId, r.paymentIntentId, r.invoiceAmount, r.invoiceCurrency,
    r.rewardAmount, r.currency, r.qualifiedAt, r.releaseAt, r.paidAt, r.endedAt];
}

/**
 * A referral write under optimistic concurrency: a new row is a plain INSERT (a concurrent insert fails
 * the batch), an update names the version it read and a token the guard checks, so a lost race rolls
 * back the whole batch and the caller decides again from fresh rows.
 */
export function referralWriteStmts(db: D1Database, w: ReferralWrite, now: number): D1PreparedStatement[] {
  const token = crypto.randomUUID();
  const cap = w.cap ? [monthlyCapStmt(db, w.after, w.cap, token)] : [];
  if (!w.before) {
    return [
      db
        .prepare(`INSERT INTO referrals (referred_id, ${COLS}, version, write_token, updated_at) VALUES (?, ${Array(17).fill("?").join(", ")}, 1, ?, ?)`)
        .bind(w.after.referredId, ...values(w.after), token, now),
      ...cap,
    ];
  }
  const sets = COLS.split(",").map((c) => `${c.trim()} = ?`).join(", ");
  return [
    db
      .prepare(`UPDATE referrals SET ${sets}, version = version + 1, write_token = ?, updated_at = ? WHERE referred_id = ? AND version = ?`)
      .bind(...values(w.after), token, now, w.after.referredId, w.before.version),
    db
      .prepare(`INSERT INTO batch_guard (x) SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM referrals WHERE referred_id = ? AND write_token = ?)`)
      .bind(w.after.referredId, token),
    ...cap,
  ];
}

/** Statuses that use up a place under the monthly cap (a reward canceled during its hold gives it back). */
const CAP_COUNTED = JSON.stringify(CONVERTED.filter((s) => s !== "canceled"));

/**
 * Runs right after the write that qualified a reward, in the same batch (one transaction): if the referrer's
 * other rewards in that month already fill the cap, the reward is refused instead. The count is read at
 * commit, so the cap holds however the qualifying events were batched and whatever ran concurrently.
 */
function monthlyCapStmt(db: D1Database, r: Referral, cap: MonthlyCap, token: string): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE referrals SET status = 'refused', reason = ?1, reward_amount = NULL, currency = NULL, release_at = NULL, ended_at = qualified_at
       WHERE referred_id = ?2 AND write_token = ?3 AND status = 'pending'
         AND (SELECT COUNT(*) FROM referrals o WHERE o.referrer_id = ?4 AND o.referred_id != ?2 AND o.qualified_at IS NOT NULL
              AND o.status IN (SELECT value FROM json_each(?5)) AND strftime('%Y-%m', o.qualified_at / 1000, 'unixepoch') = ?6) >= ?7`,
    )
    .bind(cap.reason, r.referredId, token, r.referrerId, CAP_COUNTED, cap.month, cap.limit);
}

export function ledgerStmts(db: D1Database, entries: readonly LedgerEntry[], rulesVersion: string): D1PreparedStatement[] {
  const cols = `id, customer_id, entry, kind, points, amount, currency, ref, reason, action_id, rules_version, at`;
  const stmt = db.prepare(`INSERT INTO loyalty_ledger (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`);
  // A row that depends on how the monthly cap was decided at commit (see monthlyCapStmt).
  const conditional = db.prepare(
    `INSERT INTO loyalty_ledger (${cols}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
     WHERE EXISTS (SELECT 1 FROM referrals WHERE referred_id = ? AND status = ?) ON CONFLICT (id) DO NOTHING`,
  );
  return entries.map((e) => {
    const row = [e.id, e.customerId, e.entry, e.kind, e.points, e.amount, e.currency, e.ref, e.reason, e.actionId, rulesVersion, e.at];
    return e.onlyIf ? conditional.bind(...row, e.onlyIf.referredId, e.onlyIf.status) : stmt.bind(...row);
  });
}

/**
 * Customers who earn points are enrolled (once), as of their earliest earning: in event time, so a replay or a
 * backfill enrolls them when the facts happened, and a late fact from before moves the date back.
 */
export function enrollStmts(db: D1Database, customerIds: readonly string[], via: "earn" | "opt_in", at: number | ReadonlyMap<string, number>): D1PreparedStatement[] {
  const stmt = db.prepare(
    `INSERT INTO loyalty_members (customer_id, enrolled_at, via) VALUES (?, ?, ?)
     ON CONFLICT (customer_id) DO UPDATE SET enrolled_at = excluded.enrolled_at WHERE excluded.enrolled_at < loyalty_members.enrolled_at`,
  );
  return [...new Set(customerIds)].map((id) => stmt.bind(id, typeof at === "number" ? at : at.get(id)!, via));
}

export function fingerprintStmt(db: D1Database, customerId: string, fingerprint: string, at: number): D1PreparedStatement {
  return db.prepare(`INSERT INTO card_fingerprints (fingerprint, customer_id, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`).bind(fingerprint, customerId, at);
}

/** A contact's birthday (`MM-DD`); an erased contact keeps none. */
export function birthdayStmt(db: D1Database, contactId: string, customerId: string, monthDay: string | null, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO contacts (id, customer_id, birthday, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET birthday = CASE WHEN contacts.erased_at IS NULL THEN excluded.birthday END,
         customer_id = COALESCE(contacts.customer_id, excluded.customer_id)`,
    )
    .bind(contactId, customerId, monthDay, now);
}

export { loyaltySyncId, loyaltySyncStmt } from "./loyalty-sync";

export async function loadReferral(db: D1Database, referredId: string): Promise<Referral | null> {
  const r = await db.prepare(`SELECT * FROM referrals WHERE referred_id = ?`).bind(referredId).first<ReferralRaw>();
  return r ? toReferral(r) : null;
}

/** Referrals waiting for payout (pending past their hold, or held), of one referrer or of everyone, in referred-id pages. */
export async function openReferrals(db: D1Database, referrerId: string | null, now: number, after = "", limit = 200): Promise<Referral[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM referrals WHERE (status = 'held' OR (status = 'pending' AND release_at <= ?1)) AND (?2 IS NULL OR referrer_id = ?2) AND referred_id > ?3
       ORDER BY referred_id LIMIT ?4`,
    )
    .bind(now, referrerId, after, limit)
    .all<ReferralRaw>();
  return results.map(toReferral);
}

export interface ProgramPosition {
  asReferred: Referral | null;
  /** Referrals this customer made that wait for payout (at most 200, in referred-id order). */
  open: Referral[];
  paid: number;
  badges: string[];
  /** The customer has a referral code of its own. */
  hasCode: boolean;
  /** The customer's `loyalty_seq` read in the same statement (null: no customer row yet). Every write that can change the position moves it. */
  seq: number | null;
  /** When one of its pending referrals falls due and joins `open` (a change no write makes); null if none will. */
  validUntil: number | null;
}

const REFERRAL_COLUMNS = [
  "referred_id",
  "referrer_id",
  "code",
  "source",
  "status",
  "reason",
  "attributed_at",
  "invoice_id",
  "charge_id",
  "payment_intent_id",
  "invoice_amount",
  "invoice_currency",
  "reward_amount",
  "currency",
  "qualified_at",
  "release_at",
  "paid_at",
  "ended_at",
  "version",
] as const satisfies readonly (keyof ReferralRaw)[];
const referralJson = `json_object(${REFERRAL_COLUMNS.map((c) => `'${c}', ${c}`).join(", ")})`;

/**
 * Each customer's place in the program, for a whole batch of customers in one statement (a customer step reads it
 * unless its account shard holds it: src/shard/customer-copy.ts). With it, the customer's `loyalty_seq` and when the
 * position changes by time alone, so that a copy is used only while it still answers what this statement would.
 */
export async function programPositions(db: D1Database, customerIds: readonly string[], now: number): Promise<Map<string, ProgramPosition>> {
  const ids = [...new Set(customerIds)];
  const out = new Map<string, ProgramPosition>(ids.map((id) => [id, { asReferred: null, open: [], paid: 0, badges: [], hasCode: false, seq: null, validUntil: null }]));
  if (ids.length === 0) return out;
  const { results } = await db
    .prepare(
      `WITH ids (id) AS (SELECT value FROM json_each(?1))
       SELECT 'referred' AS part, referred_id AS who, ${referralJson} AS v FROM referrals WHERE referred_id IN (SELECT id FROM ids)
       UNION ALL
       SELECT 'open', referrer_id, v FROM (
         SELECT referrer_id, ${referralJson} AS v, ROW_NUMBER() OVER (PARTITION BY referrer_id ORDER BY referred_id) AS nth FROM referrals
         WHERE referrer_id IN (SELECT id FROM ids) AND (status = 'held' OR (status = 'pending' AND release_at <= ?2))
       ) WHERE nth <= 200
       UNION ALL
       SELECT 'tally', referrer_id, json_object('paid', SUM(status = 'paid'), 'due', MIN(CASE WHEN status = 'pending' AND release_at > ?2 THEN release_at END))
       FROM referrals WHERE referrer_id IN (SELECT id FROM ids) AND status IN ('paid', 'pending') GROUP BY referrer_id
       UNION ALL
       SELECT 'badge', customer_id, kind FROM loyalty_ledger WHERE customer_id IN (SELECT id FROM ids) AND entry = 'badge.awarded'
       UNION ALL
       SELECT 'self', ids.id, json_object('seq', c.loyalty_seq, 'code', EXISTS (SELECT 1 FROM referral_codes WHERE referrer_id = ids.id))
       FROM ids LEFT JOIN customers c ON c.id = ids.id`,
    )
    .bind(JSON.stringify(ids), now)
    .all<{ part: "referred" | "open" | "tally" | "badge" | "self"; who: string; v: string | number }>();
  for (const r of results) {
    const position = out.get(r.who)!;
    if (r.part === "referred") position.asReferred = toReferral(JSON.parse(String(r.v)) as ReferralRaw);
    else if (r.part === "open") position.open.push(toReferral(JSON.parse(String(r.v)) as ReferralRaw));
    else if (r.part === "tally") {
      const t = JSON.parse(String(r.v)) as { paid: number; due: number | null };
      position.paid = t.paid;
      position.validUntil = t.due;
    } else if (r.part === "self") {
      const self = JSON.parse(String(r.v)) as { seq: number | null; code: number };
      position.seq = self.seq;
      position.hasCode = self.code === 1;
    } else position.badges.push(String(r.v));
  }
  // The open referrals in referred-id order, as the program pays them out.
  for (const position of out.values()) position.open.sort((a, b) => (a.referredId < b.referredId ? -1 : a.referredId > b.referredId ? 1 : 0));
  return out;
}

export async function referrerTallies(db: D1Database, referrerId: string): Promise<{ paid: number; badges: string[] }> {
  const [paid, badges] = await db.batch<{ n: number } | { kind: string }>([
    db.prepare(`SELECT COUNT(*) AS n FROM referrals WHERE referrer_id = ? AND status = 'paid'`).bind(referrerId),
    db.prepare(`SELECT kind FROM loyalty_ledger WHERE customer_id = ? AND entry = 'badge.awarded'`).bind(referrerId),
  ]);
  return { paid: (paid!.results[0] as { n: number }).n, badges: (badges!.results as { kind: string }[]).map((b) => b.kind) };
}

/** Rewards qualified per referrer and `yyyy-mm` (the monthly cap). */
export async function monthCounts(db: D1Database, referrerIds: readonly string[]): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  if (referrerIds.length === 0) return out;
  const counted = CONVERTED.filter((s) => s !== "canceled");
  const { results } = await db
    .prepare(
      `SELECT referrer_id, strftime('%Y-%m', qualified_at / 1000, 'unixepoch') AS month, COUNT(*) AS n FROM referrals
       WHERE referrer_id IN (SELECT value FROM json_each(?)) AND qualified_at IS NOT NULL AND status IN (SELECT value FROM json_each(?))
       GROUP BY referrer_id, month`,
    )
    .bind(JSON.stringify(referrerIds), JSON.stringify(counted))
    .all<{ referrer_id: string; month: string; n: number }>();
  for (const r of results) (out[r.referrer_id] ??= {})[r.month] = r.n;
  return out;
}

/** Attribution keys (promotion code ids or codes, any case) -> referrer id. */
export async function codeOwners(db: D1Database, keys: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (keys.length === 0) return out;
  const { results } = await db
    .prepare(
      `SELECT rc.code, rc.referrer_id, CASE WHEN o.status = 'delivered' THEN json_extract(o.result, '$') END AS promo
       FROM referral_codes rc LEFT JOIN outbox o ON o.id = rc.action_id
       WHERE rc.code IN (SELECT upper(value) FROM json_each(?1))
          OR (o.status = 'delivered' AND json_extract(o.result, '$') IN (SELECT value FROM json_each(?1)))`,
    )
    .bind(JSON.stringify(keys))
    .all<{ code: string; referrer_id: string; promo: string | null }>();
  for (const r of results) {
    out.set(r.code, r.referrer_id);
    if (r.promo) out.set(r.promo, r.referrer_id);
  }
  return out;
}

type PartyRaw = { id: string; name: string | null; domain: string | null; currency: string | null; band: Band | null; state: string };

/** Both sides of referrals as the rules see them; customers that do not exist are absent. */
export async function loadParties(db: D1Database, ids: readonly string[]): Promise<Map<string, Party>> {
  const out = new Map<string, Party>();
  const unique = [...new Set(ids)];
  if (unique.length === 0) return out;
  const list = JSON.stringify(unique);
  const [rows, stripe, prints] = await db.batch<PartyRaw | { customer_id: string; value: string }>([
    db.prepare(`SELECT id, name, domain, currency, band, state FROM customers WHERE id IN (SELECT value FROM json_each(?))`).bind(list),
    db.prepare(`SELECT customer_id, value FROM identities WHERE kind = 'stripe' AND customer_id IN (SELECT value FROM json_each(?)) ORDER BY created_at`).bind(list),
    db.prepare(`SELECT customer_id, fingerprint AS value FROM card_fingerprints WHERE customer_id IN (SELECT value FROM json_each(?))`).bind(list),
  ]);
  const byCustomer = (rs: unknown[]) => {
    const m = new Map<string, string[]>();
    for (const r of rs as { customer_id: string; value: string }[]) m.set(r.customer_id, [...(m.get(r.customer_id) ?? []), r.value]);
    return m;
  };
  const stripeIds = byCustomer(stripe!.results);
  const fps = byCustomer(prints!.results);
  for (const r of rows!.results as PartyRaw[]) {
    const state = JSON.parse(r.state) as CustomerState;
    out.set(r.id, partyOf(r.id, state, { name: r.name, domain: r.domain, currency: r.currency, band: r.band }, stripeIds.get(r.id)?.[0] ?? null, fps.get(r.id) ?? []));
  }
  return out;
}

export function partyOf(
  id: string,
  state: CustomerState,
  row: { name: string | null; domain: string | null; currency: string | null; band: Band | null },
  stripeCustomerId: string | null,
  fingerprints: readonly string[],
): Party {
  return {
    id,
    name: row.name ?? state.profile.name?.value ?? null,
    domain: row.domain ?? state.profile.domain?.value ?? null,
    fingerprints,
    currency: (row.currency ?? state.profile.currency ?? null)?.toLowerCase() ?? null,
    band: row.band,
    pastDue: isPastDue(state),
    stripeCustomerId,
  };
}

export async function customerState(db: D1Database, id: string): Promise<{ state: CustomerState; segments: string[] } | null> {
  const r = await db.prepare(`SELECT state, health FROM customers WHERE id = ?`).bind(id).first<{ state: string; health: string | null }>();
  if (!r) return null;
  const health = JSON.parse(r.health ?? "null") as { snapshot?: { segments?: string[] } } | null;
  return { state: JSON.parse(r.state) as CustomerState, segments: health?.snapshot?.segments ?? [] };
}

export type CodeRow = { code: string; referrerId: string; actionId: string; createdAt: number; promotionCodeId: string | null; status: string | null };

export async function codeOf(db: D1Database, by: { referrerId?: string; code?: string }): Promise<CodeRow | null> {
  const r = await db
    .prepare(
      `SELECT rc.code, rc.referrer_id, rc.action_id, rc.created_at, o.status, CASE WHEN o.status = 'delivered' THEN json_extract(o.result, '$') END AS promo
       FROM referral_codes rc LEFT JOIN outbox o ON o.id = rc.action_id WHERE rc.referrer_id = ? OR rc.code = ?`,
    )
    .bind(by.referrerId ?? null, by.code ?? null)
    .first<{ code: string; referrer_id: string; action_id: string; created_at: number; status: string | null; promo: string | null }>();
  return r ? { code: r.code, referrerId: r.referrer_id, actionId: r.action_id, createdAt: r.created_at, promotionCodeId: r.promo, status: r.status } : null;
}

export function insertCodeStmt(db: D1Database, code: string, referrerId: string, actionId: string, now: number): D1PreparedStatement {
  return db.prepare(`INSERT INTO referral_codes (code, referrer_id, action_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`).bind(code, referrerId, actionId, now);
}
