import { z } from "zod";
import { isTransient, retryAfterMs } from "../../connectors/connector";
import { compact, contentKey, emailSubject, eventId, idString, ignored, isoMs } from "../../webhooks/delivery";
import type { Delivery } from "../../webhooks/source";
import type { Subject } from "../core/events";
import type { Config } from "../env";

/**
 * Freshdesk's customer-satisfaction ratings, which only its API gives (no webhook carries them).
 * https://developers.freshdesk.com/api/#satisfaction-ratings
 */

/** Freshdesk's API base: FRESHDESK_API_BASE, else `https://{FRESHDESK_DOMAIN}.freshdesk.com`; null when neither is set. */
export function freshdeskApiBase(cfg: Config): string | null {
  if (cfg.FRESHDESK_API_BASE) return cfg.FRESHDESK_API_BASE.replace(/\/+$/, "");
  const d = cfg.FRESHDESK_DOMAIN?.trim().toLowerCase().replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (!d) return null;
  if (/^[a-z0-9][a-z0-9-]*$/.test(d)) return `https://${d}.freshdesk.com`;
  return /^[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$/.test(d) ? `https://${d}` : null;
}

/** What is missing for the poll, or null when it can run. */
export function freshdeskDisabledReason(cfg: Config): string | null {
  const missing = [freshdeskApiBase(cfg) ? null : "FRESHDESK_DOMAIN", cfg.FRESHDESK_API_KEY ? null : "FRESHDESK_API_KEY"].filter((m) => m !== null);
  return missing.length === 0 ? null : `set ${missing.join(" and ")} to read Freshdesk satisfaction ratings`;
}

/**
 * A rating's answer to the survey's main question, as Freshdesk codes it: 103 is the happiest, -103 the least,
 * 100 neutral; 3-point surveys use 103/100/-103, 5-point add ±102, 7-point ±101. Read on a 1–7 scale.
 */
const RATING_STEPS: Record<string, number> = { "-103": 1, "-102": 2, "-101": 3, "100": 4, "101": 5, "102": 6, "103": 7 };
export const FRESHDESK_SCALE = { min: 1, max: 7 } as const;

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]);
export const freshdeskRatingSchema = z.looseObject({
  id,
  user_id: id.nullish(),
  ticket_id: id.nullish(),
  feedback: z.string().nullish(),
  ratings: z.record(z.string(), z.number().int()).nullish(),
  created_at: z.string(),
  updated_at: z.string().nullish(),
});
export type FreshdeskRating = z.infer<typeof freshdeskRatingSchema>;

const contactSchema = z.looseObject({ id, email: z.string().nullish(), company_id: id.nullish() });
const companySchema = z.looseObject({ id, domains: z.array(z.string()).nullish() });

/** Who rated: the requester's email and their company's first domain, as far as Freshdesk still knows them. */
export interface Requester {
  email?: string;
  domain?: string;
}

