import { z } from "zod";
import type { ActionPayload } from "../../src/core/actions";
import { isoTime } from "../../src/core/time";
import type { ConnectorDeps, DeliveryOutcome, OutboxAction } from "../connector";
import type { Gate } from "./batch";
import { callHubSpot, classifyHubSpotFailure, networkFailure } from "./http";
import { findEarlierNote } from "./note-search";

type NotePayload = Extract<ActionPayload, { type: "hubspot.note" }>;

/** HUBSPOT_DEFINED association type "note to company". */
export const NOTE_TO_COMPANY = 190;

const createdSchema = z.looseObject({ id: z.coerce.string() });

/**
 * Creates one note on the company's timeline.
 *
 * HubSpot has no idempotency key for object creation, and notes take no custom property we could
 * search on. Exactly-once is the outbox's job: a note is sent only while its row is pending, and the
 * row is marked delivered with the note id. After an attempt that ended without an answer (a crash or a
 * timeout after the call), the company's notes are searched for one with the same time and body first.
 */
export async function deliverNote(
  action: OutboxAction<NotePayload>,
  deps: ConnectorDeps,
  gate: Gate,
): Promise<DeliveryOutcome> {
  const { id } = action;
  if (gate.failure) return { id, ...gate.failure, error: `not sent: ${gate.failure.error}` };
  const { companyId, body, timestamp } = action.payload;
  try {
    if (action.unconfirmed) {
      const found = await findEarlierNote(deps, action.payload);
      if (found.status === "found") return { id, status: "delivered", result: { noteId: found.noteId } };
      if (found.status === "failed") {
        gate.failure = found.failure;
        return { id, ...found.failure };
      }
    }
    // https://developers.hubspot.com/docs/api-reference/crm-notes-v3/guide
    const reply = await callHubSpot(deps, "POST", "/crm/v3/objects/notes", {
      // A time no Date can hold would throw here and be retried as if the network had failed; date the note now instead.
      properties: { hs_timestamp: isoTime(timestamp) ?? isoTime(deps.now()), hs_note_body: body },
      associations: [
        {
          to: { id: companyId },
          types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: NOTE_TO_COMPANY }],
        },
      ],
    });
    if (reply.status === 201 || reply.status === 200) {
      const created = createdSchema.safeParse(reply.body);
      return { id, status: "delivered", result: created.success ? { noteId: created.data.id } : undefined };
    }
    const failure = classifyHubSpotFailure(reply, deps.now());
    if (failure.status === "retry") gate.failure = failure;
    return { id, ...failure };
  } catch (err) {
    gate.failure = networkFailure(err);
    return { id, ...gate.failure };
  }
}
