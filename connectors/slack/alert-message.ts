import type { ActionPayload } from "../../src/core/actions";
import { isoTime } from "../../src/core/time";
import { button, capBlocks, context, header, LIMITS, section, slackMessage, truncate, type Block, type SlackMessage } from "./blocks";
import { joinMrkdwn, link, mention, mrkdwn, slackDate, type Mrkdwn } from "./mrkdwn";

export type AlertPayload = Extract<ActionPayload, { type: "slack.alert" }>;
export type RecoveryPayload = Extract<ActionPayload, { type: "slack.recovery" }>;
export type AlertUpdatePayload = Extract<ActionPayload, { type: "slack.alert_update" }>;

export interface AlertOptions {
  /** The outbox action id: the buttons carry it back so a click finds its alert. */
  actionId: string;
  channel: string;
  now: number;
  /** Slack user id of the account owner, when their email matched a Slack user. */
  ownerSlackId?: string;
  hubspotPortalId?: string;
}

export const ACK_ACTION_ID = "ack_alert";
export const SNOOZE_ACTION_ID = "snooze_alert";
const MAX_DRIVERS = 5;
const DAY = 86_400_000;

const TITLES: Record<AlertPayload["rule"], string> = {
  entered_red: "Account entered red",
  score_drop: "Health score dropped",
  first_value_missed: "First value not reached",
  cancel_scheduled: "Cancellation scheduled",
  payment_failed: "Payment failed",
  trial_ending_no_payment_method: "Trial ending without a payment method",
};

const BAND_EMOJI = { green: ":large_green_circle:", yellow: ":large_yellow_circle:", red: ":red_circle:" } as const;

/** Builds the alert: header, score change, facts, top drivers, HubSpot link, Acknowledge / Snooze. */
export function buildAlertMessage(p: AlertPayload, opts: AlertOptions): SlackMessage {
  const title = mrkdwn`${TITLES[p.rule]}: ${p.customerName}`;
  const was = p.previousScore === null ? mrkdwn`` : mrkdwn` (was ${p.previousScore}${p.previousBand ? `, ${p.previousBand}` : ""})`;
  const blocks: Block[] = [
    header(mrkdwn`${BAND_EMOJI[p.band]} ${title}`),
    section(mrkdwn`*${p.customerName}*: health *${p.score}* ${BAND_EMOJI[p.band]} ${p.band}${was}\n${p.summary}`, [
      mrkdwn`*MRR*\n${formatMoney(p.mrr, p.currency)}/mo`,
      mrkdwn`*Renewal*\n${formatRenewal(p.renewalDate, opts.now)}`,
      mrkdwn`*Owner*\n${owner(p.ownerEmail, opts.ownerSlackId)}`,
    ]),
  ];
  const drivers = p.drivers.slice(0, MAX_DRIVERS);
  if (drivers.length > 0) {
    const lines = drivers.map((d) => mrkdwn`• ${d.detail || d.factor} (${signed(d.impact)})`);
    blocks.push(section(mrkdwn`*Top drivers*\n${joinMrkdwn(lines, "\n")}`));
  }
  const hubspot = hubspotLink(opts.hubspotPortalId, p.hubspotCompanyId);
  blocks.push(context([...(hubspot ? [link(hubspot, "Open in HubSpot")] : []), mrkdwn`Tenure rule \`${p.rule}\``]));
  blocks.push({
    type: "actions",
    block_id: truncate(`tenure_alert:${opts.actionId}`, LIMITS.id),
    elements: [
      button(ACK_ACTION_ID, "Acknowledge", opts.actionId, "primary"),
      button(SNOOZE_ACTION_ID, "Snooze 7 days", opts.actionId),
    ],
  });
  return slackMessage({
    channel: opts.channel,
    text: mrkdwn`${title}, health ${p.score} (${p.band})${was}`,
    blocks: capBlocks(blocks),
    unfurl_links: false,
  });
}

/** A short reply in the alert's thread when the customer is healthy again. */
export function buildRecoveryMessage(p: RecoveryPayload, opts: { channel: string; threadTs?: string }): SlackMessage {
  return slackMessage({
    channel: opts.channel,
    text: mrkdwn`${p.customerName} recovered: health is back to ${p.score}`,
    blocks: [section(mrkdwn`:white_check_mark: *${p.customerName}* recovered: health is back to *${p.score}*.`)],
    ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
  });
}

export function hubspotLink(portalId: string | undefined, companyId: string | undefined): string | undefined {
  if (!portalId || !companyId) return undefined;
  return `https://app.hubspot.com/contacts/${encodeURIComponent(portalId)}/company/${encodeURIComponent(companyId)}`;
}

function owner(email: string | undefined, slackId: string | undefined): Mrkdwn {
  if (slackId) return mention(slackId);
  return mrkdwn`${email || "Unassigned"}`;
}

const signed = (n: number) => `${n > 0 ? "+" : n < 0 ? "−" : ""}${Math.abs(Math.round(n * 10) / 10)}`;

/** Minor units to a display amount, honouring zero-decimal currencies (JPY) via Intl. */
export function formatMoney(minor: number, currency = "usd"): string {
  try {
    const fmt = new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase() });
    return fmt.format(minor / 10 ** (fmt.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

/** Slack renders `<!date^…>` in the reader's time zone; the text after `|` is the fallback. */
function formatRenewal(at: number | null, now: number): Mrkdwn {
  if (at === null) return mrkdwn`None scheduled`;
  const iso = isoTime(at)?.slice(0, 10);
  if (iso === undefined) return mrkdwn`${at} (not a date)`;
  const days = Math.round((at - now) / DAY);
  const rel = days === 0 ? "today" : days > 0 ? `in ${days} days` : `${-days} days ago`;
  return mrkdwn`${slackDate(at / 1000, "{date_short_pretty}", iso)} (${rel})`;
}
