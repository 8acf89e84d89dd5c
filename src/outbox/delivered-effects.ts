import { z } from "zod";
import { associationsResultSchema } from "../../connectors/hubspot/associations";
import { ownersPageAction } from "../core/actions";
import { zendeskLookupResultSchema } from "../../connectors/zendesk/lookup";
import type { IdentityKey } from "../store/identity";
import { redriveKeyStmts, saveAssociationStmts, unlinkMovedStmt, waitingEventIds, type AssociationTarget } from "../store/associations";
import { insertActionStmts, type OutboxRow } from "../store/outbox";
import { creditedNotes } from "../rewards/credited-note";

const OBJECT_KINDS = { deals: "hubspot_deal", tickets: "hubspot_ticket" } as const;

/**
 * What delivered actions change, committed in the same batch as their delivery, so a crash can neither lose
 * it nor do it twice:
 * - a lookup's association is stored, the object's unmatched events go back to `received` (their ids are
 *   returned for the queue; the sweeper finds any it loses), and an object that moved company stops pointing
 *   at its old customer;
 * - an owners page with a next cursor plans the page after it (its id is returned for the queue);
 * - a loyalty credit plans its HubSpot timeline note (its ids are returned for the queue).
 */
export async function deliveredEffects(
  db: D1Database,
  delivered: readonly { row: OutboxRow; result: unknown }[],
  now: number,
): Promise<{ stmts: D1PreparedStatement[]; eventIds: string[]; actionIds: string[] }> {
  const stmts: D1PreparedStatement[] = [];
  const eventIds = new Set<string>();
  const actionIds: string[] = [];
  for (const { row, result } of delivered) {
    const next = nextOwnersPage(row, result);
    if (next) {
      stmts.push(...insertActionStmts(db, [next], now));
      actionIds.push(next.id);
      continue;
    }
    const found = lookedUp(row, result);
    if (!found) continue;
    stmts.push(...saveAssociationStmts(db, found.key, found.targets, now));
    if (found.key.kind !== "contact" && found.targets.some((t) => t.kind === "hubspot")) {
      stmts.push(unlinkMovedStmt(db, found.key, found.targets.map((t) => t.value)));
    }
    if (found.targets.length === 0) continue;
    for (const id of await waitingEventIds(db, found.key)) eventIds.add(id);
    stmts.push(...redriveKeyStmts(db, found.key));
  }
  // A loyalty credit that reached Stripe is noted on the customer's HubSpot timeline (src/rewards/credited-note.ts).
  const notes = await creditedNotes(db, delivered, now);
  stmts.push(...notes.stmts);
  actionIds.push(...notes.actionIds);
  return { stmts, eventIds: [...eventIds], actionIds };
}

const nextPageSchema = z.object({ next: z.string().min(1) });

function nextOwnersPage(row: OutboxRow, result: unknown) {
  if (row.payload.type !== "hubspot.owners_page") return null;
  const next = nextPageSchema.safeParse(result);
  return next.success ? ownersPageAction(row.payload.day, next.data.next) : null;
}

function lookedUp(row: OutboxRow, result: unknown): { key: IdentityKey; targets: AssociationTarget[] } | null {
  const p = row.payload;
  if (p.type === "hubspot.associations") {
    const r = associationsResultSchema.safeParse(result);
    if (!r.success) return null;
    const key: IdentityKey = p.objectType === "contacts" ? { kind: "contact", value: `hubspot:${p.objectId}` } : { kind: OBJECT_KINDS[p.objectType], value: p.objectId };
    return { key, targets: r.data.companies.map((value) => ({ kind: "hubspot", value })) };
  }
  if (p.type === "zendesk.lookup") {
    const r = zendeskLookupResultSchema.safeParse(result);
    if (!r.success) return null;
    return { key: { kind: p.object === "user" ? "zendesk_user" : "zendesk_org", value: p.objectId }, targets: r.data.domains.map((value) => ({ kind: "domain", value })) };
  }
  return null;
}
