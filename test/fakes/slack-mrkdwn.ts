/**
 * What Slack's mrkdwn parser acts on: every `<…>` sequence in the raw text is a control sequence (a
 * broadcast `<!here>`, a mention `<@U…>`, a channel `<#C…>`, a date `<!date^…>`, or a link `<url|label>`),
 * while `&lt;`, `&gt;` and `&amp;` are shown as the characters they stand for.
 * https://docs.slack.dev/messaging/formatting-message-text
 */
export function slackControls(text: string): string[] {
  return text.match(/<[^<>]*>/g) ?? [];
}

/** The text a reader sees for plain (non-control) parts: Slack decodes its three entities. */
export function slackDisplayText(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
