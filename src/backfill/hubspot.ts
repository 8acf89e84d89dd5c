import { z } from "zod";
import type { ConnectorDeps } from "../../connectors/connector";
import { callHubSpot, classifyHubSpotFailure, type HubSpotReply } from "../../connectors/hubspot/http";
import { HUBSPOT_CLOSED_TICKET_STAGES, HUBSPOT_ROLE_PROPERTY } from "../../webhooks/hubspot";
import { compact, contentKey, emailSubject, eventId, idString, isoMs } from "../../webhooks/delivery";
import { normalizeDomain, type Delivery } from "../../webhooks/source";
import { tenureConfig } from "../config";
import type { NormalizedEvent } from "../core/events";
import type { Config } from "../env";
import { backfillKey } from "./ingest";
import { type Importer, type Page, PAGE_SIZE, VendorError } from "./types";

/**
 * HubSpot records become one snapshot fact each (company.changed, contact.changed, deal.changed).
 * Unlike webhooks, the list API returns associations, so contacts and deals arrive with their company.
 */

const value = z
  .union([z.string(), z.number(), z.boolean()])
  .nullable()
  .transform((v) => (v === null || v === "" ? null : String(v)));
const association = z.looseObject({ results: z.array(z.looseObject({ id: z.union([z.string().min(1), z.number()]) })) });

const recordSchema = z.looseObject({
  id: z.union([z.string().min(1), z.number().int().nonnegative()]).transform(idString),
  properties: z.record(z.string(), value).default({}),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  associations: z.record(z.string(), association).optional(),
});
type HubSpotRecord = z.infer<typeof recordSchema>;

const pageSchema = z.looseObject({
  results: z.array(z.looseObject({})),
  paging: z.looseObject({ next: z.looseObject({ after: z.string().min(1) }).optional() }).optional(),
});

/** Properties HubSpot adds to every record; they say nothing about the customer. */
const SYSTEM_PROPERTIES = new Set(["hs_object_id", "createdate", "hs_lastmodifieddate", "lastmodifieddate"]);

type Fact = NormalizedEvent extends infer E ? (E extends NormalizedEvent ? Omit<E, "id" | "source" | "occurredAt"> : never) : never;

interface Kind {
  singular: string;
  properties(cfg: Config): string[];
  associations: boolean;
  facts(r: HubSpotRecord): Fact[] | { ignored: string };
}

function companyProperties(cfg: Config): string[] {
  const rel = tenureConfig(cfg.TENURE_CONFIG).health.relationship;
  const base = ["name", "domain", "industry", "lifecyclestage", "numberofemployees", "annualrevenue"];
  return [...new Set([...base, rel.ownerProperty, ...rel.lastContactProperties, ...rel.renewalDateProperties])];
}

const firstCompany = (r: HubSpotRecord): string | undefined => {
  const id = r.associations?.companies?.results[0]?.id;
  return id === undefined ? undefined : idString(id);
};

const KINDS: Record<string, Kind> = {
  companies: {
    singular: "company",
    properties: companyProperties,
    associations: false,
    facts(r) {
      const properties = Object.fromEntries(Object.entries(r.properties).filter(([k]) => !SYSTEM_PROPERTIES.has(k)));
      const domain = properties.domain ? (normalizeDomain(properties.domain) ?? properties.domain.trim().toLowerCase()) : undefined;
      if (domain) properties.domain = domain;
      return [{ type: "company.changed", subject: compact({ hubspotCompanyId: r.id, domain }), companyId: r.id, created: false, properties }];
    },
  },
  contacts: {
    singular: "contact",
    properties: () => ["email", HUBSPOT_ROLE_PROPERTY],
    associations: true,
    facts(r) {
      const email = r.properties.email ?? undefined;
      const role = r.properties[HUBSPOT_ROLE_PROPERTY] ?? undefined;
      const subject = compact({ hubspotContactId: r.id, hubspotCompanyId: firstCompany(r), ...emailSubject(email) });
      return [{ type: "contact.changed", subject, contactId: r.id, properties: {}, ...compact({ email: email?.trim().toLowerCase(), role }) }];
    },
  },
  deals: {
    singular: "deal",
    properties: () => ["dealstage", "amount", "closedate", "pipeline", "hs_is_closed", "hs_is_closed_won"],
    associations: true,
    facts(r) {
      const company = firstCompany(r);
      if (!company) return { ignored: "the deal has no associated company" };
      const p = r.properties;
      const status = p.hs_is_closed_won === "true" ? "won" : p.hs_is_closed === "true" ? "lost" : dealStatusOfStage(p.dealstage);
      const amount = p.amount === null || p.amount === undefined ? undefined : Number(p.amount);
      const closeDate = p.closedate ? (/^\d+$/.test(p.closedate) ? Number(p.closedate) : isoMs(p.closedate)) : undefined;
      const extra = compact({ stage: p.dealstage, status, amount: Number.isFinite(amount) ? amount : undefined, closeDate });
      return [{ type: "deal.changed", subject: { hubspotCompanyId: company }, dealId: r.id, ...extra }];
    },
  },
};

