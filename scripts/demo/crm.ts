import { DEMO } from "./settings";
import type { Rng } from "./random";
import { type Account, DAY, type DemoEvent, type DemoOwner, HOUR } from "./world";

/** HubSpot: companies (wave 1), contacts and deals (wave 3) as CRM webhook events, and the records the fake CRM holds. */

const SUBSCRIPTIONS: Record<string, number> = {
  "company.creation": 310_001,
  "company.propertyChange": 310_002,
  "contact.creation": 310_003,
  "contact.propertyChange": 310_004,
  "deal.creation": 310_005,
  "deal.propertyChange": 310_006,
};

export const contactIds = (a: Account): [string, string] => [String(5_100_100 + a.index * 2), String(5_100_101 + a.index * 2)];
export const dealId = (a: Account): string => String(7_100_100 + a.index);

export interface CrmRecords {
  owners?: DemoOwner[];
  companies: { id: string; properties: Record<string, string> }[];
  contacts: { id: string; properties: Record<string, string>; companyIds: string[] }[];
  deals: { id: string; properties: Record<string, string>; companyIds: string[] }[];
}

function hubspotEvent(eventId: number, type: string, objectId: string, at: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventId,
    subscriptionId: SUBSCRIPTIONS[type],
    portalId: DEMO.hubspotPortalId,
    appId: 3_141_592,
    occurredAt: at,
    subscriptionType: type,
    attemptNumber: 0,
    objectId: Number(objectId),
    changeFlag: type.endsWith("creation") ? "CREATED" : undefined,
    changeSource: "CRM_UI",
    ...extra,
  };
}

/** The last time the account manager spoke with the customer, by persona. */
function lastContactOf(rng: Rng, a: Account, now: number): number {
  switch (a.persona) {
    case "champion":
      return now - rng.int(2, 20) * DAY;
    case "steady":
      return now - rng.int(15, 50) * DAY;
    case "at_risk":
      return now - rng.int(95, 140) * DAY;
    case "churning":
      return now - rng.int(40, 100) * DAY;
    case "new":
      return a.signupAt - DAY;
  }
}

export function crmEvents(rng: Rng, a: Account, now: number): { events: DemoEvent[]; records: CrmRecords } {
  let seq = 1_000_000 + a.index * 1_000;
  const events: DemoEvent[] = [];
  const emit = (wave: 1 | 3, type: string, objectId: string, at: number, extra?: Record<string, unknown>) =>
    events.push({ source: "hubspot", wave, at, kind: type, payload: hubspotEvent(++seq, type, objectId, at, extra) });
  const created = Math.max(now - 90 * DAY, a.signupAt - rng.int(10, 30) * DAY);
  const company = a.hubspotCompanyId;
  const props: Record<string, string> = { name: a.name, domain: a.domain, lifecyclestage: "customer", notes_last_contacted: String(lastContactOf(rng, a, now)) };
  if (a.ownerId) props.hubspot_owner_id = a.ownerId;
  if (a.persona === "at_risk") props.renewal_date = String(now + rng.int(10, 50) * DAY);

  emit(1, "company.creation", company, created);
  emit(1, "company.propertyChange", company, created + 1_000, { propertyName: "name", propertyValue: a.name });
  emit(1, "company.propertyChange", company, created + 2_000, { propertyName: "domain", propertyValue: `https://www.${a.domain}/` });
  // An account whose owner left: the property was cleared, which HubSpot sends as an empty value.
  emit(1, "company.propertyChange", company, created + 3_000, { propertyName: "hubspot_owner_id", propertyValue: a.ownerId ?? "" });
  emit(1, "company.propertyChange", company, a.signupAt, { propertyName: "lifecyclestage", propertyValue: "customer" });
  emit(1, "company.propertyChange", company, Math.max(created, Math.min(now - HOUR, Number(props.notes_last_contacted))), { propertyName: "notes_last_contacted", propertyValue: props.notes_last_contacted });
  if (props.renewal_date) emit(1, "company.propertyChange", company, created + 4_000, { propertyName: "renewal_date", propertyValue: props.renewal_date });

  const [billingContact, adminContact] = contactIds(a);
  const people: [string, string, string][] = [[billingContact, a.billingEmail, "Finance Manager"], [adminContact, a.users[0]!.email, "Head of Operations"]];
  for (const [id, email, jobtitle] of people) {
    const at = created + rng.int(1, 48) * HOUR;
    emit(3, "contact.creation", id, at);
    emit(3, "contact.propertyChange", id, at + 1_000, { propertyName: "email", propertyValue: email });
    emit(3, "contact.propertyChange", id, at + 2_000, { propertyName: "jobtitle", propertyValue: jobtitle });
  }

  const deal = dealId(a);
  const amount = String((a.seats * a.plan.unitAmount * 12) / 100);
  emit(3, "deal.creation", deal, created + DAY);
  emit(3, "deal.propertyChange", deal, created + DAY + 1_000, { propertyName: "amount", propertyValue: amount });
  emit(3, "deal.propertyChange", deal, a.signupAt - HOUR, { propertyName: "dealstage", propertyValue: "closedwon" });

  const closedate = new Date(a.signupAt - HOUR).toISOString();
  return {
    events,
    records: {
      companies: [{ id: company, properties: props }],
      contacts: people.map(([id, email, jobtitle]) => ({ id, properties: { email, jobtitle }, companyIds: [company] })),
      deals: [{ id: deal, properties: { dealname: `${a.name} — ${a.plan.name}`, dealstage: "closedwon", amount, closedate, pipeline: "default", hs_is_closed: "true", hs_is_closed_won: "true" }, companyIds: [company] }],
    },
  };
}
