import { Hono } from "hono";
import { z } from "zod";
import { ACK_ACTION_ID, SNOOZE_ACTION_ID, updateAlertMessage } from "../../connectors/slack";
import { buildHealthReply, buildRespondedMessage } from "../../connectors/slack/replies";
import { verifySlackSignature } from "../../webhooks/slack-signature";
import { SignatureError } from "../../webhooks/signature";
import { readLimited } from "../body";
import { loadConfig, type Env } from "../env";
import { AppError } from "../errors";
import { errorFields, log } from "../log";
import { recordAlertResponse, findCustomersForSlash } from "../store/alerts";

export const slack = new Hono<{ Bindings: Env }>();

const SNOOZE_MS = 7 * 86_400_000;

const blockActionsSchema = z.looseObject({
  type: z.literal("block_actions"),
  user: z.looseObject({ id: z.string() }),
  channel: z.looseObject({ id: z.string() }).optional(),
  container: z.looseObject({ channel_id: z.string().optional(), message_ts: z.string().optional() }).optional(),
  message: z.looseObject({ ts: z.string(), text: z.string().optional(), blocks: z.array(z.looseObject({ type: z.string() })).optional() }).optional(),
  actions: z.array(z.looseObject({ action_id: z.string(), value: z.string().optional() })).min(1),
});

/**
 * Slack interactivity (Acknowledge / Snooze buttons) and the `/health` slash command. Verified with the
 * signing secret, answered within Slack's 3 seconds; the message update happens after the answer.
 */
slack.post("/events", async (c) => {
  const raw = await readLimited(c.req.raw, 256 * 1024);
  const form = new URLSearchParams(raw);
  if (form.get("ssl_check") === "1") return c.body(null, 200);
  const cfg = loadConfig(c.env);
  if (!cfg.SLACK_SIGNING_SECRET) throw new AppError(503, "source_not_configured", "Slack interactivity is disabled: set SLACK_SIGNING_SECRET.", { secret: "SLACK_SIGNING_SECRET" });
  try {
    await verifySlackSignature(raw, c.req.raw.headers, cfg.SLACK_SIGNING_SECRET, Date.now());
  } catch (err) {
    if (err instanceof SignatureError) throw new AppError(401, "invalid_signature", err.message, { reason: err.reason });
    throw err;
  }

  if (form.has("command")) {
    const text = (form.get("text") ?? "").trim();
    return c.json(buildHealthReply(text, text ? await findCustomersForSlash(c.env.DB, text) : []));
  }

  let payload: unknown;
  try {
    payload = JSON.parse(form.get("payload") ?? "");
  } catch {
    throw new AppError(400, "invalid_payload", "Expected a Slack interactivity `payload` form field or a slash command.");
  }
  const parsed = blockActionsSchema.safeParse(payload);
  if (!parsed.success) return c.body(null, 200); // other interaction types: acknowledged, nothing to do
  const p = parsed.data;
  const action = p.actions[0]!;
  if ((action.action_id !== ACK_ACTION_ID && action.action_id !== SNOOZE_ACTION_ID) || !action.value) return c.body(null, 200);

  const snooze = action.action_id === SNOOZE_ACTION_ID;
  const now = Date.now();
  const response = { by: { slackUserId: p.user.id }, snoozedUntil: snooze ? now + SNOOZE_MS : null };
  const known = await recordAlertResponse(c.env.DB, {
    actionId: action.value,
    activityId: crypto.randomUUID(),
    actor: p.user.id,
    surface: "slack",
    snoozedUntil: response.snoozedUntil,
    now,
  });
  if (!known) throw new AppError(404, "not_found", "That alert is not known to Tenure.");

  const channel = p.channel?.id ?? p.container?.channel_id;
  const ts = p.message?.ts ?? p.container?.message_ts;
  if (channel && ts && p.message?.blocks) {
    // The alert's own blocks come back from Slack as it stores them (already escaped); only the buttons go.
    const answered = buildRespondedMessage(p.message.blocks as never, p.message.text, response);
    c.executionCtx.waitUntil(
      updateAlertMessage({ cfg, fetch: (i, init) => fetch(i, init), now: Date.now }, { channel, ts, ...answered })
        .then((r) => {
          if (!r.ok) log("warn", "could not update the Slack alert", { actionId: action.value, error: r.error });
        })
        .catch((err: unknown) => log("warn", "could not update the Slack alert", { actionId: action.value, ...errorFields(err) })),
    );
  }
  return c.body(null, 200);
});
