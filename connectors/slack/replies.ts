import { context } from "./blocks";
import { decodeMrkdwn, joinMrkdwn, mention, mrkdwn, textOf, truncateMrkdwn, type Mrkdwn } from "./mrkdwn";

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

/** After Acknowledge or Snooze: the alert's notification text with the outcome, and a context line saying who. */
export function buildResponseUpdate(previousText: string | undefined, userId: string, snoozed: boolean) {
  const who = mention(userId);
  return {
    text: mrkdwn`${decodeMrkdwn(previousText ?? "Alert")} (${snoozed ? "snoozed" : "acknowledged"})`,
    note: context([snoozed ? mrkdwn`:zzz: Snoozed for 7 days by ${who}` : mrkdwn`:white_check_mark: Acknowledged by ${who}`]),
  };
}
