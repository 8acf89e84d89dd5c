/**
 * The few Block Kit shapes Tenure sends, with the limits Slack enforces (it answers
 * `invalid_blocks` past any of them). https://docs.slack.dev/reference/block-kit/blocks
 */
export const LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  id: 255,
  contextElements: 10,
  /** Top-level `text`: Slack truncates past 40,000; a notification never needs that much. */
  fallbackText: 3000,
} as const;

export interface PlainText {
  type: "plain_text";
  text: string;
  emoji?: boolean;
}
export interface Mrkdwn {
  type: "mrkdwn";
  text: string;
}
export interface Button {
  type: "button";
  action_id: string;
  text: PlainText;
  value?: string;
  style?: "primary" | "danger";
}
export type Block =
  | { type: "header"; text: PlainText }
  | { type: "section"; text?: Mrkdwn; fields?: Mrkdwn[]; block_id?: string }
  | { type: "context"; elements: Mrkdwn[] }
  | { type: "actions"; block_id?: string; elements: Button[] };

export interface SlackMessage {
  channel: string;
  text: string;
  blocks: Block[];
  thread_ts?: string;
  unfurl_links?: boolean;
  /** https://docs.slack.dev/messaging/message-metadata: lets Tenure find its own post again. */
  metadata?: { event_type: string; event_payload: Record<string, string> };
}

/** Cuts to `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** Slack's three control characters in mrkdwn: https://docs.slack.dev/messaging/formatting-message-text#escaping */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export const header = (text: string): Block => ({
  type: "header",
  text: { type: "plain_text", text: truncate(text, LIMITS.headerText), emoji: true },
});

export const section = (text: string, fields?: string[]): Block => ({
  type: "section",
  text: { type: "mrkdwn", text: truncate(text, LIMITS.sectionText) },
  ...(fields?.length
    ? { fields: fields.slice(0, LIMITS.fields).map((f) => ({ type: "mrkdwn", text: truncate(f, LIMITS.fieldText) })) }
    : {}),
});

export const context = (texts: string[]): Block => ({
  type: "context",
  elements: texts.slice(0, LIMITS.contextElements).map((t) => ({ type: "mrkdwn", text: truncate(t, LIMITS.fieldText) })),
});

export const button = (actionId: string, text: string, value: string, style?: "primary" | "danger"): Button => ({
  type: "button",
  action_id: truncate(actionId, LIMITS.id),
  text: { type: "plain_text", text: truncate(text, LIMITS.buttonText), emoji: true },
  value: truncate(value, LIMITS.buttonValue),
  ...(style ? { style } : {}),
});

/** Keeps a message inside the 50-block limit. */
export function capBlocks(blocks: Block[]): Block[] {
  return blocks.slice(0, LIMITS.blocks);
}
