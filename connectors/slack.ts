/*
 * Slack through plain fetch, not @slack/bolt or @slack/web-api. Bolt has no receiver for Workers, and
 * web-api fails on workerd as shipped (it needs a fetch wrapper for `this` binding and `redirect`).
 * Tenure calls three Web API methods (chat.postMessage, chat.update, users.lookupByEmail), so a
 * small typed client costs less than either: no dependency, a configurable base URL for tests
 * and the demo, and retries left to the outbox, which sees every Retry-After.
 */
import { z } from "zod";
import { hubspotOwnerEmail } from "./hubspot/owners";
import type { Config } from "../src/env";
import type { Connector, ConnectorDeps, DeliveryOutcome, OutboxAction } from "./connector";
import { buildAlertMessage, buildRecoveryMessage, type AlertPayload, type RecoveryPayload } from "./slack/alert-message";
import { callSlack, type SlackFailure, type SlackReply } from "./slack/api";
import type { Block, SlackMessage } from "./slack/blocks";

export { buildAlertMessage, buildRecoveryMessage, ACK_ACTION_ID, SNOOZE_ACTION_ID } from "./slack/alert-message";

/** What a delivered alert stores; a recovery later threads under it. */
export const postedMessageSchema = z.object({ channel: z.string(), ts: z.string() });
export type PostedMessage = z.infer<typeof postedMessageSchema>;

export type SlackResult = { ok: true; channel: string; ts: string } | ({ ok: false } & SlackFailure);

// https://docs.slack.dev/reference/methods/chat.postMessage
async function postMessage(deps: ConnectorDeps, message: SlackMessage): Promise<SlackResult> {
  const reply = await callSlack(deps, "chat.postMessage", { ...message });
  return toResult(reply);
}

/** Rewrites a posted alert (after Acknowledge or Snooze). */
export async function updateAlertMessage(
  deps: ConnectorDeps,
  msg: { channel: string; ts: string; text: string; blocks: Block[] },
): Promise<SlackResult> {
  // https://docs.slack.dev/reference/methods/chat.update
  const reply = await callSlack(deps, "chat.update", { ...msg });
  return toResult(reply);
}

function toResult(reply: SlackReply): SlackResult {
  if (!reply.ok) return { ok: false, ...reply.failure };
  const posted = postedMessageSchema.safeParse(reply.data);
  return posted.success
    ? { ok: true, ...posted.data }
    : { ok: false, status: "retry", error: "Slack answered ok without channel and ts" };
}

const lookupSchema = z.looseObject({ user: z.looseObject({ id: z.string() }) });

/** The owner's Slack id, or undefined when the lookup fails for any reason: the alert goes out anyway. */
async function lookupSlackUser(deps: ConnectorDeps, email: string | undefined): Promise<string | undefined> {
  if (!email) return undefined;
  // https://docs.slack.dev/reference/methods/users.lookupByEmail
  const reply = await callSlack(deps, "users.lookupByEmail", { email }, "GET");
  return reply.ok ? lookupSchema.safeParse(reply.data).data?.user.id : undefined;
}

async function sendAlert(a: OutboxAction<AlertPayload>, deps: ConnectorDeps): Promise<SlackResult> {
  const ownerEmail = a.payload.ownerEmail ?? (await hubspotOwnerEmail(deps, a.payload.hubspotOwnerId));
  const ownerSlackId = await lookupSlackUser(deps, ownerEmail);
  const message = buildAlertMessage(a.payload, {
    actionId: a.id,
    channel: deps.cfg.SLACK_ALERT_CHANNEL ?? "",
    now: deps.now(),
    ...(ownerSlackId ? { ownerSlackId } : {}),
    ...(deps.cfg.HUBSPOT_PORTAL_ID ? { hubspotPortalId: deps.cfg.HUBSPOT_PORTAL_ID } : {}),
  });
  return postMessage(deps, message);
}

/**
 * Threads under the alert when its {channel, ts} is known. An alert that was never delivered (or a
 * store without the lookup hook) leaves the recovery as a top-level post in the alert channel.
 */
async function sendRecovery(a: OutboxAction<RecoveryPayload>, deps: ConnectorDeps): Promise<SlackResult> {
  const alert = postedMessageSchema.safeParse(await deps.lookupResult?.(a.payload.alertActionId)).data;
  const channel = alert?.channel ?? deps.cfg.SLACK_ALERT_CHANNEL ?? "";
  return postMessage(deps, buildRecoveryMessage(a.payload, { channel, ...(alert ? { threadTs: alert.ts } : {}) }));
}

async function sendOne(a: OutboxAction, deps: ConnectorDeps): Promise<DeliveryOutcome> {
  const p = a.payload;
  let r: SlackResult;
  if (p.type === "slack.alert") r = await sendAlert({ ...a, payload: p }, deps);
  else if (p.type === "slack.recovery") r = await sendRecovery({ ...a, payload: p }, deps);
  else return { id: a.id, status: "permanent", error: `Slack cannot deliver ${p.type}` };
  if (r.ok) return { id: a.id, status: "delivered", result: { channel: r.channel, ts: r.ts } };
  const { ok: _ok, ...failure } = r;
  return { id: a.id, ...failure };
}

/** Slack: alerts and recoveries, one chat.postMessage each, in order. */
export const slackConnector: Connector = {
  destination: "slack",
  maxBatch: 1,
  disabledReason(cfg: Config) {
    if (!cfg.SLACK_BOT_TOKEN) return "SLACK_BOT_TOKEN is not set";
    return cfg.SLACK_ALERT_CHANNEL ? null : "SLACK_ALERT_CHANNEL is not set";
  },
  async deliver(actions: OutboxAction[], deps: ConnectorDeps): Promise<DeliveryOutcome[]> {
    const outcomes: DeliveryOutcome[] = [];
    let limited: DeliveryOutcome | undefined;
    for (const a of actions) {
      // After a 429 the channel stays limited; the rest wait for the same Retry-After.
      if (limited?.status === "retry") {
        outcomes.push({ ...limited, id: a.id, error: `not sent: ${limited.error}` });
        continue;
      }
      const outcome = await sendOne(a, deps);
      if (outcome.status === "retry" && outcome.retryAfterMs !== undefined) limited = outcome;
      outcomes.push(outcome);
    }
    return outcomes;
  },
};
