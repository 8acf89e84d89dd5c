import { describe, expect, it } from "vitest";
import { FakeSlack } from "./slack";

const TOKEN = "xoxb-test";
const T0 = Date.UTC(2026, 9, 1, 12);

function setup() {
  let t = T0;
  const fake = new FakeSlack({
    token: TOKEN,
    now: () => t,
    channels: { C0ALERTS: { name: "alerts" }, C0OTHER: { name: "other", member: false } },
    users: { "ana@example.com": "U0ANA" },
  });
  const call = async (method: string, args: Record<string, unknown>, opts: { token?: string; form?: boolean } = {}) => {
    const form = opts.form ?? false;
    const res = await fake.handle(
      new Request(`https://slack.fake/api/${method}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${opts.token ?? TOKEN}`,
          "content-type": form ? "application/x-www-form-urlencoded" : "application/json; charset=utf-8",
        },
        body: form
          ? new URLSearchParams(Object.entries(args).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])).toString()
          : JSON.stringify(args),
      }),
    );
    return { res, body: (await res.json()) as Record<string, any> };
  };
  return { fake, call, advance: (ms: number) => void (t += ms) };
}

describe("FakeSlack", () => {
  it("delivers a post to a user id into the bot's DM with them, as conversations.open names it; an unknown user is refused", async () => {
    const { call, fake } = setup();
    const opened = await call("conversations.open", { users: "U0ANA" });
    expect(opened.body).toEqual({ ok: true, channel: { id: "D0ANA" } });
    const posted = await call("chat.postMessage", { channel: "U0ANA", text: "hi" });
    expect(posted.body).toMatchObject({ ok: true, channel: "D0ANA" });
    const updated = await call("chat.update", { channel: "D0ANA", ts: posted.body.ts, text: "hi again" });
    expect(updated.body).toMatchObject({ ok: true, channel: "D0ANA" });
    expect(fake.inDm("U0ANA").map((m) => m.text)).toEqual(["hi again"]);
    expect((await call("chat.postMessage", { channel: "U0NOBODY", text: "hi" })).body).toEqual({ ok: false, error: "channel_not_found" });
    expect((await call("conversations.open", { users: "U0NOBODY" })).body).toEqual({ ok: false, error: "user_not_found" });
  });

  it("says ok:false with HTTP 200 for a bad token, an unknown channel, a channel the bot is not in", async () => {
    const { call, fake } = setup();
    const badToken = await call("chat.postMessage", { channel: "C0ALERTS", text: "hi" }, { token: "xoxb-wrong" });
    expect([badToken.res.status, badToken.body]).toEqual([200, { ok: false, error: "invalid_auth" }]);
    const unknown = await call("chat.postMessage", { channel: "C0NOPE", text: "hi" });
    expect([unknown.res.status, unknown.body]).toEqual([200, { ok: false, error: "channel_not_found" }]);
    const notIn = await call("chat.postMessage", { channel: "C0OTHER", text: "hi" });
    expect(notIn.body).toEqual({ ok: false, error: "not_in_channel" });
    expect(fake.messages).toHaveLength(0);
  });

  it("requires text or blocks, and stores messages with ts and thread_ts", async () => {
    const { call, fake, advance } = setup();
    expect((await call("chat.postMessage", { channel: "C0ALERTS" })).body).toEqual({ ok: false, error: "no_text" });
    const first = await call("chat.postMessage", { channel: "#alerts", text: "alert" });
    expect(first.body).toMatchObject({ ok: true, channel: "C0ALERTS" });
    advance(1_000);
    const reply = await call("chat.postMessage", { channel: "C0ALERTS", text: "better", thread_ts: first.body.ts }, { form: true });
    expect(reply.body.ok).toBe(true);
    expect(fake.inChannel("C0ALERTS")).toEqual([
      expect.objectContaining({ text: "alert", ts: first.body.ts }),
      expect.objectContaining({ text: "better", thread_ts: first.body.ts }),
    ]);
  });

  it("answers invalid_blocks for a header over 150 characters or more than 50 blocks", async () => {
    const { call, advance } = setup();
    const longHeader = [{ type: "header", text: { type: "plain_text", text: "x".repeat(151) } }];
    const res = await call("chat.postMessage", { channel: "C0ALERTS", text: "t", blocks: longHeader });
    expect(res.body).toMatchObject({ ok: false, error: "invalid_blocks" });
    expect(res.body.errors[0]).toContain("/blocks/0/text/text");
    advance(1_000);
    const many = Array.from({ length: 51 }, () => ({ type: "section", text: { type: "mrkdwn", text: "x" } }));
    expect((await call("chat.postMessage", { channel: "C0ALERTS", text: "t", blocks: many })).body.error).toBe("invalid_blocks");
    advance(1_000);
    const ok = [{ type: "header", text: { type: "plain_text", text: "x".repeat(150) } }];
    expect((await call("chat.postMessage", { channel: "C0ALERTS", text: "t", blocks: ok })).body.ok).toBe(true);
  });

  it("limits a channel to one message per second with HTTP 429 and Retry-After: 1", async () => {
    const { call, advance } = setup();
    expect((await call("chat.postMessage", { channel: "C0ALERTS", text: "1" })).body.ok).toBe(true);
    const limited = await call("chat.postMessage", { channel: "C0ALERTS", text: "2" });
    expect(limited.res.status).toBe(429);
    expect(limited.res.headers.get("retry-after")).toBe("1");
    expect(limited.body).toEqual({ ok: false, error: "ratelimited" });
    advance(1_000);
    expect((await call("chat.postMessage", { channel: "C0ALERTS", text: "3" })).body.ok).toBe(true);
  });

  it("looks users up by email and updates stored messages", async () => {
    const { call, fake } = setup();
    const found = await fake.handle(
      new Request("https://slack.fake/api/users.lookupByEmail?email=ana%40example.com", { headers: { authorization: `Bearer ${TOKEN}` } }),
    );
    expect(await found.json()).toMatchObject({ ok: true, user: { id: "U0ANA" } });
    expect((await call("users.lookupByEmail", { email: "bob@example.com" })).body).toEqual({ ok: false, error: "users_not_found" });
    const posted = await call("chat.postMessage", { channel: "C0ALERTS", text: "before" });
    expect((await call("chat.update", { channel: "C0ALERTS", ts: "1.000000", text: "x" })).body.error).toBe("message_not_found");
    const updated = await call("chat.update", { channel: "C0ALERTS", ts: posted.body.ts, text: "after" });
    expect(updated.body).toMatchObject({ ok: true, ts: posted.body.ts });
    expect(fake.messages[0]).toMatchObject({ text: "after", edited: true });
  });

  it("fails on demand with an HTTP error", async () => {
    const { call, fake } = setup();
    fake.failNext(1, 503);
    const res = await fake.handle(new Request("https://slack.fake/api/chat.postMessage", { method: "POST" }));
    expect(res.status).toBe(503);
    expect((await call("chat.postMessage", { channel: "C0ALERTS", text: "ok" })).body.ok).toBe(true);
  });
});
