import type { AlertRouting } from "./config";

/**
 * Where an alert (or a digest) goes. Pure: the Slack connector resolves the owner's email to a Slack user and
 * walks these targets in order (connectors/slack/route.ts).
 */
export type RouteKind = "owner_channel" | "owner_dm" | "segment_channel" | "fallback";
export type RouteTarget = { kind: "owner_channel" | "segment_channel" | "fallback"; channel: string } | { kind: "owner_dm"; email: string };

/** What routing reads of an alert. */
export interface RoutedAlert {
  hubspotOwnerId?: string | undefined;
  ownerEmail?: string | undefined;
  segments?: readonly string[] | undefined;
}

/**
 * The targets to try, in order: the owner's mapped channel (by HubSpot owner id, else by email, case-insensitive),
 * the owner's DM (mode "dm", when the email is known), the channel of the account's first mapped segment, and
 * last always the fallback channel. A routed target equal to an earlier one is left out.
 */
export function alertRoutes(a: RoutedAlert, routing: AlertRouting, fallbackChannel: string): RouteTarget[] {
  const out: RouteTarget[] = [];
  const ownerChannel = ownerMapped(routing.owners, a);
  if (ownerChannel) out.push({ kind: "owner_channel", channel: ownerChannel });
  if (routing.mode === "dm" && a.ownerEmail) out.push({ kind: "owner_dm", email: a.ownerEmail });
  const segment = (a.segments ?? []).find((s) => routing.segments[s] !== undefined);
  if (segment !== undefined) out.push({ kind: "segment_channel", channel: routing.segments[segment]! });
  const seen = new Set<string>();
  const routed = out.filter((t) => !seen.has(routeKey(t)) && Boolean(seen.add(routeKey(t))));
  return [...routed, { kind: "fallback", channel: routing.fallbackChannel ?? fallbackChannel }];
}

function ownerMapped(owners: Record<string, string>, a: RoutedAlert): string | undefined {
  if (a.hubspotOwnerId && owners[a.hubspotOwnerId] !== undefined) return owners[a.hubspotOwnerId];
  if (!a.ownerEmail) return undefined;
  const email = a.ownerEmail.toLowerCase();
  const key = Object.keys(owners).find((k) => k.toLowerCase() === email);
  return key === undefined ? undefined : owners[key];
}

/** A key naming a target, for grouping a digest by recipient. */
export function routeKey(t: RouteTarget): string {
  return t.kind === "owner_dm" ? `dm:${t.email.toLowerCase()}` : `channel:${t.channel}`;
}

/** Slack errors of a target that a retry cannot fix but another target can: the alert goes to the fallback channel. */
export const FALLBACK_ERRORS = ["channel_not_found", "not_in_channel", "users_not_found", "user_not_found", "is_archived"] as const;

/** Where a delivered alert landed, as the outbox stores it next to its channel and ts. */
export interface RouteRecord {
  route: RouteKind;
  /** The target tried first, when it failed and the alert went to the fallback channel instead. */
  fallbackFrom?: { route: RouteKind; target: string; error: string };
}

const ROUTE_WORDS: Record<RouteKind, string> = {
  owner_channel: "owner's channel",
  owner_dm: "owner's DM",
  segment_channel: "segment channel",
  fallback: "fallback channel",
};

/** One line for the Alerts page: where a stored Slack result says the alert went; null when it says nothing. */
export function describeDelivery(result: unknown): string | null {
  if (typeof result !== "object" || result === null) return null;
  const r = result as Record<string, unknown>;
  if (r.heldFor === "digest") return typeof r.digest === "string" ? "in the daily digest" : "held for the daily digest";
  if (typeof r.channel !== "string") return null;
  const route = typeof r.route === "string" && r.route in ROUTE_WORDS ? ROUTE_WORDS[r.route as RouteKind] : null;
  const from = r.fallbackFrom as RouteRecord["fallbackFrom"] | undefined;
  const after = from && typeof from === "object" ? ` after the ${ROUTE_WORDS[from.route] ?? from.route} (${from.target}) failed: ${from.error}` : "";
  return `to ${r.channel}${route ? ` (${route}${after})` : ""}`;
}
