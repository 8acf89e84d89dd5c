import type { NormalizedEvent, Subject, TicketPriority } from "../../src/core/events";
import { compact, contentKey, emailSubject, eventId, idString, ignored, isoMs } from "../delivery";
import { type Delivery, type NormalizeContext, normalizeDomain } from "../source";
import { type HubspotEvent, hubspotEventSchema, type HubspotPayload } from "./schema";

/**
 * Ticket pipeline stage ids that mean "closed". HubSpot's default support pipeline uses
 * 1 New, 2 Waiting on contact, 3 Waiting on us, 4 Closed; custom pipelines have their own ids.
 */
export const HUBSPOT_CLOSED_TICKET_STAGES: readonly string[] = ["4"];

/** Default-pipeline deal stages that close a deal. */
const DEAL_STATUS: Record<string, "won" | "lost"> = { closedwon: "won", closedlost: "lost" };

const TICKET_PRIORITY: Record<string, TicketPriority> = { LOW: "low", MEDIUM: "normal", HIGH: "high", URGENT: "urgent" };

/** The contact property Tenure reads as the person's role. */
export const HUBSPOT_ROLE_PROPERTY = "jobtitle";

/** Developer-platform apps send `object.*` with an objectTypeId instead of `company.*` etc. */
const OBJECT_TYPES: Record<string, Kind> = { "0-1": "contact", "0-2": "company", "0-3": "deal", "0-5": "ticket" };
const KINDS = ["company", "contact", "deal", "ticket"] as const;
type Kind = (typeof KINDS)[number];

/** A fact before it gets its id, source and time (those come from the delivery). */
type Fact = NormalizedEvent extends infer E ? (E extends NormalizedEvent ? Omit<E, "id" | "source" | "occurredAt"> : never) : never;
interface Mapped {
  facts: Fact[];
  ignoredReason?: string;
  /** Distinguishes several deliveries made from one event (one per merged-away record). */
  keySuffix?: string;
}

const skip = (ignoredReason: string): Mapped[] => [{ facts: [], ignoredReason }];

/** Each event of the batch becomes its own delivery; a merge becomes one per merged-away company. */
export function normalizeHubspot(payload: HubspotPayload, ctx: NormalizeContext): Delivery[] {
  return payload.flatMap((element, index) => normalizeElement(element, index, ctx));
}

function normalizeElement(element: Record<string, unknown>, index: number, ctx: NormalizeContext): Delivery[] {
  const raw = JSON.stringify(element);
  const parsed = hubspotEventSchema.safeParse(element);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = typeof element.occurredAt === "number" && Number.isSafeInteger(element.occurredAt) && element.occurredAt >= 0 ? element.occurredAt : ctx.now;
    const type = typeof element.subscriptionType === "string" ? element.subscriptionType : "unknown";
    return [
      ignored(
        { dedupeKey: `unreadable:${contentKey(raw)}`, vendorType: type, occurredAt: at, raw },
        `unreadable HubSpot event at index ${index}: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      ),
    ];
  }
  const ev = parsed.data;
  // eventId alone is not unique (HubSpot says so); attemptNumber is left out so a retry is a duplicate.
  const key = [ev.portalId, ev.subscriptionId, ev.eventId, ev.occurredAt, ev.objectId ?? ""].map(String).join(":");
  return mapEvent(ev).map((m) => {
    const dedupeKey = m.keySuffix ? `${key}:${m.keySuffix}` : key;
    const events = m.facts.map((f, i) => ({ ...f, id: eventId("hubspot", i ? `${dedupeKey}#${i}` : dedupeKey), source: "hubspot" as const, occurredAt: ev.occurredAt }));
    return { dedupeKey, vendorType: ev.subscriptionType, occurredAt: ev.occurredAt, raw, events, ...(m.ignoredReason ? { ignoredReason: m.ignoredReason } : {}) };
  });
}

function kindOf(ev: HubspotEvent): { kind: Kind | undefined; action: string } {
  const [prefix = "", ...rest] = ev.subscriptionType.split(".");
  const action = rest.join(".");
  if (prefix === "object") return { kind: OBJECT_TYPES[ev.objectTypeId ?? ""], action };
  return { kind: (KINDS as readonly string[]).includes(prefix) ? (prefix as Kind) : undefined, action };
}

