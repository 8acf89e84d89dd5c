import { DIGEST_MAX_ITEMS, type Action, type ActionPayload } from "./actions";
import { RULE_ORDER } from "./alert-rules";
import { alertRoutes, routeKey } from "./alert-routing";
import type { AlertRouting } from "./config";

type AlertPayload = Extract<ActionPayload, { type: "slack.alert" }>;
type DigestPayload = Extract<ActionPayload, { type: "slack.digest" }>;

/** A held alert as the digest job reads it. */
export interface HeldAlert {
  id: string;
  alert: AlertPayload;
  /** The owner's email when the alert carries only a HubSpot owner id (from the owners table). */
  ownerEmail?: string | undefined;
}

export interface DigestPlan {
  actions: Action[];
  /** Alert id -> the digest message that lists it. */
  digestOf: Map<string, string>;
}

/**
 * The digest messages for a set of held alerts: grouped by recipient (each alert's first route, see
 * alert-routing.ts), most urgent rule and lowest score first, split into messages of DIGEST_MAX_ITEMS.
 * A message's id names the day and its first alert, so planning the same alerts again plans the same ids.
 */
export function planDigests(held: readonly HeldAlert[], routing: AlertRouting, fallbackChannel: string, day: string): DigestPlan {
  const groups = new Map<string, { route: DigestPayload["route"]; items: HeldAlert[] }>();
  for (const h of held) {
    const ownerEmail = h.alert.ownerEmail ?? h.ownerEmail;
    const route = alertRoutes({ hubspotOwnerId: h.alert.hubspotOwnerId, ownerEmail, segments: h.alert.segments }, routing, fallbackChannel)[0]!;
    const key = routeKey(route);
    const group = groups.get(key) ?? { route, items: [] };
    group.items.push(h);
    groups.set(key, group);
  }
  const actions: Action[] = [];
  const digestOf = new Map<string, string>();
  for (const { route, items } of [...groups.values()].sort((a, b) => routeKey(a.route).localeCompare(routeKey(b.route)))) {
    const ordered = [...items].sort(
      (a, b) => RULE_ORDER.indexOf(a.alert.rule) - RULE_ORDER.indexOf(b.alert.rule) || a.alert.score - b.alert.score || a.id.localeCompare(b.id),
    );
    const parts = Math.ceil(ordered.length / DIGEST_MAX_ITEMS);
    for (let i = 0; i < parts; i++) {
      const chunk = ordered.slice(i * DIGEST_MAX_ITEMS, (i + 1) * DIGEST_MAX_ITEMS);
      const id = `slack.digest:${day}:${chunk[0]!.id}`;
      for (const h of chunk) digestOf.set(h.id, id);
      actions.push({
        id,
        customerId: null,
        payload: {
          type: "slack.digest",
          day,
          route,
          part: i + 1,
          parts,
          items: chunk.map((h) => ({
            alertId: h.id,
            customerId: h.alert.customerId,
            customerName: h.alert.customerName,
            rule: h.alert.rule,
            score: h.alert.score,
            band: h.alert.band,
            driver: h.alert.drivers[0]?.detail || h.alert.drivers[0]?.factor || null,
            ...(h.alert.hubspotCompanyId ? { hubspotCompanyId: h.alert.hubspotCompanyId } : {}),
          })),
        },
      });
    }
  }
  return { actions, digestOf };
}
