import { z } from "zod";
import type { ActionPayload } from "../../src/core/actions";
import { zendeskApiBase } from "../../src/env";
import { isTransient, retryAfterMs, type ConnectorDeps, type DeliveryOutcome, type OutboxAction } from "../connector";

type LookupPayload = Extract<ActionPayload, { type: "zendesk.lookup" }>;

const userSchema = z.looseObject({ user: z.looseObject({ email: z.string().nullable().optional() }) });
const organizationSchema = z.looseObject({ organization: z.looseObject({ domain_names: z.array(z.string()).nullable().optional() }) });

export const zendeskLookupResultSchema = z.object({
  object: z.enum(["user", "organization"]),
  objectId: z.string(),
  /** Lower-cased domains: the requester's email domain, or the organization's domain_names. */
  domains: z.array(z.string()),
});
export type ZendeskLookupResult = z.infer<typeof zendeskLookupResultSchema>;

/** When Zendesk sends no Retry-After with a 429 (it normally does), one minute: its limits are per minute. */
const DEFAULT_RETRY_MS = 60_000;

const domainOf = (email: string | null | undefined) => {
  const at = email?.lastIndexOf("@") ?? -1;
  return at > 0 ? email!.slice(at + 1).trim().toLowerCase() : null;
};

/**
 * One requester or organization, read for its domains; never its email, which Tenure does not need to keep.
 * https://developer.zendesk.com/api-reference/ticketing/users/users/#show-user
 * https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/#show-organization
 * Basic auth with an API token: https://developer.zendesk.com/api-reference/introduction/security-and-auth/
 */
export async function deliverZendeskLookup(action: OutboxAction<LookupPayload>, deps: ConnectorDeps): Promise<DeliveryOutcome> {
  const { id } = action;
  const { object, objectId } = action.payload;
  const base = zendeskApiBase(deps.cfg);
  if (!base) return { id, status: "permanent", error: "ZENDESK_SUBDOMAIN (or ZENDESK_API_BASE) is not set" };
  const path = object === "user" ? `/api/v2/users/${objectId}.json` : `/api/v2/organizations/${objectId}.json`;
  let res: Response;
  let body: unknown;
  try {
    res = await deps.fetch(`${base}${path}`, {
      headers: { authorization: `Basic ${btoa(`${deps.cfg.ZENDESK_API_EMAIL ?? ""}/token:${deps.cfg.ZENDESK_API_TOKEN ?? ""}`)}`, accept: "application/json" },
    });
    const text = await res.text();
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch {
      body = text;
    }
  } catch (err) {
    return { id, status: "retry", error: `Zendesk unreachable: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (res.status !== 200) {
    const error = `Zendesk ${res.status}: ${describe(body)}`;
    if (res.status === 429) return { id, status: "retry", error, httpStatus: 429, retryAfterMs: retryAfterMs(res, deps.now()) ?? DEFAULT_RETRY_MS };
    if (isTransient(res.status)) return { id, status: "retry", error, httpStatus: res.status, ...optionalRetryAfter(res, deps.now()) };
    return { id, status: "permanent", error, httpStatus: res.status };
  }
  let domains: string[];
  if (object === "user") {
    const user = userSchema.safeParse(body);
    if (!user.success) return { id, status: "permanent", error: "Zendesk's user answer did not have the documented shape ({ user })" };
    domains = [domainOf(user.data.user.email)].filter((d): d is string => d !== null);
  } else {
    const org = organizationSchema.safeParse(body);
    if (!org.success) return { id, status: "permanent", error: "Zendesk's organization answer did not have the documented shape ({ organization })" };
    domains = (org.data.organization.domain_names ?? []).map((d) => d.trim().toLowerCase()).filter((d) => d !== "");
  }
  const result: ZendeskLookupResult = { object, objectId, domains: [...new Set(domains)] };
  return { id, status: "delivered", result };
}

function optionalRetryAfter(res: Response, now: number): { retryAfterMs?: number } {
  const ms = retryAfterMs(res, now);
  return ms === undefined ? {} : { retryAfterMs: ms };
}

/** Zendesk errors: `{ "error": "RecordNotFound", "description": "Not found" }` (or `error: { title, message }`). */
function describe(body: unknown): string {
  if (typeof body === "string") return body.slice(0, 200);
  if (typeof body !== "object" || body === null) return "";
  const b = body as Record<string, unknown>;
  const error = typeof b.error === "string" ? b.error : typeof b.error === "object" && b.error !== null ? String((b.error as Record<string, unknown>).title ?? "") : "";
  const description = typeof b.description === "string" ? b.description : "";
  return [error, description].filter(Boolean).join(": ");
}