const TICKET_PRIORITY: Record<string, "low" | "normal" | "high" | "urgent"> = { LOW: "low", MEDIUM: "normal", HIGH: "high", URGENT: "urgent" };

/**
 * A ticket as it stands: open or solved by its pipeline stage, with its priority and subject line. One
 * without an associated company still imports, carrying its own id: the outbox looks its company up.
 */
const ticketKind: Kind = {
  singular: "ticket",
  properties: () => ["subject", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "createdate", "closed_date"],
  associations: true,
  facts(r) {
    const p = r.properties;
    const stage = p.hs_pipeline_stage ?? undefined;
    const status = stage === undefined ? undefined : HUBSPOT_CLOSED_TICKET_STAGES.includes(stage) ? ("solved" as const) : ("open" as const);
    const openedAt = isoMs(p.createdate ?? r.createdAt);
    const extra = compact({ status, priority: TICKET_PRIORITY[(p.hs_ticket_priority ?? "").toUpperCase()], title: p.subject ?? undefined, openedAt });
    return [{ type: "ticket.changed", desk: "hubspot", subject: compact({ hubspotTicketId: r.id, hubspotCompanyId: firstCompany(r) }), ticketId: r.id, ...extra }];
  },
};
KINDS.tickets = ticketKind;

/** Without hs_is_closed*, the default pipeline's closing stages are the only ones known. */
function dealStatusOfStage(stage: string | null | undefined): "open" | "won" | "lost" | undefined {
  if (!stage) return undefined;
  return stage === "closedwon" ? "won" : stage === "closedlost" ? "lost" : "open";
}

/** One HubSpot record as one inbox delivery, keyed by its facts (not its updatedAt, which Tenure's own writes move). */
export function hubspotRecordDelivery(object: string, record: unknown, now: number): Delivery {
  const raw = JSON.stringify(record);
  const kind = KINDS[object];
  const parsed = recordSchema.safeParse(record);
  if (!kind || !parsed.success) {
    const why = parsed.success ? `Tenure does not import HubSpot ${object}` : `${parsed.error.issues[0]!.path.join(".") || "(root)"}: ${parsed.error.issues[0]!.message}`;
    return { dedupeKey: `backfill:unreadable:${contentKey(raw)}`, vendorType: object, occurredAt: now, events: [], ignoredReason: `unreadable HubSpot ${object} record: ${why}`, raw };
  }
  const r = parsed.data;
  const occurredAt = isoMs(r.updatedAt) ?? isoMs(r.createdAt) ?? now;
  const vendorType = `${kind.singular}.snapshot`;
  const facts = kind.facts(r);
  if ("ignored" in facts) {
    return { dedupeKey: backfillKey(`${kind.singular}:${r.id}`, facts), vendorType, occurredAt, events: [], ignoredReason: facts.ignored, raw };
  }
  const dedupeKey = backfillKey(`${kind.singular}:${r.id}`, facts);
  const events = facts.map((f, i) => ({ ...f, id: eventId("hubspot", i ? `${dedupeKey}#${i}` : dedupeKey), source: "hubspot" as const, occurredAt }));
  return { dedupeKey, vendorType, occurredAt, events, raw };
}

function listPath(cfg: Config, object: string, kind: Kind, cursor: string | null): string {
  const q = new URLSearchParams({ limit: String(PAGE_SIZE), archived: "false", properties: kind.properties(cfg).join(",") });
  if (kind.associations) q.set("associations", "companies");
  if (cursor) q.set("after", cursor);
  return `/crm/v3/objects/${object}?${q}`;
}

async function get(deps: ConnectorDeps, path: string): Promise<HubSpotReply> {
  try {
    return await callHubSpot(deps, "GET", path);
  } catch (err) {
    throw new VendorError(`HubSpot unreachable: ${err instanceof Error ? err.message : String(err)}`, true);
  }
}

export const hubspotImporter: Importer = {
  disabledReason: (cfg) => (cfg.HUBSPOT_ACCESS_TOKEN ? null : "set HUBSPOT_ACCESS_TOKEN (a private app with crm.objects.*.read scopes)"),
  async fetchPage(deps: ConnectorDeps, object: string, cursor: string | null): Promise<Page> {
    const kind = KINDS[object];
    if (!kind) throw new VendorError(`Tenure does not import HubSpot ${object}`, false);
    // https://developers.hubspot.com/docs/api-reference/crm-companies-v3/basic/get-crm-v3-objects-companies
    // (contacts, deals and tickets have the same list endpoint; `after` pages, `associations` adds company ids)
    const reply = await get(deps, listPath(deps.cfg, object, kind, cursor));
    if (reply.status >= 300) {
      const failure = classifyHubSpotFailure(reply, deps.now());
      throw new VendorError(failure.error, failure.status === "retry");
    }
    const page = pageSchema.safeParse(reply.body);
    if (!page.success) throw new VendorError(`HubSpot answered ${reply.status} with a body that is not a list page`, true);
    const now = deps.now();
    return {
      deliveries: page.data.results.map((record) => hubspotRecordDelivery(object, record, now)),
      next: page.data.paging?.next?.after ?? null,
    };
  },
};
