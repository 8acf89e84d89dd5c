import { z } from "zod";
import { isTransient, retryAfterMs } from "../../connectors/connector";
import { compact, contentKey, emailSubject, eventId, idString, ignored, isoMs } from "../../webhooks/delivery";
import type { Delivery } from "../../webhooks/source";
import type { Subject, SurveyKind } from "../core/events";
import type { Config } from "../env";

/**
 * HubSpot's survey responses (CRM object `feedback_submissions`), which no webhook subscription carries.
 * https://developers.hubspot.com/docs/api-reference/latest/crm/objects/feedback-submissions/guide
 */

/** What is missing for the poll, or null when it can run. */
export function hubspotFeedbackDisabledReason(cfg: Config): string | null {
  return cfg.HUBSPOT_ACCESS_TOKEN ? null : "set HUBSPOT_ACCESS_TOKEN (scopes crm.objects.feedback_submissions.read and crm.objects.contacts.read) to read HubSpot survey responses";
}

/**
 * HubSpot's survey types and the answers each collects: NPS 0–10; CSAT three answers, 0 (dissatisfied),
 * 1 (neutral), 2 (satisfied); CES 1–7 (strongly disagree to strongly agree that it was easy). Custom and
 * knowledge-base surveys have no scale Tenure can read.
 */
const SURVEYS: Record<string, { kind: SurveyKind; min: number; max: number }> = {
  NPS: { kind: "nps", min: 0, max: 10 },
  CSAT: { kind: "csat", min: 0, max: 2 },
  CES: { kind: "ces", min: 1, max: 7 },
};

/** The submission properties the poll asks for. */
export const FEEDBACK_PROPERTIES = ["hs_survey_type", "hs_survey_id", "hs_value", "hs_content", "hs_contact_id", "hs_submission_timestamp", "hs_createdate"] as const;

const id = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]);
const prop = z.string().nullish();
export const feedbackSubmissionSchema = z.looseObject({
  id,
  properties: z.looseObject({
    hs_survey_type: prop,
    hs_survey_id: prop,
    hs_value: prop,
    hs_content: prop,
    hs_contact_id: prop,
    hs_submission_timestamp: prop,
    hs_createdate: prop,
  }),
  createdAt: z.string().nullish(),
});
export type FeedbackSubmission = z.infer<typeof feedbackSubmissionSchema>;

/** Who answered, as far as HubSpot still knows them: the contact's email and primary company. */
export interface Respondent {
  email?: string;
  companyId?: string;
}

/** HubSpot's timestamps: ISO 8601, or epoch milliseconds as a string. */
const hubspotMs = (v: string | null | undefined) => (v && /^\d+$/.test(v) ? Number(v) : isoMs(v));

/**
 * One submission as one delivery (its id is the dedupe key: a submission never changes): an NPS, CSAT or CES
 * answer of the contact's account, or ignored with the reason.
 */
