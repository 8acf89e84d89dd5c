import type { Action, ActionPayload } from "../core/actions";
import { insertActionStmts, type OutboxRow } from "../store/outbox";

/**
 * A note on each of the customer's HubSpot companies when a loyalty credit reaches their Stripe balance (a
 * redemption, a referral reward, a welcome or occasion credit): planned when the credit is delivered, not when
 * it is queued, so the timeline never shows a credit Stripe refused. Its id is the credit's, so it is made once.
 */

type Credit = Extract<ActionPayload, { type: "stripe.credit" }>;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function buildCreditedNote(creditId: string, customerId: string, companyId: string, credit: Credit, at: number): Action {
  const amount = `${(-credit.amount / 100).toFixed(2)} ${credit.currency.toUpperCase()}`;
  return {
    id: `hubspot.note:${creditId}:${companyId}`,
    customerId,
    payload: {
      type: "hubspot.note",
      companyId,
      body: `<p><strong>Tenure loyalty:</strong> ${escapeHtml(amount)} credited to the Stripe balance.</p><p>${escapeHtml(credit.description)}</p>`,
      timestamp: at,
    },
  };
}

export async function creditedNotes(
  db: D1Database,
  delivered: readonly { row: OutboxRow }[],
  now: number,
): Promise<{ stmts: D1PreparedStatement[]; actionIds: string[] }> {
  const credits = delivered.flatMap(({ row }) =>
    row.payload.type === "stripe.credit" && row.payload.amount < 0 && row.customerId !== null && row.payload.metadata.tenure_reward_id !== undefined
      ? [{ id: row.id, customerId: row.customerId, credit: row.payload }]
      : [],
  );
  if (credits.length === 0) return { stmts: [], actionIds: [] };
  const { results } = await db
    .prepare(`SELECT customer_id, value FROM identities WHERE kind = 'hubspot' AND customer_id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify([...new Set(credits.map((c) => c.customerId))]))
    .all<{ customer_id: string; value: string }>();
  const notes = credits.flatMap((c) => results.filter((r) => r.customer_id === c.customerId).map((r) => buildCreditedNote(c.id, c.customerId, r.value, c.credit, now)));
  return { stmts: insertActionStmts(db, notes, now), actionIds: notes.map((n) => n.id) };
}
