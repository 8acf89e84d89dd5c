import { DAY } from "../core/timeline";
import { HOUR } from "../core/time";
import { loadConfig, type Env } from "../env";
import { log } from "../log";
import { withPlausibleTimes } from "../backfill/ingest";
import { commitDeliveries, inboxRow } from "../store/inbox";
import { enqueue } from "./enqueue";
import type { EventsQueueMessage, FreshdeskCsatJob } from "./messages";
import { fetchRatingsPage, freshdeskApiBase, freshdeskDisabledReason, FreshdeskError, freshdeskRatingDelivery } from "./freshdesk-ratings";

/**
 * A step of the daily chain: Freshdesk's satisfaction ratings of the last few days, one API page per message,
 * stored in the inbox as Freshdesk deliveries (a rating seen again is a duplicate) and applied by the pipeline
 * as CSAT answers of the requester's account. Days overlap, so a missed run loses nothing.
 */
export const FRESHDESK_CSAT_LOOKBACK_DAYS = 3;
/** Freshdesk serves list pages up to a point; never loop past it. */
const MAX_PAGES = 300;

export async function freshdeskCsatPage(env: Env, job: FreshdeskCsatJob, now: number): Promise<EventsQueueMessage | null> {
  const cfg = loadConfig(env);
  const disabled = freshdeskDisabledReason(cfg);
  if (disabled) {
    log("info", "Freshdesk CSAT poll skipped", { reason: disabled });
    return null;
  }
  const client = { base: freshdeskApiBase(cfg)!, apiKey: cfg.FRESHDESK_API_KEY!, fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init), now: () => Date.now() };
  let page: Awaited<ReturnType<typeof fetchRatingsPage>>;
  try {
    page = await fetchRatingsPage(client, job.asOf - FRESHDESK_CSAT_LOOKBACK_DAYS * DAY, job.page);
  } catch (err) {
    // A refusal that retrying cannot change (a wrong key, no survey feature) ends today's step; the chain goes on.
    if (!(err instanceof FreshdeskError) || err.retryable) throw err;
    log("error", "Freshdesk CSAT poll stopped until tomorrow's run", { page: job.page, error: err.message });
    return null;
  }
  const { records, more } = page;
  const rows = records.map(({ record, requester }) =>
    inboxRow("freshdesk", withPlausibleTimes(freshdeskRatingDelivery(record, requester, now), now, cfg.MAX_EVENT_FUTURE_HOURS * HOUR), now, `freshdesk-csat:${job.asOf}:${job.page}`),
  );
  const { inserted, unclaimed } = await commitDeliveries(env.DB, rows);
  await enqueue(env.EVENTS, unclaimed.map((eventId) => ({ eventId })));
  log("info", "Freshdesk CSAT page", { page: job.page, ratings: rows.length, new: inserted.length, ignored: rows.filter((r) => r.status === "ignored").length });
  return more && job.page < MAX_PAGES ? { ...job, page: job.page + 1 } : null;
}
