import { ownersPageAction } from "../core/actions";
import { dayKey } from "../core/state";
import { loadConfig, type Env } from "../env";
import { log } from "../log";
import { insertActionStmts } from "../store/outbox";
import { enqueue } from "./enqueue";

/**
 * Plans today's sync of HubSpot's owners (names and emails) through the outbox, page by page: the first page
 * here, each next one by the page before it. Once a day (the ids carry the day), and not at all without a
 * HubSpot token. Returns the first page's action id, or null when HubSpot is not connected.
 */
export async function startOwnersSync(env: Env, now: number): Promise<string | null> {
  if (!loadConfig(env).HUBSPOT_ACCESS_TOKEN) return null;
  const first = ownersPageAction(dayKey(now), null);
  await env.DB.batch(insertActionStmts(env.DB, [first], now));
  await enqueue(env.ACTIONS, [{ actionId: first.id }]);
  log("info", "HubSpot owners sync planned", { actionId: first.id });
  return first.id;
}
