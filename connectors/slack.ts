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
import { buildAlertMessage, buildRecoveryMessage, type AlertPayload, type AlertUpdatePayload, type RecoveryPayload } from "./slack/alert-message";
import { buildRespondedMessage } from "./slack/replies";
import { callSlack, type SlackFailure, type SlackReply } from "./slack/api";
import { log } from "../src/log";
import { LIMITS, type Block, type SlackMessage } from "./slack/blocks";
import { textOf, truncateMrkdwn, type Mrkdwn } from "./slack/mrkdwn";
import { alertRoutes } from "../src/core/alert-routing";
import { buildDigestMessage, type DigestPayload } from "./slack/digest-message";
import { lookupSlackUser, postRouted, routingOf, type RoutedResult, type SlackUser } from "./slack/route";

export { buildAlertMessage, buildRecoveryMessage, ACK_ACTION_ID, SNOOZE_ACTION_ID } from "./slack/alert-message";

/** What a delivered alert stores; a recovery later threads under it. */
export const postedMessageSchema = z.object({ channel: z.string(), ts: z.string() });
export type PostedMessage = z.infer<typeof postedMessageSchema>;

export type SlackResult = { ok: true; channel: string; ts: string } | ({ ok: false } & SlackFailure);

/** The message metadata every Tenure post carries: the outbox id that sent it. */
export const POST_EVENT_TYPE = "tenure_action";

// https://docs.slack.dev/reference/methods/chat.postMessage
async function postMessage(deps: ConnectorDeps, actionId: string, message: SlackMessage): Promise<SlackResult> {
  const reply = await callSlack(deps, "chat.postMessage", { ...message, metadata: { event_type: POST_EVENT_TYPE, event_payload: { action_id: actionId } } });
  return toResult(reply);
}

/** Rewrites a posted alert (after Acknowledge or Snooze). */
export async function updateAlertMessage(
  deps: ConnectorDeps,
  msg: { channel: string; ts: string; text: Mrkdwn; blocks: Block[] },
): Promise<SlackResult> {
  // https://docs.slack.dev/reference/methods/chat.update
  const reply = await callSlack(deps, "chat.update", { ...msg, text: textOf(truncateMrkdwn(msg.text, LIMITS.fallbackText)) });
  return toResult(reply);
}

function toResult(reply: SlackReply): SlackResult {
  if (!reply.ok) return { ok: false, ...reply.failure };
  const posted = postedMessageSchema.safeParse(reply.data);
  return posted.success
    ? { ok: true, ...posted.data }
    : { ok: false, status: "retry", error: "Slack answered ok without channel and ts" };
}

/** Looks each email up once per delivery: the mention and a DM route share the answer. */
function userLookups(deps: ConnectorDeps): (email: string) => Promise<SlackUser> {
  const seen = new Map<string, Promise<SlackUser>>();
  return (email) => {
    const key = email.toLowerCase();
    if (!seen.has(key)) seen.set(key, lookupSlackUser(deps, email));
    return seen.get(key)!;
  };
}

async function renderAlert(alert: AlertPayload, actionId: string, deps: ConnectorDeps, users = userLookups(deps)) {
  const ownerEmail = alert.ownerEmail ?? (await hubspotOwnerEmail(deps, alert.hubspotOwnerId));
  // A failed lookup costs the alert its mention, never the alert.
  const ownerSlackId = ownerEmail ? ((await users(ownerEmail)).id ?? undefined) : undefined;
  const message = buildAlertMessage(alert, {
    actionId,
    channel: routingOf(deps.cfg).fallback,
    now: deps.now(),
    ...(ownerSlackId ? { ownerSlackId } : {}),
    ...(deps.cfg.HUBSPOT_PORTAL_ID ? { hubspotPortalId: deps.cfg.HUBSPOT_PORTAL_ID } : {}),
  });
  return { message, ownerEmail };
}

