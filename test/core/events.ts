import type { EventOf, NormalizedEvent } from "../../src/core/events";
import { applyEvents } from "../../src/core/reduce";
import { type CustomerState, emptyState } from "../../src/core/state";

/** Small builders for hand-written scenarios: each returns a valid NormalizedEvent with sensible defaults. */

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
export const NOW = Date.UTC(2026, 10, 1, 12);
export const daysAgo = (d: number): number => NOW - d * DAY;

let seq = 0;
type Rest<T extends NormalizedEvent["type"]> = Omit<EventOf<T>, "type" | "source" | "id" | "occurredAt" | "subject">;

function make<T extends NormalizedEvent["type"]>(type: T, source: NormalizedEvent["source"]) {
  return (at: number, fields: Rest<T>, id?: string): EventOf<T> =>
    ({ ...fields, type, source, id: id ?? `${source}:${type}:${++seq}`, occurredAt: at, subject: { stripeCustomerId: "cus_1" } }) as EventOf<T>;
}

export const invoicePaid = (at: number, f: Partial<Rest<"invoice.paid">> & { invoiceId: string }) =>
  make("invoice.paid", "stripe")(at, { reason: "first", amountPaid: 4900, currency: "usd", ...f }, `stripe:invoice.paid:${f.invoiceId}`);

export const paymentFailed = (at: number, f: Partial<Rest<"payment.failed">> & { invoiceId: string }) =>
  make("payment.failed", "stripe")(
    at,
    { attemptCount: 1, nextAttemptAt: at + 3 * DAY, amountDue: 4900, currency: "usd", ...f },
    `stripe:payment.failed:${f.invoiceId}:${f.attemptCount ?? 1}`,
  );

export const subscription = (at: number, f: Partial<Rest<"subscription.changed">> = {}) =>
  make("subscription.changed", "stripe")(at, {
    subscriptionId: "sub_1",
    status: "active",
    mrr: 4900,
    currency: "usd",
    cancelAtPeriodEnd: false,
    ...f,
  });

export const company = (at: number, properties: Record<string, string | null>) =>
  make("company.changed", "hubspot")(at, { companyId: "co_1", created: false, properties });

export const contact = (at: number, contactId: string, role?: string) =>
  make("contact.changed", "hubspot")(at, { contactId, properties: {}, ...(role ? { role } : {}) });

export const deal = (at: number, f: Partial<Rest<"deal.changed">> = {}) => make("deal.changed", "hubspot")(at, { dealId: "d_1", ...f });

export const ticket = (at: number, f: Partial<Rest<"ticket.changed">> & { ticketId: string }) =>
  make("ticket.changed", "zendesk")(at, { desk: "zendesk", ...f });

export const usage = (at: number, event: string, userId = "u_1") => make("usage.tracked", "segment")(at, { userId, event });

export const identify = (at: number, userId: string, role?: string) =>
  make("user.identified", "segment")(at, { userId, ...(role ? { role } : {}) });

export const group = (at: number, f: Partial<Rest<"account.grouped">> = {}) =>
  make("account.grouped", "segment")(at, { groupId: "g_1", ...f });

export const survey = (at: number, score: number, responseId = `r_${++seq}`, comment?: string) =>
  make("survey.responded", "delighted")(at, { responseId, score, ...(comment ? { comment } : {}) });

export const loyalty = (at: number, kind: string, ref: string) =>
  make("loyalty.activity", "api")(at, { kind, ref }, `api:loyalty:${kind}:${ref}`);

export const checkout = (at: number, sessionId = "cs_1") =>
  make("checkout.completed", "stripe")(at, { sessionId, amountTotal: 4900, currency: "usd" }, `stripe:checkout:${sessionId}`);

export const stateOf = (...events: NormalizedEvent[]): CustomerState => applyEvents(emptyState(), events);
