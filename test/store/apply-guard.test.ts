import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isApplyGuardFailure, markAppliedStmts } from "../../src/store/apply-guard";
import { storedRows } from "../support/inbox";
import type { InboxRow } from "../../src/store/inbox";

const NOW = Date.parse("2026-12-07T10:00:00Z");

/** A customer at version 3 with one Stripe id, and one received inbox row for it. */
async function seed(n: number) {
  const id = `cu_ag_${n}`;
  const row = `stripe:evt_ag_${n}`;
  await env.DB.batch([
    env.DB.prepare(`INSERT INTO customers (id, state, version, alerts, created_at, updated_at) VALUES (?, '{}', 3, '{}', ?, ?)`).bind(id, NOW, NOW),
    env.DB.prepare(`INSERT INTO identities (kind, value, customer_id, created_at) VALUES ('stripe', ?, ?, ?)`).bind(`cus_ag_${n}`, id, NOW),
    env.DB.prepare(`INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, normalized) VALUES (?, 'stripe', 'invoice.paid', 'received', ?, ?, '[]')`).bind(row, NOW, NOW),
  ]);
  return { id, row, held: [{ kind: "stripe" as const, value: `cus_ag_${n}` }] };
}

const statusOf = async (row: string) => (await env.DB.prepare(`SELECT status, customer_id FROM inbox_events WHERE id = ?`).bind(row).first<{ status: string; customer_id: string | null }>())!;

/** The guarded status update, then a write that must roll back with it when the guard refuses. */
async function commit(id: string, row: string, opts: { linking?: { kind: "domain"; value: string }[]; version?: number | null; held?: { kind: "stripe"; value: string }[] | null; seq?: number | null }) {
  return env.DB.batch([
    ...markAppliedStmts(env.DB, [{ customerId: id, rows: storedRows([row]), linking: opts.linking ?? [], expectedVersion: opts.version === undefined ? 3 : opts.version, held: opts.held ?? null, loyaltySeq: opts.seq ?? null }], NOW),
    env.DB.prepare(`UPDATE customers SET name = 'written' WHERE id = ?`).bind(id),
  ]);
}

async function refused(id: string, row: string, opts: Parameters<typeof commit>[2]) {
  const err = await commit(id, row, opts).then(
    () => null,
    (e: unknown) => e,
  );
  expect(isApplyGuardFailure(err)).toBe(true);
  expect(await statusOf(row)).toEqual({ status: "received", customer_id: null });
  expect((await env.DB.prepare(`SELECT name FROM customers WHERE id = ?`).bind(id).first<{ name: string | null }>())!.name).toBeNull();
}

describe("the commit's first statement: the inbox status and the guard in one", () => {
  it("marks the rows processed for the customer when nothing moved", async () => {
    const { id, row, held } = await seed(1);
    await commit(id, row, { held, seq: 0 });
    expect(await statusOf(row)).toEqual({ status: "processed", customer_id: id });
  });

  it("refuses a row a duplicate message already applied", async () => {
    const { id, row } = await seed(2);
    await env.DB.prepare(`UPDATE inbox_events SET status = 'processed' WHERE id = ?`).bind(row).run();
    const err = await commit(id, row, {}).then(() => null, (e: unknown) => e);
    expect(isApplyGuardFailure(err)).toBe(true);
  });

  it("refuses to link a key another customer linked first", async () => {
    const { id, row } = await seed(3);
    const other = await seed(30);
    await env.DB.prepare(`INSERT INTO identities (kind, value, customer_id, created_at) VALUES ('domain', 'ag3.example', ?, ?)`).bind(other.id, NOW).run();
    await refused(id, row, { linking: [{ kind: "domain", value: "ag3.example" }] });
  });

  it("refuses when the customer's version moved", async () => {
    const { id, row } = await seed(4);
    await refused(id, row, { version: 2 });
  });

  it("refuses when the ids the step held are no longer exactly the customer's", async () => {
    const { id, row, held } = await seed(5);
    await env.DB.prepare(`INSERT INTO identities (kind, value, customer_id, created_at) VALUES ('hubspot', '905', ?, ?)`).bind(id, NOW).run();
    await refused(id, row, { held });
  });

  it("refuses when a write to the customer's referrals, badges or code moved its loyalty position", async () => {
    const { id, row } = await seed(6);
    await env.DB.prepare(`INSERT INTO referral_codes (code, referrer_id, action_id, created_at) VALUES ('AG6', ?, 'act-ag6', ?)`).bind(id, NOW).run();
    await refused(id, row, { seq: 0 });
    await commit(id, row, { seq: 1 });
    expect(await statusOf(row)).toEqual({ status: "processed", customer_id: id });
  });
});

