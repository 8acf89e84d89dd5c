import type { Action, OutboundEventType } from "../core/actions";
import type { Snapshot } from "../core/plan";

/**
 * The events of the Standard Webhooks stream, from one scoring step: what changed between the snapshots, plus
 * the alerts and reward credits the step planned. Pure; ids are deterministic, so a replayed step plans nothing new.
 */

export interface OutboundInput {
  customerId: string;
  name: string;
  before: Snapshot | null;
  after: Snapshot;
  /** Every action the step planned (alerts and credits are re-announced on the stream). */
  planned: readonly Action[];
  causeAt: number;
}

function event(customerId: string, id: string, type: OutboundEventType, at: number, data: Record<string, string | number | boolean | null>): Action {
  return { id: `webhook:${id}`, customerId, payload: { type: "webhook.event", event: type, at, data } };
}

export function planOutboundEvents(p: OutboundInput): Action[] {
  const { customerId, before, after, causeAt: at } = p;
  const out: Action[] = [];
  const key = `${customerId}:${at}`;
  if (!before || before.score !== after.score) {
    out.push(event(customerId, `score:${key}:${after.score}`, "score.changed", at, { name: p.name, score: after.score, previousScore: before?.score ?? null, band: after.band }));
  }
  if (before && before.band !== after.band) {
    out.push(event(customerId, `band:${key}:${after.band}`, "band.changed", at, { name: p.name, band: after.band, previousBand: before.band, score: after.score }));
  }
  if (before && before.stage !== after.stage) {
    out.push(event(customerId, `stage:${key}:${after.stage}`, "stage.changed", at, { name: p.name, stage: after.stage, previousStage: before.stage }));
  }
  for (const a of p.planned) {
    if (a.payload.type === "slack.alert") {
      const { rule, score, band, summary } = a.payload;
      out.push(event(customerId, a.id, "alert.raised", at, { name: p.name, rule, score, band, summary }));
    } else if (a.payload.type === "stripe.credit") {
      // Stripe's sign convention: a negative amount is a credit to the customer.
      const { amount, currency, description } = a.payload;
      out.push(event(customerId, a.id, "reward.credited", at, { name: p.name, amount: -amount, currency, description }));
    }
  }
  return out;
}

/** A declared destination's name, the events it takes, and whether it holds state (src/plugins/destinations.ts). */
export interface DeclaredTarget {
  name: string;
  events: readonly OutboundEventType[];
  coalesce?: boolean;
  /** A batching destination's window: its actions wait this long for others to join their request. */
  windowMs?: number;
}

const windowOf = (t: DeclaredTarget) => (t.windowMs ? { windowMs: t.windowMs } : {});

/**
 * The same announcements, as requests to each declared destination that takes them. A destination that holds
 * state gets one request per account (id by account), carrying the account's current values; others get one per
 * announcement, with an id derived from it.
 */
export function planDeclaredRequests(announced: readonly Action[], targets: readonly DeclaredTarget[], now: Snapshot): Action[] {
  const out: Action[] = [];
  for (const t of targets) {
    const taken = announced.filter((a) => a.payload.type === "webhook.event" && t.events.includes(a.payload.event));
    if (t.coalesce) {
      const last = taken.at(-1);
      if (last?.payload.type !== "webhook.event" || last.customerId === null) continue;
      const data = { score: now.score, band: now.band, stage: now.stage };
      out.push({ id: `declared:${t.name}:${last.customerId}`, customerId: last.customerId, payload: { type: "declared.request", plugin: t.name, coalesce: true, event: last.payload.event, at: last.payload.at, data, ...windowOf(t) } });
      continue;
    }
    for (const a of taken) {
      if (a.payload.type !== "webhook.event") continue;
      const { event, at, data } = a.payload;
      out.push({ id: `declared:${t.name}:${a.id}`, customerId: a.customerId, payload: { type: "declared.request", plugin: t.name, event, at, data, ...windowOf(t) } });
    }
  }
  return out;
}
