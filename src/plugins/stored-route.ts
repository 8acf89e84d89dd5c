import type { WebhookSource } from "../../webhooks/source";
import { AppError } from "../errors";
import { lookupStoredSource } from "./stored";

/** The webhook route's view of stored sources: the active one, undefined when there is none, 503 when it no longer parses. */
export async function storedSource(db: D1Database, name: string): Promise<WebhookSource<unknown> | undefined> {
  const hit = await lookupStoredSource(db, name);
  if (!hit.found) return undefined;
  if (hit.parsed.ok) return hit.parsed.source;
  throw new AppError(503, "source_broken", `The stored ${name} source (${hit.versionId}) no longer parses at "${hit.parsed.error.path}": ${hit.parsed.error.message}. Activate another version.`, {
    path: hit.parsed.error.path,
  });
}
