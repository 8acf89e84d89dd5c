import type { Rng } from "./random";
import { type Account, DAY, type DemoEvent, HOUR, type Persona } from "./world";

/** Segment usage (identities in wave 2, activity in wave 3). */

const FEATURES = ["Report Created", "Dashboard Viewed", "Integration Connected", "Export Downloaded", "Alert Configured", "Teammate Invited"];
const BREADTH: Record<Persona, number> = { champion: 6, steady: 4, at_risk: 2, churning: 2, new: 3 };
const iso = (ms: number) => new Date(ms).toISOString();

/** Chance that one user is active on a day, by persona and how long ago the day was. */
function activity(a: Account, day: number, now: number): number {
  const ago = (now - day) / DAY;
  switch (a.persona) {
    case "champion":
      return 0.09;
    case "steady":
      return 0.05;
    case "at_risk":
      return ago > 40 ? 0.08 : ago > 14 ? 0.03 : 0.01;
    case "churning":
      return day < (a.cancelScheduledAt ?? now) ? 0.06 : 0.005;
    case "new":
      return a.quiet ? 0 : 0.35;
  }
}

function segmentCall(rng: Rng, type: string, at: number, body: Record<string, unknown>): Record<string, unknown> {
  return {
    type,
    messageId: rng.id("ajs-", 24),
    timestamp: iso(at),
    originalTimestamp: iso(at - 40),
    sentAt: iso(at - 20),
    receivedAt: iso(at + 300),
    channel: "client",
    version: 2,
    ...body,
    context: { library: { name: "analytics.js", version: "5.2.0" }, ...(body.context as object) },
  };
}

export function usageEvents(rng: Rng, a: Account, now: number): DemoEvent[] {
  const out: DemoEvent[] = [];
  const emit = (wave: 2 | 3, type: string, at: number, body: Record<string, unknown>) =>
    out.push({ source: "segment", wave, at, kind: `segment ${type}`, payload: segmentCall(rng, type, at, body) });
  const context = { groupId: a.segmentGroupId };
  const start = a.signupAt + HOUR;
  emit(2, "group", start, { userId: a.users[0]!.id, groupId: a.segmentGroupId, traits: { name: a.name, domain: a.domain, seats: a.seats, plan: a.plan.name }, context });
  for (const u of a.users) {
    emit(2, "identify", start + 1_000, { userId: u.id, traits: { email: u.email, name: u.name, role: u.role }, context });
  }
  const features = FEATURES.slice(0, BREADTH[a.persona]);
  const track = (u: Account["users"][number], at: number) => emit(3, "track", at, { userId: u.id, event: rng.pick(features), properties: {}, context });
  if (a.persona === "new" && !a.quiet) track(a.users[0]!, a.signupAt + rng.int(1, 5) * HOUR);
  for (let day = a.signupAt + DAY; day < now - HOUR; day += DAY) {
    for (const u of a.users) if (rng.chance(activity(a, day, now))) track(u, Math.min(now - HOUR, day + rng.int(8, 18) * HOUR));
  }
  // Healthy accounts were around in the last couple of days.
  if (a.persona === "champion" || a.persona === "steady") track(a.users[0]!, now - rng.int(2, 40) * HOUR);
  return out;
}
