import { associationsResultSchema } from "../../connectors/hubspot/associations";
import { zendeskLookupResultSchema } from "../../connectors/zendesk/lookup";
import type { IdentityKey } from "../store/identity";
import { redriveKeyStmts, saveAssociationStmts, unlinkMovedStmt, waitingEventIds, type AssociationTarget } from "../store/associations";
import type { OutboxRow } from "../store/outbox";

const OBJECT_KINDS = { deals: "hubspot_deal", tickets: "hubspot_ticket" } as const;

/**
 * What a delivered lookup changes, committed with its delivery: the association is stored, the object's
 * unmatched events go back to `received` (their ids are returned for the queue; the sweeper finds any it
 * loses), and an object that moved company stops pointing at its old customer.
 */
export async function enrichmentStmts(
  db: D1Database,
  delivered: readonly { row: OutboxRow; result: unknown }[],
  now: number,
): Promise<{ stmts: D1PreparedStatement[]; eventIds: string[] }> {
  const stmts: D1PreparedStatement[] = [];
  const eventIds = new Set<string>();
  for (const { row, result } of delivered) {
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
  return { stmts, eventIds: [...eventIds] };
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
