import { entry } from "../keyed";
import type { CustomerState } from "../state";
import { DAY, type ComponentResult, type Factor, ago, daysBetween, noData, parseCrmTime, plural, settle } from "./factors";
import type { HealthModel } from "./model";
import { dealStatus, type LifecycleConfig } from "../lifecycle";

type Params = HealthModel["relationship"];

/** Neutral baseline: an owned account with ordinary contact. */
const BASELINE = 70;

/**
 * The relationship as the CRM records it. A property HubSpot never sent is unknown and not judged;
 * a property sent empty (e.g. owner removed) is.
 */
export function scoreRelationship(state: CustomerState, now: number, p: Params, lifecycle?: Pick<LifecycleConfig, "dealStages">): ComponentResult {
  const { properties, deals, contacts } = state.crm;
  if (Object.keys(properties).length + Object.keys(deals).length + Object.keys(contacts).length === 0) return noData;
  const lastContact = latestTime(state, p.lastContactProperties);
  return settle(BASELINE, [
    ...ownerFactor(state, p),
    ...contactFactor(lastContact, now, p),
    ...renewalFactor(state, lastContact, now, p),
    ...dealFactors(state, now, p, lifecycle ?? {}),
    ...threadFactor(state),
  ]);
}

function propertyTimes(state: CustomerState, names: string[]): number[] {
  return names.flatMap((n) => {
    const t = parseCrmTime(entry(state.crm.properties, n)?.value);
    return t === null ? [] : [t];
  });
}

function latestTime(state: CustomerState, names: string[]): number | null {
  const times = propertyTimes(state, names);
  return times.length ? Math.max(...times) : null;
}

/** The renewal date from the first configured property that holds one. */
export function renewalDate(state: CustomerState, p: Params): number | null {
  return propertyTimes(state, p.renewalDateProperties)[0] ?? null;
}

function ownerFactor(state: CustomerState, p: Params): Factor[] {
  const owner = entry(state.crm.properties, p.ownerProperty);
  if (!owner || (owner.value ?? "").trim() !== "") return [];
  return [{ factor: "relationship.no_owner", delta: -p.noOwnerPenalty, detail: "no account owner assigned" }];
}

function contactFactor(last: number | null, now: number, p: Params): Factor[] {
  if (last === null) return [];
  const idle = daysBetween(last, now);
  if (idle <= p.recentContactDays) return [{ factor: "relationship.contact", delta: 10, detail: `last contacted ${ago(last, now)}` }];
  if (idle <= p.staleContactDays) return [];
  return [{ factor: "relationship.contact", delta: -15, detail: `no contact for ${plural(idle, "day")}` }];
}

function renewalFactor(state: CustomerState, last: number | null, now: number, p: Params): Factor[] {
  const renewal = renewalDate(state, p);
  if (renewal === null || renewal < now || renewal > now + p.renewalSoonDays * DAY) return [];
  if (last !== null && last >= now - p.recentContactDays * DAY) return [];
  const inDays = Math.ceil((renewal - now) / DAY);
  const contact = last === null ? "no contact recorded" : `last contact ${ago(last, now)}`;
  return [
    {
      factor: "relationship.renewal_unattended",
      delta: -p.renewalWithoutContactPenalty,
      detail: `renewal in ${plural(inDays, "day")}, ${contact}`,
    },
  ];
}

/** Won, lost and open as the team's pipelines define them (`crm.dealStages`), as the stage reads them too. */
function dealFactors(state: CustomerState, now: number, p: Params, lifecycle: Pick<LifecycleConfig, "dealStages">): Factor[] {
  const since = now - p.dealWindowDays * DAY;
  const out: Factor[] = [];
  const deals = Object.values(state.crm.deals);
  const closedAt = (d: (typeof deals)[number]) => d.closeDate ?? d.at;
  const status = (d: (typeof deals)[number]) => dealStatus(d, lifecycle);
  const lost = deals.filter((d) => status(d) === "lost" && closedAt(d) >= since && closedAt(d) <= now);
  const won = deals.filter((d) => status(d) === "won" && closedAt(d) >= since && closedAt(d) <= now);
  const open = deals.filter((d) => status(d) === "open");
  if (lost.length > 0) {
    const latest = Math.max(...lost.map(closedAt));
    out.push({ factor: "relationship.deal_lost", delta: -10, detail: `${plural(lost.length, "deal")} lost, latest ${ago(latest, now)}` });
  }
  if (won.length > 0) {
    const latest = Math.max(...won.map(closedAt));
    out.push({ factor: "relationship.deal_won", delta: 5, detail: `${plural(won.length, "deal")} won, latest ${ago(latest, now)}` });
  }
  if (open.length > 0) out.push({ factor: "relationship.open_deal", delta: 3, detail: `${plural(open.length, "open deal")}` });
  return out;
}

function threadFactor(state: CustomerState): Factor[] {
  const known = Object.values(state.crm.contacts).filter((c) => !c.erased).length;
  if (known >= 3) return [{ factor: "relationship.multi_threaded", delta: 5, detail: `${plural(known, "contact")} known` }];
  if (known === 1) return [{ factor: "relationship.single_threaded", delta: -5, detail: "single-threaded: 1 known contact" }];
  return [];
}