/** One rating as one delivery: a CSAT answer of the requester's account, or ignored with the reason. */
export function freshdeskRatingDelivery(record: unknown, requester: Requester | null, now: number): Delivery {
  const raw = JSON.stringify(record);
  const parsed = freshdeskRatingSchema.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return ignored({ dedupeKey: `satisfaction_rating:unreadable:${contentKey(raw)}`, vendorType: "satisfaction_rating", occurredAt: now, raw }, `unreadable Freshdesk rating at ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const r = parsed.data;
  const ratingId = idString(r.id);
  const occurredAt = isoMs(r.created_at) ?? now;
  const dedupeKey = `satisfaction_rating:${ratingId}:${r.updated_at ?? r.created_at}`;
  const base = { dedupeKey, vendorType: "satisfaction_rating", occurredAt, raw };
  const answer = r.ratings?.default_question;
  const score = answer === undefined ? undefined : RATING_STEPS[String(answer)];
  if (score === undefined) return ignored(base, `no answer Tenure reads to the main question (default_question: ${answer ?? "none"})`);
  if (!requester) return ignored(base, `Freshdesk no longer knows requester ${r.user_id ?? "(none)"} of rating ${ratingId}`);
  const subject: Subject = { ...emailSubject(requester.email), ...compact({ domain: requester.domain }) };
  const fact = {
    id: eventId("freshdesk", dedupeKey),
    source: "freshdesk" as const,
    occurredAt,
    subject,
    type: "survey.responded" as const,
    responseId: `freshdesk:${ratingId}`,
    kind: "csat" as const,
    score,
    scale: { ...FRESHDESK_SCALE },
    ...compact({ comment: r.feedback?.trim() }),
  };
  return { ...base, events: [fact] };
}

/** A refused or failed call; the job page fails and the queue retries it later. */
export class FreshdeskError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "FreshdeskError";
  }
}

export interface FreshdeskClient {
  base: string;
  apiKey: string;
  fetch: typeof fetch;
  now: () => number;
}

async function get(c: FreshdeskClient, path: string): Promise<{ status: number; body: unknown; res: Response }> {
  let res: Response;
  try {
    res = await c.fetch(`${c.base}${path}`, { headers: { authorization: `Basic ${btoa(`${c.apiKey}:X`)}`, accept: "application/json" } });
  } catch (err) {
    throw new FreshdeskError(`Freshdesk unreachable: ${err instanceof Error ? err.message : String(err)}`, true);
  }
  const body = await res.json().catch(() => null);
  if (res.status !== 200 && res.status !== 404) {
    const wait = retryAfterMs(res, c.now());
    throw new FreshdeskError(`Freshdesk ${res.status} on ${path.split("?")[0]}${wait === undefined ? "" : ` (retry after ${Math.ceil(wait / 1000)} s)`}: ${JSON.stringify(body).slice(0, 200)}`, isTransient(res.status));
  }
  return { status: res.status, body, res };
}

/** Ratings per page: each brings up to one contact and one company lookup, so a page stays well inside a Worker's subrequests. */
export const RATINGS_PER_PAGE = 30;

/**
 * One page of ratings created since `since`, with its requesters looked up, and whether a next page exists
 * (Freshdesk's `Link: <…>; rel="next"`). https://developers.freshdesk.com/api/#list_all_satisfaction_ratings
 */
export async function fetchRatingsPage(c: FreshdeskClient, since: number, page: number): Promise<{ records: { record: unknown; requester: Requester | null }[]; more: boolean }> {
  const q = new URLSearchParams({ created_since: new Date(since).toISOString().replace(/\.\d{3}Z$/, "Z"), page: String(page), per_page: String(RATINGS_PER_PAGE) });
  const list = await get(c, `/api/v2/surveys/satisfaction_ratings?${q}`);
  if (list.status !== 200 || !Array.isArray(list.body)) throw new FreshdeskError(`Freshdesk answered ${list.status} with a body that is not a list of ratings`, list.status !== 404);
  const more = /<[^>]+>;\s*rel="?next"?/i.test(list.res.headers.get("link") ?? "");
  const contacts = new Map<string, z.infer<typeof contactSchema> | null>();
  const companies = new Map<string, string | undefined>();
  const records: { record: unknown; requester: Requester | null }[] = [];
  for (const record of list.body) {
    const userId = freshdeskRatingSchema.safeParse(record).data?.user_id;
    if (userId === undefined || userId === null) {
      records.push({ record, requester: null });
      continue;
    }
    const key = idString(userId);
    if (!contacts.has(key)) {
      // https://developers.freshdesk.com/api/#view_contact (404 for a deleted contact)
      const r = await get(c, `/api/v2/contacts/${encodeURIComponent(key)}`);
      contacts.set(key, r.status === 200 ? (contactSchema.safeParse(r.body).data ?? null) : null);
    }
    const contact = contacts.get(key) ?? null;
    if (!contact) {
      records.push({ record, requester: null });
      continue;
    }
    let domain: string | undefined;
    if (contact.company_id !== undefined && contact.company_id !== null) {
      const companyId = idString(contact.company_id);
      if (!companies.has(companyId)) {
        // https://developers.freshdesk.com/api/#view_company
        const r = await get(c, `/api/v2/companies/${encodeURIComponent(companyId)}`);
        const domains = r.status === 200 ? (companySchema.safeParse(r.body).data?.domains ?? []) : [];
        companies.set(companyId, domains.map((d) => d.trim().toLowerCase()).find((d) => d.includes(".")));
      }
      domain = companies.get(companyId);
    }
    records.push({ record, requester: compact({ email: contact.email ?? undefined, domain }) });
  }
  return { records, more };
}
