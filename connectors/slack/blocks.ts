import { textOf, truncateMrkdwn, type Mrkdwn } from "./mrkdwn";

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
export interface MrkdwnObject {
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
  | { type: "section"; text?: MrkdwnObject; fields?: MrkdwnObject[]; block_id?: string }
  | { type: "context"; elements: MrkdwnObject[] }
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

const mrkdwnObject = (text: Mrkdwn, max: number): MrkdwnObject => ({ type: "mrkdwn", text: textOf(truncateMrkdwn(text, max)) });

/** plain_text is not parsed for mentions or links, but Slack still decodes the three entities in it. */
export const header = (text: Mrkdwn): Block => ({
  type: "header",
  text: { type: "plain_text", text: textOf(truncateMrkdwn(text, LIMITS.headerText)), emoji: true },
});

export const section = (text: Mrkdwn, fields?: Mrkdwn[]): Block => ({
  type: "section",
  text: mrkdwnObject(text, LIMITS.sectionText),
  ...(fields?.length ? { fields: fields.slice(0, LIMITS.fields).map((f) => mrkdwnObject(f, LIMITS.fieldText)) } : {}),
});

export const context = (texts: Mrkdwn[]): Block => ({
  type: "context",
  elements: texts.slice(0, LIMITS.contextElements).map((t) => mrkdwnObject(t, LIMITS.fieldText)),
});

/** A message for chat.postMessage: its notification `text` is mrkdwn too, so it is built the same way. */
export function slackMessage(m: Omit<SlackMessage, "text"> & { text: Mrkdwn }): SlackMessage {
  return { ...m, text: textOf(truncateMrkdwn(m.text, LIMITS.fallbackText)) };
}

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
