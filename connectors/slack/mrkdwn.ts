/**
 * The one way Tenure writes Slack text. Every message field Slack parses (top-level `text`, mrkdwn blocks,
 * slash-command and interactivity replies) takes a `Mrkdwn`, and the only ways to make one escape whatever
 * they interpolate: a vendor-chosen name like `<!channel>` or `<https://evil|Click>` arrives as the text it is.
 * Markup Tenure means (links, mentions, dates) comes from the builders below, never from a plain string.
 * https://docs.slack.dev/messaging/formatting-message-text#escaping
 */
const SAFE: unique symbol = Symbol("mrkdwn");

export interface Mrkdwn {
  readonly [SAFE]: string;
}

export type Interpolation = Mrkdwn | string | number;

/** Slack's three control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const wrap = (text: string): Mrkdwn => ({ [SAFE]: text });
const isMrkdwn = (v: unknown): v is Mrkdwn => typeof v === "object" && v !== null && SAFE in v;
const piece = (v: Interpolation): string => (isMrkdwn(v) ? v[SAFE] : escapeMrkdwn(String(v)));

/** mrkdwn`*${name}* is at ${score}`: the literal parts are markup, every interpolated value is escaped text. */
export function mrkdwn(strings: TemplateStringsArray, ...values: Interpolation[]): Mrkdwn {
  return wrap(strings.reduce((out, s, i) => out + s + (i < values.length ? piece(values[i]!) : ""), ""));
}

/** Joins pieces with a separator that is itself escaped. */
export function joinMrkdwn(parts: Interpolation[], separator: string): Mrkdwn {
  return wrap(parts.map(piece).join(escapeMrkdwn(separator)));
}

/** `<url|label>`: the label is escaped, and `|` and `>` in the URL are percent-encoded so it cannot end early. */
export function link(url: string, label: Interpolation): Mrkdwn {
  const safeUrl = escapeMrkdwn(url.replace(/\|/g, "%7C").replace(/>/g, "%3E"));
  return wrap(`<${safeUrl}|${piece(label)}>`);
}

/** `<@U…>` for a real Slack user id; anything else is shown as the text it is. */
export function mention(userId: string): Mrkdwn {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? wrap(`<@${userId}>`) : mrkdwn`${userId}`;
}

/** `<!date^…|fallback>`: Slack renders the date in the reader's time zone, the fallback elsewhere. */
export function slackDate(epochSeconds: number, format: string, fallback: string): Mrkdwn {
  return wrap(`<!date^${Math.floor(epochSeconds)}^${escapeMrkdwn(format).replace(/[|^]/g, "")}|${escapeMrkdwn(fallback)}>`);
}

/** The text to put on the wire. */
export function textOf(m: Mrkdwn): string {
  return m[SAFE];
}

/**
 * Cuts to `max` characters with an ellipsis, never inside an entity (`&amp;`) or a `<…>` token Tenure built,
 * so a cut cannot leave half of a link or mention for Slack to misread.
 */
export function truncateMrkdwn(m: Mrkdwn, max: number): Mrkdwn {
  const chars = [...m[SAFE]];
  if (chars.length <= max) return m;
  let cut = chars.slice(0, max - 1).join("");
  const open = cut.lastIndexOf("<");
  if (open > cut.lastIndexOf(">")) cut = cut.slice(0, open);
  cut = cut.replace(/&[a-z#0-9]*$/i, "");
  return wrap(`${cut}…`);
}

/**
 * Text Slack sent back from a message Tenure posted (an interactivity payload's `message.text`): Slack holds it
 * escaped, so it is decoded to what a reader saw, to be escaped again wherever it is reused.
 */
export function decodeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
