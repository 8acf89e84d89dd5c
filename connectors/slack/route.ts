import { z } from "zod";
import { FALLBACK_ERRORS, type RouteRecord, type RouteTarget } from "../../src/core/alert-routing";
import type { AlertRouting } from "../../src/core/config";
import { tenureConfig } from "../../src/config";
import type { Config } from "../../src/env";
import type { ConnectorDeps } from "../connector";
import { callSlack, type SlackFailure } from "./api";

/** What a post answers: where it landed, or why not. */
export type PostResult = { ok: true; channel: string; ts: string } | ({ ok: false } & SlackFailure);
/** A delivered post, with the route it took unless that was simply the fallback channel (stored in the outbox row's result). */
export type RoutedResult = ({ ok: true; channel: string; ts: string } & Partial<RouteRecord>) | ({ ok: false } & SlackFailure);

/** The routing config and the channel everything falls back to (routing.fallbackChannel, else SLACK_ALERT_CHANNEL). */
export function routingOf(cfg: Config): { routing: AlertRouting; fallback: string } {
  const routing = tenureConfig(cfg.TENURE_CONFIG).alerts.routing;
  return { routing, fallback: routing.fallbackChannel ?? cfg.SLACK_ALERT_CHANNEL ?? "" };
}

export type SlackUser = { id: string } | { id: null; error: string } | { id: null; failure: SlackFailure };
const lookupSchema = z.looseObject({ user: z.looseObject({ id: z.string() }) });

/** The Slack user of an email: found, not a Slack user (`users_not_found`), or a failure worth a retry. */
export async function lookupSlackUser(deps: ConnectorDeps, email: string): Promise<SlackUser> {
  // https://docs.slack.dev/reference/methods/users.lookupByEmail
  const reply = await callSlack(deps, "users.lookupByEmail", { email }, "GET");
  if (!reply.ok) return reply.failure.status === "retry" ? { id: null, failure: reply.failure } : { id: null, error: codeOf(reply.failure.error) };
  const id = lookupSchema.safeParse(reply.data).data?.user.id;
  return id ? { id } : { id: null, error: "unreadable_user" };
}

/** Slack's error code out of "Slack chat.postMessage: channel_not_found". */
export function codeOf(error: string): string {
  return /: ([a-z_]+)$/.exec(error)?.[1] ?? error;
}

const fallsBack = (r: { status: string; error: string }) => r.status === "permanent" && (FALLBACK_ERRORS as readonly string[]).includes(codeOf(r.error));

/**
 * Posts to the first target that can take it; the last target is the fallback channel. An owner DM whose email
 * is no Slack user is passed over; a post refused for a reason a retry cannot fix (channel_not_found,
 * not_in_channel, ...) goes to the fallback channel, once. `user` resolves an owner's email (the caller caches it).
 * A DM is posted to the user id; Slack answers with the DM's own channel id, which later updates use.
 * https://docs.slack.dev/reference/methods/chat.postMessage (its channel may be a user id)
 */
export async function postRouted(
  targets: RouteTarget[],
  user: (email: string) => Promise<SlackUser>,
  post: (channel: string) => Promise<PostResult>,
): Promise<RoutedResult> {
  const fallback = targets[targets.length - 1]!;
  let passedOver: RouteRecord["fallbackFrom"];
  for (const t of targets) {
    let channel: string;
    if (t.kind === "owner_dm") {
      const u = await user(t.email);
      if ("failure" in u) return { ok: false, ...u.failure };
      if (u.id === null) {
        passedOver ??= { route: t.kind, target: t.email, error: u.error };
        continue;
      }
      channel = u.id;
    } else channel = t.channel;
    const r = await post(channel);
    // A plain post to the fallback channel stores what it always stored: {channel, ts}.
    if (r.ok) return passedOver ? { ...r, route: t.kind, fallbackFrom: passedOver } : t.kind === "fallback" ? r : { ...r, route: t.kind };
    if (t === fallback || fallback.kind === "owner_dm" || channel === fallback.channel || !fallsBack(r)) return r;
    const again = await post(fallback.channel);
    const from = { route: t.kind, target: t.kind === "owner_dm" ? t.email : t.channel, error: codeOf(r.error) };
    return again.ok ? { ...again, route: fallback.kind, fallbackFrom: from } : again;
  }
  return { ok: false, status: "permanent", error: "no Slack target to post to" };
}