function mapEvent(ev: HubspotEvent): Mapped[] {
  const { kind, action } = kindOf(ev);
  if (!kind) return skip(`Tenure does not use ${ev.subscriptionType}${ev.objectTypeId ? ` (${ev.objectTypeId})` : ""}`);
  if (action === "associationChange") return mapAssociationChange(ev);
  if (ev.objectId === undefined) return skip(`${ev.subscriptionType} without objectId`);
  const objectId = idString(ev.objectId);
  switch (kind) {
    case "company":
      return mapCompany(ev, action, objectId);
    case "contact":
      return mapContact(ev, action, objectId);
    case "deal":
      return mapDeal(ev, action, objectId);
    case "ticket":
      return mapTicket(ev, action, objectId);
  }
}

/** A property value as HubSpot sent it; an empty string means the property was cleared. */
function propertyValue(ev: HubspotEvent): string | null {
  const v = ev.propertyValue;
  if (v === undefined || v === null || v === "") return null;
  return typeof v === "string" ? v : String(v);
}

function mapCompany(ev: HubspotEvent, action: string, companyId: string): Mapped[] {
  const subject: Subject = { hubspotCompanyId: companyId };
  switch (action) {
    case "creation":
      return [{ facts: [{ type: "company.changed", subject, companyId, created: true, properties: {} }] }];
    case "deletion":
      return [{ facts: [{ type: "company.removed", subject, companyId }] }];
    case "merge": {
      const merged = mergedAway(ev, companyId);
      if (merged.length === 0) return skip("company.merge without a merged-away company");
      return merged.map(({ loser, survivor }) => ({
        keySuffix: loser,
        // Both companies are the subject: the customers holding them become one (src/core/crm-merge.ts).
        facts: [{ type: "company.removed", subject: { hubspotCompanyId: survivor, hubspotMergedCompanyId: loser }, companyId: loser, mergedInto: survivor }],
      }));
    }
    case "propertyChange": {
      if (!ev.propertyName) return skip("propertyChange without propertyName");
      let value = propertyValue(ev);
      let domain: string | undefined;
      if (ev.propertyName === "domain" && value !== null) {
        domain = normalizeDomain(value);
        value = domain ?? value.trim().toLowerCase();
      }
      return [{ facts: [{ type: "company.changed", subject: compact({ ...subject, domain }), companyId, created: false, properties: { [ev.propertyName]: value } }] }];
    }
    default:
      return skip(`Tenure does not use company.${action}`);
  }
}

/** The records a merge removed, and the one that survives (a merge can create a new record). */
function mergedAway(ev: HubspotEvent, objectId: string): { loser: string; survivor: string }[] {
  const survivor = idString(ev.newObjectId ?? ev.primaryObjectId ?? objectId);
  const candidates = [...(ev.mergedObjectIds ?? []), ...(ev.primaryObjectId === undefined ? [] : [ev.primaryObjectId])].map(idString);
  const losers = [...new Set(candidates)].filter((id) => id !== survivor).sort();
  return losers.map((loser) => ({ loser, survivor }));
}

function mapContact(ev: HubspotEvent, action: string, contactId: string): Mapped[] {
  const subject: Subject = { hubspotContactId: contactId };
  switch (action) {
    case "creation":
      return [{ facts: [{ type: "contact.changed", subject, contactId, properties: {} }] }];
    case "privacyDeletion":
      return [{ facts: [{ type: "contact.erased", subject, contactId }] }];
    case "deletion":
      return skip("contact deletions are not modelled; a GDPR erasure arrives as contact.privacyDeletion");
    case "merge":
      return skip("contact merges are not modelled; the surviving contact keeps its id");
    case "propertyChange": {
      if (!ev.propertyName) return skip("propertyChange without propertyName");
      const value = propertyValue(ev);
      const isEmail = ev.propertyName === "email" && value !== null;
      return [
        {
          facts: [
            {
              type: "contact.changed",
              subject: isEmail ? { ...subject, ...emailSubject(value) } : subject,
              contactId,
              properties: { [ev.propertyName]: value },
              ...compact({ email: isEmail ? value.trim().toLowerCase() : undefined, role: ev.propertyName === HUBSPOT_ROLE_PROPERTY ? (value ?? undefined) : undefined }),
            },
          ],
        },
      ];
    }
    default:
      return skip(`Tenure does not use contact.${action}`);
  }
}

