import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { expect } from "vitest";
import worker from "../../src/index";
import { fixture } from "../support/fixtures";
import { signStripe } from "../support/sign/stripe";

let seq = 0;

/** A Stripe fixture re-dated to a minute ago (a fresh delivery), with its object edited. */
export function stripeEvent(name: string, id: string, edit: (obj: any) => void = () => {}): string {
  const ev = JSON.parse(fixture("stripe", name));
  ev.id = id;
  ev.created = Math.floor(Date.now() / 1000) - 60;
  edit(ev.data.object);
  return JSON.stringify(ev);
}

/** Signed with Stripe's own helper, through the real route; the delivery must be committed (200). */
export async function postStripe(body: string): Promise<void> {
  const res = await SELF.fetch("https://tenure.example.com/webhooks/stripe", { method: "POST", body, headers: await signStripe(body) });
  expect(res.status).toBe(200);
}

/** Every received inbox event through the real events consumer, with the deployment's vars overridden. */
export async function applyReceived(vars: Record<string, string> = {}): Promise<void> {
  const { results } = await env.DB.prepare(`SELECT id FROM inbox_events WHERE status = 'received'`).all<{ id: string }>();
  if (results.length === 0) return;
  const batch = createMessageBatch(
    "tenure-events",
    results.map((r) => ({ id: `st-${++seq}`, timestamp: new Date(), attempts: 1, body: { eventId: r.id } })),
  );
  await worker.queue!(batch as MessageBatch<never>, { ...env, ...vars } as never);
  const outcome = await getQueueResult(batch, createExecutionContext());
  expect(outcome.retryMessages).toEqual([]);
}

export interface StoredHealth {
  id: string;
  score: number;
  health: { score: number; components: Record<string, number | null>; weights: Record<string, number>; overrides: string[]; drivers: { factor: string; detail: string }[] };
  state: any;
}

export async function customerByStripeId(stripeCustomerId: string): Promise<StoredHealth> {
  const row = await env.DB.prepare(
    `SELECT c.id, c.score, c.health, c.state FROM customers c JOIN identities i ON i.customer_id = c.id WHERE i.kind = 'stripe' AND i.value = ?`,
  )
    .bind(stripeCustomerId)
    .first<{ id: string; score: number; health: string; state: string }>();
  expect(row).not.toBeNull();
  return { id: row!.id, score: row!.score, health: JSON.parse(row!.health), state: JSON.parse(row!.state) };
}

export async function slackAlerts(customerId: string): Promise<{ id: string; rule: string; summary: string }[]> {
  const { results } = await env.DB.prepare(`SELECT id, payload FROM outbox WHERE customer_id = ? AND type = 'slack.alert' ORDER BY id`)
    .bind(customerId)
    .all<{ id: string; payload: string }>();
  return results.map((r) => ({ id: r.id, ...(JSON.parse(r.payload) as { rule: string; summary: string }) }));
}
