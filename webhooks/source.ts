import type { z } from "zod";
import type { NormalizedEvent, SourceName } from "../src/core/events";
import type { SecretName } from "../src/env";
import type { SurveyRules } from "../src/core/surveys";

/** What the route hands a source: the raw bytes as text, never a parsed body. */
export interface VerifyInput {
  rawBody: string;
  headers: Headers;
  method: string;
  /** The public URL the vendor called (PUBLIC_URL + path + query when configured). */
  url: string;
  now: number;
  secret: string;
}

/**
 * One provider delivery, as it will be stored in the inbox. A request can carry several
 * (HubSpot sends up to 100 events per request).
 */
export interface Delivery {
  /** The provider's id for this delivery; unique per source. Used for deduplication. */
  dedupeKey: string;
  /** The vendor's own event type, kept for the events API. */
  vendorType: string;
  occurredAt: number;
  /** Empty when Tenure does not use this type: stored as ignored, answered 2xx. */
  events: NormalizedEvent[];
  /** Why it was ignored (unknown type, $0 invoice, ping, ...). */
  ignoredReason?: string;
  /** The slice of the raw body this delivery came from (kept for the retention period). */
  raw: string;
}

export interface NormalizeContext {
  /** Configured names of core-feature and other usage events, for sources that classify usage. */
  now: number;
  /**
   * TENURE_CONFIG.surveys: which survey questions are CSAT and CES (src/core/surveys.ts). Read only by the sources
   * that need it, so a broken TENURE_CONFIG never stops the others' deliveries from being stored.
   */
  surveys?: () => SurveyRules | undefined;
}

export interface WebhookSource<P = unknown> {
  name: SourceName;
  /** The Worker secret that must be set for this source to accept anything. */
  secret: SecretName;
  /** Throws SignatureError on any failure. */
  verify(input: VerifyInput): Promise<void>;
  /** The vendor's (lenient) schema. A failure is a 400 with the path of the first problem. */
  schema: z.ZodType<P>;
  /** Pure mapping from the vendor's payload to Tenure's deliveries. Deterministic. */
  normalize(payload: P, raw: string, ctx: NormalizeContext): Delivery[];
}

export function defineSource<P>(s: WebhookSource<P>): WebhookSource<P> {
  return s;
}

/** Lowercased email domain, or undefined. */
export function emailDomain(email: string | null | undefined): string | undefined {
  if (!email) return undefined;
  const at = email.lastIndexOf("@");
  if (at < 0) return undefined;
  const d = email.slice(at + 1).trim().toLowerCase();
  return d.includes(".") ? d : undefined;
}

/** Lowercased host of a website or domain value ("https://www.Acme.com/x" -> "acme.com"). */
export function normalizeDomain(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  let v = value.trim().toLowerCase();
  v = v.replace(/^[a-z]+:\/\//, "").split(/[/?#]/)[0] ?? "";
  v = v.replace(/^www\./, "").replace(/:\d+$/, "");
  return v.includes(".") ? v : undefined;
}