/** HubSpot date properties arrive as epoch milliseconds in a string (or, from some apps, ISO dates). */
function dateMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  return isoMs(value);
}

function mapDeal(ev: HubspotEvent, action: string, dealId: string): Mapped[] {
  // A deal id is not a company: its company comes from the associations API, looked up through the outbox.
  const base = { type: "deal.changed" as const, subject: { hubspotDealId: dealId }, dealId };
  if (action === "creation") return [{ facts: [base] }];
  if (action !== "propertyChange") return skip(`Tenure does not use deal.${action}`);
  const value = propertyValue(ev);
  switch (ev.propertyName) {
    case "dealstage":
      if (value === null) return skip("dealstage cleared");
      return [{ facts: [{ ...base, stage: value, status: DEAL_STATUS[value] ?? "open" }] }];
    case "amount": {
      const amount = value === null ? NaN : Number(value);
      return Number.isFinite(amount) ? [{ facts: [{ ...base, amount }] }] : skip(`deal amount is not a number: ${value}`);
    }
    case "closedate": {
      const closeDate = dateMs(value);
      return closeDate === undefined ? skip(`deal closedate is not a date: ${value}`) : [{ facts: [{ ...base, closeDate }] }];
    }
    default:
      return skip(`Tenure does not use the deal property ${ev.propertyName ?? "(none)"}`);
  }
}

function mapTicket(ev: HubspotEvent, action: string, ticketId: string): Mapped[] {
  const base = { type: "ticket.changed" as const, desk: "hubspot" as const, subject: { hubspotTicketId: ticketId }, ticketId };
  if (action === "creation") return [{ facts: [{ ...base, status: "open", openedAt: ev.occurredAt }] }];
  if (action !== "propertyChange") return skip(`Tenure does not use ticket.${action}`);
  const value = propertyValue(ev);
  switch (ev.propertyName) {
    case "hs_pipeline_stage":
      if (value === null) return skip("hs_pipeline_stage cleared");
      return [{ facts: [{ ...base, status: HUBSPOT_CLOSED_TICKET_STAGES.includes(value) ? "solved" : "open" }] }];
    case "hs_ticket_priority": {
      const priority = TICKET_PRIORITY[(value ?? "").toUpperCase()];
      return priority ? [{ facts: [{ ...base, priority }] }] : skip(`unknown hs_ticket_priority: ${value}`);
    }
    case "subject":
      return value === null ? skip("ticket subject cleared") : [{ facts: [{ ...base, title: value }] }];
    default:
      return skip(`Tenure does not use the ticket property ${ev.propertyName ?? "(none)"}`);
  }
}

const ASSOCIATED_KINDS: Record<string, Exclude<Kind, "company">> = { CONTACT: "contact", DEAL: "deal", TICKET: "ticket" };

/**
 * An association between a company and a contact, deal or ticket changed. The event names both records, but
 * a removal or a second company says nothing of which one is now primary: it becomes a fact about the other
 * record that carries no new field, and the pipeline looks the record's companies up again through the API.
 * https://developers.hubspot.com/docs/api/webhooks#association-change-events
 */
function mapAssociationChange(ev: HubspotEvent): Mapped[] {
  const [from = "", to = ""] = (ev.associationType ?? "").toUpperCase().split("_TO_");
  const other = from === "COMPANY" ? { kind: ASSOCIATED_KINDS[to], id: ev.toObjectId } : to === "COMPANY" ? { kind: ASSOCIATED_KINDS[from], id: ev.fromObjectId } : null;
  if (!other?.kind || other.id === undefined) return skip(`Tenure reads associations to companies only (got ${ev.associationType ?? "no associationType"})`);
  const objectId = idString(other.id);
  switch (other.kind) {
    case "contact":
      return [{ keySuffix: `assoc:${objectId}`, facts: [{ type: "contact.changed", subject: { hubspotContactId: objectId }, contactId: objectId, properties: {} }] }];
    case "deal":
      return [{ keySuffix: `assoc:${objectId}`, facts: [{ type: "deal.changed", subject: { hubspotDealId: objectId }, dealId: objectId }] }];
    case "ticket":
      return [{ keySuffix: `assoc:${objectId}`, facts: [{ type: "ticket.changed", desk: "hubspot", subject: { hubspotTicketId: objectId }, ticketId: objectId }] }];
  }
}
