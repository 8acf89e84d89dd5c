import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeMrkdwn, joinMrkdwn, link, mention, mrkdwn, slackDate, textOf, truncateMrkdwn } from "../../connectors/slack/mrkdwn";
import { slackControls, slackDisplayText } from "../fakes/slack-mrkdwn";

describe("mrkdwn", () => {
  it("escapes every interpolated value and keeps the literal markup", () => {
    const name = "A & B <!channel>";
    expect(textOf(mrkdwn`*${name}* scored ${42}`)).toBe("*A &amp; B &lt;!channel&gt;* scored 42");
    expect(textOf(joinMrkdwn([mrkdwn`*a*`, "<b>"], " & "))).toBe("*a* &amp; &lt;b&gt;");
  });

  it("shows any string to the reader exactly as it was, with no control sequence (property)", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const text = textOf(mrkdwn`${s}`);
        expect(slackControls(text)).toEqual([]);
        expect(slackDisplayText(text)).toBe(s);
        expect(decodeMrkdwn(text)).toBe(s);
      }),
    );
  });

  it("builds links whose URL cannot end early and whose label is text", () => {
    const l = textOf(link("https://x.example/a|b>c?d=1&e=2", "<!here> & go"));
    expect(l).toBe("<https://x.example/a%7Cb%3Ec?d=1&amp;e=2|&lt;!here&gt; &amp; go>");
    expect(slackControls(l)).toEqual([l]);
  });

  it("mentions only a real user id", () => {
    expect(textOf(mention("U0ANA"))).toBe("<@U0ANA>");
    expect(textOf(mention("U1> <!channel"))).toBe("U1&gt; &lt;!channel");
  });

  it("never cuts inside an entity or a built link", () => {
    const m = mrkdwn`${"x".repeat(8)}${link("https://a.example", "label")}`;
    expect(textOf(truncateMrkdwn(m, 12))).toBe("xxxxxxxx…");
    expect(textOf(truncateMrkdwn(mrkdwn`${"abcdefg<"}`, 10))).toBe("abcdefg…");
    expect(textOf(truncateMrkdwn(mrkdwn`${"abc"}`, 5))).toBe("abc");
    expect(textOf(slackDate(1_700_000_000.9, "{date_short}|^", "2023-11-14"))).toBe("<!date^1700000000^{date_short}|2023-11-14>");
  });
});
