import type { Rng } from "./random";

/** The demo's customers: who they are, how they behave, and their ids in every vendor. */

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export type Persona = "champion" | "steady" | "at_risk" | "churning" | "new";

/** Share of accounts per persona (the rest are steady). */
const MIX: [Persona, number][] = [["champion", 0.28], ["at_risk", 0.18], ["churning", 0.12], ["new", 0.12]];

export interface DemoUser {
  id: string;
  name: string;
  email: string;
  role: string;
}

export interface Plan {
  id: string;
  name: string;
  /** Per seat per month, in cents. */
  unitAmount: number;
}

export type DemoSource = "stripe" | "hubspot" | "zendesk" | "intercom" | "segment" | "delighted" | "typeform";

/**
 * One vendor event of the generated quarter. Waves are sent in order, each after the previous one was
 * processed: 1 CRM companies, 2 billing and product identities, 3 product, support and CRM activity,
 * 4 billing history. Identities first, so two first-seen ids of one account never race.
 */
export interface DemoEvent {
  source: DemoSource;
  wave: 1 | 2 | 3 | 4;
  /** When it happened (ms); the signature is made at send time. */
  at: number;
  /** e.g. "invoice.paid", for the summary. */
  kind: string;
  payload: Record<string, unknown>;
}

export interface DemoOwner {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
}

/** The portal's customer-success team: the owners the generated companies are assigned to. */
export const DEMO_OWNERS: DemoOwner[] = [
  { id: "71001", email: "maya.chen@tenure-demo.example", firstName: "Maya", lastName: "Chen" },
  { id: "71002", email: "jonas.berg@tenure-demo.example", firstName: "Jonas", lastName: "Berg" },
  { id: "71003", email: "priya.nair@tenure-demo.example", firstName: "Priya", lastName: "Nair" },
];

export interface Account {
  index: number;
  name: string;
  domain: string;
  persona: Persona;
  hubspotCompanyId: string;
  stripeCustomerId: string;
  subscriptionId: string;
  segmentGroupId: string;
  plan: Plan;
  seats: number;
  users: DemoUser[];
  billingEmail: string;
  signupAt: number;
  /** The domain of the champion whose referral code this account used at checkout. */
  referredBy?: string;
  desk: "zendesk" | "intercom";
  survey: "delighted" | "typeform";
  ownerId: string | null;
  /** Churning accounts: when they scheduled the cancellation. */
  cancelScheduledAt?: number;
  /** A new account that never used the product after buying (misses first value). */
  quiet: boolean;
}

export const PLANS: Plan[] = [
  { id: "price_demo_starter", name: "Starter", unitAmount: 2900 },
  { id: "price_demo_growth", name: "Growth", unitAmount: 5900 },
  { id: "price_demo_scale", name: "Scale", unitAmount: 9900 },
];

const PREFIXES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Soylent", "Tyrell", "Cyberdyne", "Vandelay", "Dunder", "Monarch", "Aperture", "Nakatomi", "Gringotts", "Oceanic", "Pendant", "Sirius", "Bluth", "Krusty", "Prestige", "Duff", "Gekko"];
const SUFFIXES = ["Labs", "Systems", "Logistics", "Health", "Analytics", "Foods", "Capital", "Robotics", "Media", "Energy"];
const FIRST = ["Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Guido", "Radia", "Tim", "Hedy", "Edsger", "Joan"];
const LAST = ["Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen", "Rossum", "Perlman", "Berners-Lee", "Lamarr", "Dijkstra", "Clarke"];
const ROLES = ["Admin", "Engineer", "Analyst", "Manager", "Designer"];

const SEATS: Record<Persona, [number, number]> = { champion: [4, 6], steady: [5, 8], at_risk: [10, 15], churning: [3, 5], new: [3, 5] };
const ACTIVE_USERS: Record<Persona, [number, number]> = { champion: [4, 6], steady: [3, 5], at_risk: [3, 4], churning: [2, 2], new: [2, 3] };

function personas(rng: Rng, n: number): Persona[] {
  const out: Persona[] = [];
  for (const [p, share] of MIX) for (let k = 0; k < Math.round(n * share); k++) out.push(p);
  while (out.length < n) out.push("steady");
  return rng.shuffle(out.slice(0, n));
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/** When the account bought: a new one in the last two weeks, the others two to three months ago. */
function signupOf(rng: Rng, persona: Persona, now: number): number {
  const daysAgo = persona === "new" ? rng.int(2, 12) : rng.int(62, 88);
  return now - daysAgo * DAY - rng.int(0, 23) * HOUR;
}

export function buildAccounts(rng: Rng, n: number, now: number): Account[] {
  const kinds = personas(rng, n);
  const names = rng.shuffle(PREFIXES.flatMap((p) => SUFFIXES.map((s) => `${p} ${s}`))).slice(0, n);
  const accounts = kinds.map((persona, index): Account => {
    const name = names[index] ?? `Company ${index}`;
    const domain = `${slug(name)}.example`;
    const seats = rng.int(...SEATS[persona]);
    const users = Array.from({ length: Math.min(seats, rng.int(...ACTIVE_USERS[persona])) }, (_, k) => {
      const first = rng.pick(FIRST);
      const last = rng.pick(LAST);
      return { id: `usr_${slug(name)}_${k + 1}`, name: `${first} ${last}`, email: `${first.toLowerCase()}.${slug(last)}@${domain}`, role: k === 0 ? "Admin" : rng.pick(ROLES) };
    });
    return {
      index,
      name,
      domain,
      persona,
      hubspotCompanyId: String(18_000_100 + index * 3),
      stripeCustomerId: rng.id("cus_"),
      subscriptionId: rng.id("sub_"),
      segmentGroupId: `grp_${slug(name)}`,
      plan: rng.pick(PLANS),
      seats,
      users,
      billingEmail: `billing@${domain}`,
      signupAt: signupOf(rng, persona, now),
      desk: rng.chance(0.5) ? "zendesk" : "intercom",
      survey: rng.chance(0.5) ? "delighted" : "typeform",
      ownerId: persona === "at_risk" && rng.chance(0.5) ? null : rng.pick(DEMO_OWNERS).id,
      quiet: false,
    };
  });
  for (const a of accounts) {
    if (a.persona === "churning") a.cancelScheduledAt = Math.min(a.signupAt + rng.int(20, 55) * DAY + rng.int(0, 23) * HOUR, now - 2 * DAY);
  }
  // Two accounts renewed within the last two days, so the reconciliation window holds renewals.
  for (const a of accounts.filter((x) => x.persona === "steady").slice(0, 2)) a.signupAt = now - 60 * DAY - rng.int(2, 40) * HOUR;
  const quiet = accounts.find((a) => a.persona === "new");
  if (quiet) quiet.quiet = true;
  // A few new or steady customers came through a champion's referral link.
  const champions = accounts.filter((a) => a.persona === "champion");
  const referred = accounts.filter((a) => a.persona === "new" || a.persona === "steady").slice(0, 4);
  for (const a of referred) if (champions.length) a.referredBy = rng.pick(champions).domain;
  return accounts;
}