describe("the same guard for a delivery carried on the queue, whose id the commit records", () => {
  const carried = (id: string): InboxRow => ({
    id,
    source: "segment",
    vendorType: "track",
    status: "received",
    occurredAt: NOW - 1000,
    attempts: 2,
    events: [],
    carried: { receivedAt: NOW - 500, requestId: "req-carried", payload: '{"type":"track"}' },
  });
  const carriedCommit = (customerId: string, row: InboxRow, version: number) =>
    env.DB.batch([
      ...markAppliedStmts(env.DB, [{ customerId, rows: [row], linking: [], expectedVersion: version, held: null, loyaltySeq: null }], NOW),
      env.DB.prepare(`UPDATE customers SET name = 'written' WHERE id = ?`).bind(customerId),
    ]);
  const stored = (id: string) =>
    env.DB.prepare(`SELECT source, vendor_type, occurred_at, received_at, applied_at, customer_id FROM applied_deliveries WHERE id = ?`).bind(id).first();

  it("records the id applied for the customer, with when it happened and arrived, and writes no inbox row", async () => {
    const { id } = await seed(7);
    await carriedCommit(id, carried("segment:ag_carried_7"), 3);
    expect(await stored("segment:ag_carried_7")).toEqual({ source: "segment", vendor_type: "track", occurred_at: NOW - 1000, received_at: NOW - 500, applied_at: NOW, customer_id: id });
    expect(await env.DB.prepare(`SELECT id FROM inbox_events WHERE id = ?`).bind("segment:ag_carried_7").first()).toBeNull();
  });

  it("refuses a delivery the inbox holds (stored unmatched or failed by another consumer, or sent again by the D1 path)", async () => {
    const { id } = await seed(9);
    await env.DB.prepare(`INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, normalized) VALUES (?, 'segment', 'track', 'failed', ?, ?, '[]')`)
      .bind("segment:ag_carried_9", NOW, NOW)
      .run();
    const refused = await carriedCommit(id, carried("segment:ag_carried_9"), 3).then(() => null, (e: unknown) => e);
    expect(isApplyGuardFailure(refused)).toBe(true);
    expect(await stored("segment:ag_carried_9")).toBeNull();
    expect((await env.DB.prepare(`SELECT name FROM customers WHERE id = ?`).bind(id).first<{ name: string | null }>())!.name).toBeNull();
  });

  it("refuses when the row is already there (a duplicate applied first), and when the version moved; nothing is written", async () => {
    const { id } = await seed(8);
    await carriedCommit(id, carried("segment:ag_carried_8"), 3);
    await env.DB.prepare(`UPDATE customers SET name = NULL WHERE id = ?`).bind(id).run();
    const dup = await carriedCommit(id, carried("segment:ag_carried_8"), 3).then(() => null, (e: unknown) => e);
    expect(isApplyGuardFailure(dup)).toBe(true);
    const moved = await carriedCommit(id, carried("segment:ag_carried_8b"), 2).then(() => null, (e: unknown) => e);
    expect(isApplyGuardFailure(moved)).toBe(true);
    expect(await stored("segment:ag_carried_8b")).toBeNull();
    expect((await env.DB.prepare(`SELECT name FROM customers WHERE id = ?`).bind(id).first<{ name: string | null }>())!.name).toBeNull();
  });
});