/** The alert goes where routing says (src/core/alert-routing.ts); the result records which route it took. */
async function sendAlert(a: OutboxAction<AlertPayload>, deps: ConnectorDeps): Promise<RoutedResult> {
  const users = userLookups(deps);
  const { message, ownerEmail } = await renderAlert(a.payload, a.id, deps, users);
  const { routing, fallback } = routingOf(deps.cfg);
  const targets = alertRoutes({ hubspotOwnerId: a.payload.hubspotOwnerId, ownerEmail, segments: a.payload.segments }, routing, fallback);
  return postRouted(targets, users, (channel) => postMessage(deps, a.id, { ...message, channel }));
}

/** One message of the daily digest, to its recipient, else the fallback channel. */
async function sendDigest(a: OutboxAction<DigestPayload>, deps: ConnectorDeps): Promise<RoutedResult> {
  const { fallback } = routingOf(deps.cfg);
  const route = a.payload.route;
  const targets = route.kind !== "owner_dm" && route.channel === fallback ? [route] : [route, { kind: "fallback" as const, channel: fallback }];
  const message = buildDigestMessage(a.payload, { channel: fallback, ...(deps.cfg.PUBLIC_URL ? { publicUrl: deps.cfg.PUBLIC_URL } : {}), ...(deps.cfg.HUBSPOT_PORTAL_ID ? { hubspotPortalId: deps.cfg.HUBSPOT_PORTAL_ID } : {}) });
  return postRouted(targets, userLookups(deps), (channel) => postMessage(deps, a.id, { ...message, channel }));
}

/**
 * A dashboard acknowledge or snooze: the posted alert is rebuilt and answered exactly as a button click
 * answers it. chat.update sets the whole message, so a repeat of the same update changes nothing.
 */
async function sendAlertUpdate(a: OutboxAction<AlertUpdatePayload>, deps: ConnectorDeps): Promise<SlackResult> {
  const p = a.payload;
  const posted = postedMessageSchema.safeParse(await deps.lookupResult?.(p.alertActionId)).data;
  if (!posted) return { ok: false, status: "retry", error: "the alert is not posted in Slack yet" };
  const { message: alert } = await renderAlert(p.alert, p.alertActionId, deps);
  const answered = buildRespondedMessage(alert.blocks, alert.text, { by: { name: p.actor }, snoozedUntil: p.snoozedUntil });
  return updateAlertMessage(deps, { channel: posted.channel, ts: posted.ts, ...answered });
}

/**
 * Threads under the alert when its {channel, ts} is known. An alert that was never delivered (or a
 * store without the lookup hook) leaves the recovery as a top-level post in the alert channel.
 */
async function sendRecovery(a: OutboxAction<RecoveryPayload>, deps: ConnectorDeps): Promise<SlackResult> {
  const alert = postedMessageSchema.safeParse(await deps.lookupResult?.(a.payload.alertActionId)).data;
  const channel = alert?.channel ?? routingOf(deps.cfg).fallback;
  return postMessage(deps, a.id, buildRecoveryMessage(a.payload, { channel, ...(alert ? { threadTs: alert.ts } : {}) }));
}

async function sendOne(a: OutboxAction, deps: ConnectorDeps): Promise<DeliveryOutcome> {
  const p = a.payload;
  if (a.unconfirmed && (p.type === "slack.alert" || p.type === "slack.recovery")) {
    // Slack has no idempotency key: after an attempt that ended without an outcome, look for its post first.
    const where = p.type === "slack.recovery" ? postedMessageSchema.safeParse(await deps.lookupResult?.(p.alertActionId)).data : undefined;
    const found = await findEarlierPost(deps, a, where);
    if (found.status === "found") return { id: a.id, status: "delivered", result: { channel: found.channel, ts: found.ts } };
    if (found.status === "failed") return { id: a.id, ...found.failure };
  }
  let r: SlackResult | RoutedResult;
  if (p.type === "slack.alert") r = await sendAlert({ ...a, payload: p }, deps);
  else if (p.type === "slack.recovery") r = await sendRecovery({ ...a, payload: p }, deps);
  else if (p.type === "slack.alert_update") r = await sendAlertUpdate({ ...a, payload: p }, deps);
  else if (p.type === "slack.digest") r = await sendDigest({ ...a, payload: p }, deps);
  else return { id: a.id, status: "permanent", error: `Slack cannot deliver ${p.type}` };
  if (r.ok) {
    const { ok: _ok, ...result } = r;
    return { id: a.id, status: "delivered", result };
  }
  const { ok: _ok, ...failure } = r;
  return { id: a.id, ...failure };
}

