import type { ActionPayload } from "../../src/core/actions";
import { hubspotLink } from "./alert-message";
import { capBlocks, context, header, section, slackMessage, type Block, type SlackMessage } from "./blocks";
import { link, mrkdwn, type Mrkdwn } from "./mrkdwn";

export type DigestPayload = Extract<ActionPayload, { type: "slack.digest" }>;

/** Rules without words here read as their name. */
const RULE_WORDS: Partial<Record<DigestPayload["items"][number]["rule"], string>> = {
  entered_red: "entered red",
  score_drop: "score dropped",
  first_value_missed: "no first value",
  cancel_scheduled: "cancellation scheduled",
  payment_failed: "payment failed",
  trial_ending_no_payment_method: "trial ending, no payment method",
};

const BAND_EMOJI = { green: ":large_green_circle:", yellow: ":large_yellow_circle:", red: ":red_circle:" } as const;

/**
 * One message of the daily digest: a header, then one section per account (rule, score, top driver, links).
 * The payload holds at most DIGEST_MAX_ITEMS accounts, so the message stays inside Slack's 50 blocks, and
 * each section is cut to Slack's 3,000 characters by `section`. Every name and driver is escaped.
 */
export function buildDigestMessage(p: DigestPayload, opts: { channel: string; publicUrl?: string; hubspotPortalId?: string }): SlackMessage {
  const part = p.parts > 1 ? ` (${p.part} of ${p.parts})` : "";
  const count = `${p.items.length} alert${p.items.length === 1 ? "" : "s"}`;
  const blocks: Block[] = [header(mrkdwn`Tenure daily digest, ${p.day}${part}`), context([mrkdwn`${count} held for this digest; acknowledge or snooze them on the Alerts page.`])];
  for (const item of p.items) {
    const page = opts.publicUrl ? `${opts.publicUrl}/customers/${encodeURIComponent(item.customerId)}` : undefined;
    const name: Mrkdwn = page ? link(page, item.customerName) : mrkdwn`${item.customerName}`;
    const hubspot = hubspotLink(opts.hubspotPortalId, item.hubspotCompanyId);
    const driver = item.driver ? mrkdwn`\nTop driver: ${item.driver}` : mrkdwn``;
    const links = hubspot ? mrkdwn` · ${link(hubspot, "HubSpot")}` : mrkdwn``;
    blocks.push(section(mrkdwn`*${name}*: ${RULE_WORDS[item.rule] ?? item.rule.replace(/_/g, " ")} · health *${item.score}* ${BAND_EMOJI[item.band]} ${item.band}${links}${driver}`));
  }
  return slackMessage({ channel: opts.channel, text: mrkdwn`Tenure daily digest, ${p.day}${part}: ${count}`, blocks: capBlocks(blocks), unfurl_links: false });
}
