import { seedPersonIds } from "../core/erasure";
import { sha256, toHex } from "../../webhooks/signature";
import { readContact, startErasureStmts } from "../store/privacy";

/**
 * The statements that start erasing one contact (DELETE /api/contacts/:id, or HubSpot's contact.privacyDeletion).
 * The contact's email and name are read first: the start marks the contact erased, and a sighting after that
 * clears them. `id` is deterministic for a webhook (its redelivery starts nothing new).
 */
export async function prepareErasure(db: D1Database, contactId: string, id: string, now: number): Promise<D1PreparedStatement[]> {
  const contact = await readContact(db, contactId);
  const ids = seedPersonIds({ id: contactId, email: contact?.email, name: contact?.name, customerId: contact?.customerId });
  return startErasureStmts(db, { id, contactId, ids, now });
}

/** An erasure id derived from what started it (a webhook event id). */
export async function erasureIdFor(origin: string): Promise<string> {
  return `er_${toHex((await sha256(`erasure:${origin}`)).slice(0, 12))}`;
}

export const newErasureId = () => `er_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
