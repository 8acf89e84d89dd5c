import { isoTime } from "../../src/core/time";
import { context, type Block } from "./blocks";
import { decodeMrkdwn, joinMrkdwn, mention, mrkdwn, slackDate, textOf, truncateMrkdwn, type Mrkdwn } from "./mrkdwn";

/** Cut like an alert's notification text: a reply is read in a small ephemeral box. */
const REPLY_MAX = 3000;

export interface EphemeralReply {
  response_type: "ephemeral";
  text: string;
}

/** A reply only the person who ran the command sees. https://docs.slack.dev/interactivity/implementing-slash-commands */
export function ephemeral(text: Mrkdwn): EphemeralReply {
  return { response_type: "ephemeral", text: textOf(truncateMrkdwn(text, REPLY_MAX)) };
}

/** One customer as the `/health` command shows it. */
export interface HealthLine {
  id: string;
  name: string | null;
  domain: string | null;
  score: number | null;
  band: string | null;
  stage: string | null;
  drivers: string | null;
}

/** `/health <query>`: one line per matching customer, with its top drivers (which quote NPS comments). */
export function buildHealthReply(query: string, found: HealthLine[]): EphemeralReply {
  if (!query) return ephemeral(mrkdwn`Usage: /health <domain or company name>`);
  if (found.length === 0) return ephemeral(mrkdwn`No customer matches "${query}".`);
  const lines = found.map(
    (f) =>
      mrkdwn`*${f.name ?? f.domain ?? f.id}*: health *${f.score ?? "?"}* (${f.band ?? "unscored"}), stage ${f.stage ?? "?"}${f.drivers ? mrkdwn` · ${f.drivers}` : ""}`,
  );
  return ephemeral(joinMrkdwn(lines, "\n"));
}

/** Who answered an alert: a Slack user (mentioned) or a dashboard user (named). */
export type Responder = { slackUserId: string } | { name: string };

export interface AlertResponse {
  by: Responder;
  /** Set for a snooze: when the alert wakes up again. */
  snoozedUntil: number | null;
}

/** After Acknowledge or Snooze: the alert's notification text with the outcome, and a context line saying who. */
export function buildResponseUpdate(previousText: string | undefined, r: AlertResponse) {
  const who = "slackUserId" in r.by ? mention(r.by.slackUserId) : mrkdwn`${r.by.name}`;
  const snoozed = r.snoozedUntil !== null;
  return {
    text: mrkdwn`${decodeMrkdwn(previousText ?? "Alert")} (${snoozed ? "snoozed" : "acknowledged"})`,
    note: context([
      r.snoozedUntil !== null
        ? mrkdwn`:zzz: Snoozed until ${slackDate(r.snoozedUntil / 1000, "{date_short_pretty}", isoTime(r.snoozedUntil)?.slice(0, 10) ?? "later")} by ${who}`
        : mrkdwn`:white_check_mark: Acknowledged by ${who}`,
    ]),
  };
}

/**
 * The alert as it reads once answered: its blocks without the buttons, plus who answered. The Slack button
 * path passes the blocks Slack sent back (already escaped); the dashboard path passes the rebuilt alert.
 */
export function buildRespondedMessage(blocks: Block[], previousText: string | undefined, r: AlertResponse): { text: Mrkdwn; blocks: Block[] } {
  const update = buildResponseUpdate(previousText, r);
  return { text: update.text, blocks: [...blocks.filter((b) => b.type !== "actions"), update.note] };
}
