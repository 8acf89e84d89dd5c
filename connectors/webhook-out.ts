import type { ActionPayload } from "../src/core/actions";
import type { Config } from "../src/env";
import { type Connector, type ConnectorDeps, type DeliveryOutcome, isTransient, type OutboxAction, retryAfterMs } from "./connector";
import { secretProblem, standardWebhookHeaders } from "./standard-webhooks/sign";

/**
 * The Standard Webhooks outbound stream: each action is one signed POST of `{ type, timestamp, data }` to
 * WEBHOOK_OUT_URL, so Zapier, n8n, Make or a team's own service can verify Tenure's events with any Standard
 * Webhooks library. `webhook-id` is the outbox id: a retry sends the same id, which receivers use to dedupe.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */

type WebhookAction = OutboxAction<Extract<ActionPayload, { type: "webhook.event" }>>;

/** The body a receiver gets (the spec's recommended `type`, `timestamp`, `data` envelope). */
export function webhookBody(a: WebhookAction): string {
  return JSON.stringify({ type: a.payload.event, timestamp: new Date(a.payload.at).toISOString(), data: { customerId: a.customerId, ...a.payload.data } });
}

async function sendOne(a: WebhookAction, deps: ConnectorDeps, url: string, secret: string): Promise<DeliveryOutcome> {
  const body = webhookBody(a);
  const headers = await standardWebhookHeaders(secret, a.id, Math.floor(deps.now() / 1000), body);
  let res: Response;
  try {
    res = await deps.fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  } catch (err) {
    return { id: a.id, status: "retry", error: `no answer from the webhook receiver: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (res.ok) return { id: a.id, status: "delivered", result: { status: res.status } };
  const error = `the webhook receiver answered ${res.status}`;
  if (isTransient(res.status)) return { id: a.id, status: "retry", error, httpStatus: res.status, retryAfterMs: retryAfterMs(res, deps.now()) };
  return { id: a.id, status: "permanent", error, httpStatus: res.status };
}

export const webhookOutConnector: Connector = {
  destination: "webhook",
  maxBatch: 1,
  disabledReason(cfg: Config) {
    if (!cfg.WEBHOOK_OUT_URL) return "WEBHOOK_OUT_URL is not set";
    if (!cfg.WEBHOOK_OUT_SECRET) return "WEBHOOK_OUT_SECRET is not set";
    return secretProblem(cfg.WEBHOOK_OUT_SECRET);
  },
  async deliver(actions: OutboxAction[], deps: ConnectorDeps): Promise<DeliveryOutcome[]> {
    const url = deps.cfg.WEBHOOK_OUT_URL;
    const secret = deps.cfg.WEBHOOK_OUT_SECRET;
    const out: DeliveryOutcome[] = [];
    for (const a of actions) {
      if (a.payload.type !== "webhook.event") out.push({ id: a.id, status: "permanent", error: `the webhook stream cannot deliver ${a.payload.type}` });
      else if (!url || !secret) out.push({ id: a.id, status: "retry", error: "WEBHOOK_OUT_URL or WEBHOOK_OUT_SECRET is not set" });
      else out.push(await sendOne(a as WebhookAction, deps, url, secret));
    }
    return out;
  },
};
