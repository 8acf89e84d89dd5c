import { z } from "zod";
import { stages } from "../../src/core/lifecycle";
import { HUBSPOT_PROPERTIES } from "../../src/core/plan";
import type { ConnectorDeps } from "../connector";
import { callHubSpot, describeHubSpotError } from "./http";

/** Tenure's company properties in HubSpot: the planner writes these names (src/core/plan.ts), setup creates them. */
export { HUBSPOT_PROPERTIES };
export type HubSpotPropertyName = (typeof HUBSPOT_PROPERTIES)[keyof typeof HUBSPOT_PROPERTIES];

export const HUBSPOT_PROPERTY_GROUP = { name: "tenure_customer_health", label: "Customer health" } as const;

export interface PropertyDefinition {
  name: HubSpotPropertyName;
  label: string;
  type: "number" | "string" | "enumeration" | "datetime";
  fieldType: "number" | "text" | "textarea" | "select" | "date";
  description: string;
  options?: { label: string; value: string; displayOrder: number }[];
}

const options = (values: readonly string[]) =>
  values.map((v, i) => ({ label: v[0]!.toUpperCase() + v.slice(1), value: v, displayOrder: i }));

const number = (name: HubSpotPropertyName, label: string, description: string): PropertyDefinition => ({
  name, label, type: "number", fieldType: "number", description,
});
const text = (name: HubSpotPropertyName, label: string, description: string, area = false): PropertyDefinition => ({
  name, label, type: "string", fieldType: area ? "textarea" : "text", description,
});
const datetime = (name: HubSpotPropertyName, label: string, description: string): PropertyDefinition => ({
  name, label, type: "datetime", fieldType: "date", description,
});

const P = HUBSPOT_PROPERTIES;
export const propertyDefinitions: readonly PropertyDefinition[] = [
  number(P.score, "Health score", "Tenure customer health score, 0-100."),
  {
    name: P.band, label: "Health band", type: "enumeration", fieldType: "select",
    description: "Green, yellow or red, from the health score.", options: options(["green", "yellow", "red"]),
  },
  number(P.trend7, "Health trend (7 days)", "Change in health score over the last 7 days."),
  number(P.trend30, "Health trend (30 days)", "Change in health score over the last 30 days."),
  text(P.drivers, "Health drivers", "The factors that moved the score most.", true),
  text(P.modelVersion, "Health model version", "The scoring model that produced the score."),
  {
    name: P.stage, label: "Loyalty stage", type: "enumeration", fieldType: "select",
    description: "Where the customer is in the loyalty loop.", options: options(stages),
  },
  datetime(P.stageSince, "Stage since", "When the customer entered the current loyalty stage."),
  text(P.onboarding, "Onboarding status", "Progress toward first value."),
  text(P.segments, "Tenure segments", "Segments the customer belongs to, separated by semicolons."),
  number(P.points, "Loyalty points", "Points earned in the loyalty program."),
  number(P.referrals, "Referral count", "Customers referred by this customer."),
  text(P.referralCode, "Referral code", "This customer's referral code (also a Stripe promotion code)."),
  text(P.referralLink, "Referral link", "The shareable link that carries the referral code."),
  text(P.lastReward, "Last loyalty reward", "The latest points, credit, badge or occasion in the loyalty program."),
  datetime(P.lastRewardAt, "Last loyalty reward at", "When the latest loyalty reward happened."),
  datetime(P.lastScoredAt, "Last scored at", "When Tenure last scored this customer."),
];

export interface SetupResult {
  kind: "group" | "property";
  name: string;
  status: "created" | "exists" | "wrong_type" | "error";
  detail?: string;
}

const base = "/crm/v3/properties/companies";
const existingPropertySchema = z.looseObject({ type: z.string() });

/**
 * Creates the property group and every Tenure property that is missing. Idempotent: an existing
 * property is left alone; one with the wrong type is reported, never overwritten.
 */
export async function setupHubspotProperties(deps: ConnectorDeps): Promise<SetupResult[]> {
  const results: SetupResult[] = [await ensureGroup(deps)];
  for (const def of propertyDefinitions) results.push(await ensureProperty(deps, def));
  return results;
}

async function ensureGroup(deps: ConnectorDeps): Promise<SetupResult> {
  const { name, label } = HUBSPOT_PROPERTY_GROUP;
  const result = (status: SetupResult["status"], detail?: string): SetupResult => ({
    kind: "group", name, status, ...(detail ? { detail } : {}),
  });
  try {
    // https://developers.hubspot.com/docs/api/crm/properties (property groups)
    const found = await callHubSpot(deps, "GET", `${base}/groups/${name}`);
    if (found.status === 200) return result("exists");
    if (found.status !== 404) return result("error", describeHubSpotError(found));
    // https://developers.hubspot.com/docs/api/crm/properties (property groups)
    const made = await callHubSpot(deps, "POST", `${base}/groups`, { name, label, displayOrder: -1 });
    if (made.status === 201 || made.status === 200) return result("created");
    return made.status === 409 ? result("exists") : result("error", describeHubSpotError(made));
  } catch (err) {
    return result("error", err instanceof Error ? err.message : String(err));
  }
}

async function ensureProperty(deps: ConnectorDeps, def: PropertyDefinition): Promise<SetupResult> {
  const result = (status: SetupResult["status"], detail?: string): SetupResult => ({
    kind: "property", name: def.name, status, ...(detail ? { detail } : {}),
  });
  try {
    // https://developers.hubspot.com/docs/api/crm/properties
    const found = await callHubSpot(deps, "GET", `${base}/${def.name}`);
    if (found.status === 200) {
      const type = existingPropertySchema.safeParse(found.body).data?.type;
      return type === def.type ? result("exists") : result("wrong_type", `expected ${def.type}, found ${String(type)}`);
    }
    if (found.status !== 404) return result("error", describeHubSpotError(found));
    // https://developers.hubspot.com/docs/api/crm/properties
    const made = await callHubSpot(deps, "POST", base, { ...def, groupName: HUBSPOT_PROPERTY_GROUP.name });
    if (made.status === 201 || made.status === 200) return result("created");
    return made.status === 409 ? result("exists") : result("error", describeHubSpotError(made));
  } catch (err) {
    return result("error", err instanceof Error ? err.message : String(err));
  }
}
