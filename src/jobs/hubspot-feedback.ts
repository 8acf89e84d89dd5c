import { DAY } from "../core/timeline";
import { HOUR } from "../core/time";
import { loadConfig, type Env } from "../env";
import { log } from "../log";
import { withPlausibleTimes } from "../backfill/ingest";
import { commitDeliveries, inboxRow } from "../store/inbox";
import { enqueue } from "./enqueue";
import type { EventsQueueMessage, HubspotFeedbackJob } from "./messages";
import { feedbackSubmissionDelivery, fetchFeedbackPage, hubspotFeedbackDisabledReason, HubSpotFeedbackError, SEARCH_RESULT_CAP, SUBMISSIONS_PER_PAGE } from "./hubspot-feedback-submissions";

/**
 * A step of the daily chain: HubSpot's survey responses (NPS, CSAT, CES) of the last few days, one search page
 * per message, stored in the inbox as HubSpot deliveries (a submission seen again is a duplicate) and applied
 * by the pipeline as answers of the contact's account. Days overlap, so a missed run loses nothing.
 */
export const HUBSPOT_FEEDBACK_LOOKBACK_DAYS = 3;

export function firstFeedbackPage(asOf: number): HubspotFeedbackJob {
  return { job: "hubspot-feedback", asOf, since: asOf - HUBSPOT_FEEDBACK_LOOKBACK_DAYS * DAY, after: null };
}

export async function hubspotFeedbackPage(env: Env, job: HubspotFeedbackJob, now: number): Promise<EventsQueueMessage | null> {
  const cfg = loadConfig(env);
  const disabled = hubspotFeedbackDisabledReason(cfg);
  if (disabled) {
    log("info", "HubSpot feedback poll skipped", { reason: disabled });
    return null;
  }
  const client = { base: cfg.HUBSPOT_API_BASE, token: cfg.HUBSPOT_ACCESS_TOKEN!, fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init), now: () => Date.now() };
  let page: Awaited<ReturnType<typeof fetchFeedbackPage>>;
  try {
    page = await fetchFeedbackPage(client, job.since, job.after);
  } catch (err) {
    // A refusal that retrying cannot change (a wrong token, a missing scope) ends today's step; the chain goes on.
    if (!(err instanceof HubSpotFeedbackError) || err.retryable) throw err;
    log("error", "HubSpot feedback poll stopped until tomorrow's run", { since: job.since, after: job.after, error: err.message });
    return null;
  }
  const rows = page.records.map(({ record, respondent }) =>
    inboxRow("hubspot", withPlausibleTimes(feedbackSubmissionDelivery(record, respondent, now), now, cfg.MAX_EVENT_FUTURE_HOURS * HOUR), now, `hubspot-feedback:${job.asOf}:${job.since}:${job.after ?? 0}`),
  );
  const { inserted, unclaimed } = await commitDeliveries(env.DB, rows);
  await enqueue(env.EVENTS, unclaimed.map((eventId) => ({ eventId })));
  log("info", "HubSpot feedback page", { since: job.since, after: job.after, submissions: rows.length, new: inserted.length, ignored: rows.filter((r) => r.status === "ignored").length });
  return nextPage(job, page.after, page.lastCreatedAt);
}

/**
 * The search serves no result past its 10,000th: before the cursor gets there, the listing starts again from
 * the last creation time read (the few submissions of that instant come again, as duplicates).
 */
function nextPage(job: HubspotFeedbackJob, after: string | null, lastCreatedAt: number | null): HubspotFeedbackJob | null {
  if (after === null) return null;
  const offset = Number(after);
  if (!Number.isFinite(offset) || offset + SUBMISSIONS_PER_PAGE <= SEARCH_RESULT_CAP) return { ...job, after };
  if (lastCreatedAt === null || lastCreatedAt <= job.since) {
    log("warn", "HubSpot feedback poll stopped: more than 10,000 submissions share one creation time", { since: job.since });
    return null;
  }
  return { ...job, since: lastCreatedAt, after: null };
}