export function feedbackSubmissionDelivery(record: unknown, respondent: Respondent | null, now: number): Delivery {
  const raw = JSON.stringify(record);
  const parsed = feedbackSubmissionSchema.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return ignored({ dedupeKey: `feedback_submission:unreadable:${contentKey(raw)}`, vendorType: "feedback_submission", occurredAt: now, raw }, `unreadable HubSpot feedback submission at ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const { properties: p, ...r } = parsed.data;
  const submissionId = idString(r.id);
  const occurredAt = hubspotMs(p.hs_submission_timestamp) ?? hubspotMs(p.hs_createdate) ?? isoMs(r.createdAt) ?? now;
  const dedupeKey = `feedback_submission:${submissionId}`;
  const base = { dedupeKey, vendorType: "feedback_submission", occurredAt, raw };
  const type = (p.hs_survey_type ?? "").trim().toUpperCase();
  const survey = Object.hasOwn(SURVEYS, type) ? SURVEYS[type]! : undefined;
  if (!survey) return ignored(base, `HubSpot ${type || "untyped"} surveys are neither NPS, CSAT nor CES`);
  const value = (p.hs_value ?? "").trim();
  const score = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(score >= survey.min && score <= survey.max)) return ignored(base, `a ${type} answer of "${value}" is not a whole number in ${survey.min}–${survey.max}`);
  const contactId = p.hs_contact_id?.trim();
  if (!contactId) return ignored(base, `HubSpot feedback submission ${submissionId} names no contact`);
  // A contact HubSpot no longer serves still resolves through the contact Tenure stored, or stays unmatched.
  const subject: Subject = { hubspotContactId: contactId, ...emailSubject(respondent?.email), ...compact({ hubspotCompanyId: respondent?.companyId }) };
  const fact = {
    id: eventId("hubspot", dedupeKey),
    source: "hubspot" as const,
    occurredAt,
    subject,
    type: "survey.responded" as const,
    responseId: `hubspot-feedback:${submissionId}`,
    score,
    ...(survey.kind === "nps" ? {} : { kind: survey.kind, scale: { min: survey.min, max: survey.max } }),
    ...compact({ comment: p.hs_content?.trim() }),
  };
  return { ...base, events: [fact] };
}

/** A refused or failed call; the job page fails and the queue retries it later, unless retrying cannot help. */
export class HubSpotFeedbackError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "HubSpotFeedbackError";
  }
}

export interface HubSpotReadClient {
  base: string;
  token: string;
  fetch: typeof fetch;
  now: () => number;
}

async function post(c: HubSpotReadClient, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await c.fetch(`${c.base}${path}`, { method: "POST", headers: { authorization: `Bearer ${c.token}`, accept: "application/json", "content-type": "application/json" }, body: JSON.stringify(body) });
  } catch (err) {
    throw new HubSpotFeedbackError(`HubSpot unreachable: ${err instanceof Error ? err.message : String(err)}`, true);
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = text.slice(0, 200);
  }
  if (res.status !== 200 && res.status !== 207) {
    const wait = retryAfterMs(res, c.now());
    throw new HubSpotFeedbackError(`HubSpot ${res.status} on ${path}${wait === undefined ? "" : ` (retry after ${Math.ceil(wait / 1000)} s)`}: ${JSON.stringify(parsed).slice(0, 200)}`, isTransient(res.status));
  }
  return { status: res.status, body: parsed };
}

/** Submissions per page: at most one batch read of their contacts (100 ids), so two API calls a page. */
export const SUBMISSIONS_PER_PAGE = 100;
/** The search API serves no result past the 10,000th of a query; a longer listing restarts from its last time. */
export const SEARCH_RESULT_CAP = 10_000;

const searchReplySchema = z.looseObject({
  results: z.array(z.unknown()),
  paging: z.looseObject({ next: z.looseObject({ after: z.string() }).nullish() }).nullish(),
});
const contactsReplySchema = z.looseObject({
  results: z.array(z.looseObject({ id, properties: z.looseObject({ email: prop, associatedcompanyid: prop }) })).default([]),
});

export interface FeedbackPage {
  records: { record: unknown; respondent: Respondent | null }[];
  /** HubSpot's cursor for the next page, or null after the last one. */
  after: string | null;
  /** The creation time of the page's last submission (where a capped listing restarts). */
  lastCreatedAt: number | null;
}

/**
 * One page of submissions created since `since`, oldest first, with their contacts looked up in one batch.
 * https://developers.hubspot.com/docs/api-reference/search/guide
 */
export async function fetchFeedbackPage(c: HubSpotReadClient, since: number, after: string | null): Promise<FeedbackPage> {
  const search = await post(c, "/crm/v3/objects/feedback_submissions/search", {
    filterGroups: [{ filters: [{ propertyName: "hs_createdate", operator: "GTE", value: String(since) }] }],
    sorts: [{ propertyName: "hs_createdate", direction: "ASCENDING" }],
    properties: FEEDBACK_PROPERTIES,
    limit: SUBMISSIONS_PER_PAGE,
    ...(after === null ? {} : { after }),
  });
  const list = searchReplySchema.safeParse(search.body);
  if (!list.success) throw new HubSpotFeedbackError(`HubSpot answered the feedback search with a body that is not a page of results`, true);
  const parsed = list.data.results.map((record) => ({ record, submission: feedbackSubmissionSchema.safeParse(record).data }));
  const contactIds = [...new Set(parsed.map((r) => r.submission?.properties.hs_contact_id?.trim()).filter((v): v is string => !!v && /^\d+$/.test(v)))];
  const respondents = await readContacts(c, contactIds);
  const last = parsed.at(-1)?.submission;
  return {
    records: parsed.map(({ record, submission }) => ({ record, respondent: respondents.get(submission?.properties.hs_contact_id?.trim() ?? "") ?? null })),
    after: list.data.paging?.next?.after ?? null,
    lastCreatedAt: last ? (hubspotMs(last.properties.hs_createdate) ?? isoMs(last.createdAt) ?? null) : null,
  };
}

/**
 * The contacts' emails and primary companies; a deleted contact is missing from the 207 answer.
 * https://developers.hubspot.com/docs/api-reference/crm-contacts-v3/batch/post-crm-v3-objects-contacts-batch-read
 */
async function readContacts(c: HubSpotReadClient, ids: string[]): Promise<Map<string, Respondent>> {
  const out = new Map<string, Respondent>();
  if (ids.length === 0) return out;
  const reply = await post(c, "/crm/v3/objects/contacts/batch/read", { properties: ["email", "associatedcompanyid"], inputs: ids.map((id) => ({ id })) });
  for (const r of contactsReplySchema.safeParse(reply.body).data?.results ?? []) {
    const companyId = r.properties.associatedcompanyid?.trim();
    out.set(idString(r.id), compact({ email: r.properties.email ?? undefined, companyId: companyId && /^\d+$/.test(companyId) ? companyId : undefined }));
  }
  return out;
}