type Search = { status: "found"; channel: string; ts: string } | { status: "absent" } | { status: "failed"; failure: SlackFailure };
const SEARCH_PAGES = 5;
const threadSchema = z.looseObject({
  messages: z.array(z.looseObject({ ts: z.string(), metadata: z.looseObject({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()) }).optional() })),
  response_metadata: z.looseObject({ next_cursor: z.string().optional() }).optional(),
});

/**
 * Looks for a post of this action (by its message metadata) since the action was created: the channel's
 * history for an alert, the alert's thread for a recovery. Needs channels:history (groups:history for a
 * private channel); without it the action is posted again, at most once more, and a warning says why.
 */
async function findEarlierPost(deps: ConnectorDeps, a: OutboxAction, thread: PostedMessage | undefined): Promise<Search> {
  const channel = thread?.channel ?? earlierPostChannel(deps, a);
  const oldest = String(Math.floor(((a.createdAt ?? deps.now()) - 60_000) / 1000));
  let cursor = "";
  for (let page = 0; page < SEARCH_PAGES; page++) {
    const args = thread
      ? { channel, ts: thread.ts, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) }
      : { channel, oldest, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) };
    // https://docs.slack.dev/reference/methods/conversations.history, .../conversations.replies
    const reply = await callSlack(deps, thread ? "conversations.replies" : "conversations.history", args, "GET");
    if (!reply.ok) {
      if (reply.failure.status === "retry") return { status: "failed", failure: reply.failure };
      log("warn", "cannot check Slack for an earlier post of this action; posting it again", { actionId: a.id, error: reply.failure.error });
      return { status: "absent" };
    }
    const parsed = threadSchema.safeParse(reply.data);
    if (!parsed.success) return { status: "failed", failure: { status: "retry", error: "Slack answered a history page without messages" } };
    const hit = parsed.data.messages.find((m) => m.metadata?.event_type === POST_EVENT_TYPE && m.metadata.event_payload.action_id === a.id);
    if (hit) return { status: "found", channel, ts: hit.ts };
    cursor = parsed.data.response_metadata?.next_cursor ?? "";
    if (!cursor) break;
  }
  return { status: "absent" };
}

/**
 * Where to look for an earlier post of a routed alert: its first channel target. A post that went to a DM or
 * fell back is not found there, and is posted again, at most once more.
 */
function earlierPostChannel(deps: ConnectorDeps, a: OutboxAction): string {
  const { routing, fallback } = routingOf(deps.cfg);
  if (a.payload.type !== "slack.alert") return fallback;
  const first = alertRoutes({ hubspotOwnerId: a.payload.hubspotOwnerId, ownerEmail: a.payload.ownerEmail, segments: a.payload.segments }, routing, fallback)[0]!;
  return first.kind === "owner_dm" ? fallback : first.channel;
}

/** Slack: alerts and recoveries, one chat.postMessage each, in order; dashboard answers as chat.update. */
export const slackConnector: Connector = {
  destination: "slack",
  maxBatch: 1,
  disabledReason(cfg: Config) {
    if (!cfg.SLACK_BOT_TOKEN) return "SLACK_BOT_TOKEN is not set";
    return routingOf(cfg).fallback ? null : "SLACK_ALERT_CHANNEL is not set";
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
