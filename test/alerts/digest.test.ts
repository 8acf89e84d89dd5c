import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { listAlerts } from "../../src/store/alert-list";
import { login, post } from "../dashboard/seed";
import { slackControls, slackDisplayText } from "../fakes/slack-mrkdwn";
import { alert, T0, useOutbox, type OutboxHarness } from "../outbox/harness";
import { capturingQueue, jobHarness, runPages } from "../support/jobs";

/** The daily digest: alerts held instead of posted, then one digest per recipient from the paged job. */
const harness = useOutbox();
const HOUR = 3_600_000;
const DIGEST = { enabled: true, hourUtc: new Date(T0).getUTCHours() };
const ROUTING = { owners: { "71002": "C0OWNER" } };
const config = (digest: object) => JSON.stringify({ alerts: { digest, routing: ROUTING } });

function useConfig(h: OutboxHarness, digest: object) {
  h.deps.cfg = { ...h.cfg, TENURE_CONFIG: config(digest) };
  h.fakes.slack.channels.set("C0OWNER", { name: "ana-accounts", member: true });
}

const posts = (h: OutboxHarness) => h.fakes.slack.requests.filter((r) => r.path.endsWith("/chat.postMessage"));

/** Inserts alerts and lets the outbox take each (one Slack row per delivery). */
async function deliverAlerts(h: OutboxHarness, ids: string[], over: (id: string) => Record<string, unknown> = () => ({})) {
  await h.insert(ids.map((id) => alert(id, over(id))));
  for (const id of ids) await h.deliver("slack", [id]);
}

/** The hourly cron at `at`, then every digest page it started; returns the digest actions it planned. */
async function runHourly(at: number) {
  const h = jobHarness({ vars: { TENURE_CONFIG: config(DIGEST) } });
  const actions = capturingQueue();
  (h.env as unknown as { ACTIONS: Queue<unknown> }).ACTIONS = actions;
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ cron: "7 * * * *", scheduledTime: at }), h.env as never, ctx);
  await waitOnExecutionContext(ctx);
  const started = h.events.sent.splice(0).filter((b) => (b as { job?: string }).job === "digest");
  const runs = await runPages(h, started, { follow: (b) => (b as { job?: string }).job === "digest" });
  expect(runs.every((r) => r.acked && !r.retried)).toBe(true);
  return { started, ids: actions.sent.map((m) => (m as { actionId: string }).actionId) };
}

describe("digest off", () => {
  it("each alert is posted on its own", async () => {
    const h = harness();
    useConfig(h, { enabled: false });
    await deliverAlerts(h, ["off1"]);
    h.clock.advance(2_000);
    await deliverAlerts(h, ["off2"]);
    expect([(await h.row("off1")).status, (await h.row("off2")).status]).toEqual(["delivered", "delivered"]);
    expect(h.fakes.slack.inChannel("C0ALERTS")).toHaveLength(2);
  });
});

describe("digest on", () => {
  it("alerts are recorded but not posted; the Alerts page lists them and acknowledge works without a Slack update", async () => {
    const h = harness();
    useConfig(h, DIGEST);
    await deliverAlerts(h, ["held1", "held2"]);
    expect(posts(h)).toHaveLength(0);
    const row = await h.row("held1");
    expect(row.status).toBe("skipped");
    expect(JSON.parse(row.result!)).toEqual({ heldFor: "digest" });
    const { rows } = await listAlerts(env.DB, { offset: 0, limit: 50 }, T0);
    expect(rows.filter((r) => r.id.startsWith("held")).map((r) => [r.status, r.deliveredTo])).toEqual([
      ["open", "held for the daily digest"],
      ["open", "held for the daily digest"],
    ]);

    const session = await login();
    const res = await post("/alerts/held1/acknowledge", session.cookie, { _csrf: session.csrf });
    expect(res.status).toBe(303);
    expect(await env.DB.prepare(`SELECT status FROM alert_states WHERE action_id = 'held1'`).first("status")).toBe("acknowledged");
    expect(await env.DB.prepare(`SELECT count(*) AS n FROM outbox WHERE type = 'slack.alert_update'`).first("n")).toBe(0);
  });

  it("the hourly cron starts the digest only in its hour, and it posts one digest per recipient with escaped names", async () => {
    const h = harness();
    useConfig(h, DIGEST);
    await deliverAlerts(h, ["d1", "d2", "d3"], (id) =>
      id === "d3" ? { customerName: "Acme <!channel> & Co", hubspotOwnerId: "71002" } : { customerName: `Beta & ${id}` },
    );
    expect((await runHourly(T0 + 2 * HOUR)).started).toHaveLength(0);

    const { ids } = await runHourly(T0 + 60_000);
    expect(ids).toHaveLength(2);
    h.clock.advance(2 * 60_000);
    for (const id of ids) await h.deliver("slack", [id]);
    expect(posts(h)).toHaveLength(2);
    const [owner] = h.fakes.slack.inChannel("C0OWNER");
    const [fallback] = h.fakes.slack.inChannel("C0ALERTS");
    const ownerText = JSON.stringify(owner!.blocks);
    expect(ownerText).toContain("Acme &lt;!channel&gt; &amp; Co");
    expect(ownerText).not.toContain("Beta");
    for (const block of owner!.blocks as { text?: { type: string; text: string } }[]) {
      if (block.text?.type === "mrkdwn") expect(slackControls(block.text.text).every((c) => !c.startsWith("<!channel"))).toBe(true);
    }
    expect(slackDisplayText(JSON.stringify(fallback!.blocks))).toContain("Beta & d1");
    expect(JSON.stringify(fallback!.blocks)).toContain("entered red");
    expect(JSON.stringify(fallback!.blocks)).toContain("card declined twice");
    expect(JSON.stringify(fallback!.blocks)).toContain("https://tenure.example.com/customers/cu_d1");
    expect(JSON.parse((await h.row("d3")).result!)).toEqual({ heldFor: "digest", digest: ids.find((i) => i.includes("d3")) });
    expect(JSON.parse((await h.row(ids.find((i) => i.includes("d3"))!)).result!)).toMatchObject({ channel: "C0OWNER", route: "owner_channel" });

    // The same day's run again finds nothing new to list.
    expect((await runHourly(T0 + 61_000)).ids).toHaveLength(0);
  });

  it("a long digest is split into messages inside Slack's 50 blocks", async () => {
    const h = harness();
    useConfig(h, DIGEST);
    const ids = Array.from({ length: 50 }, (_, i) => `long${String(i).padStart(2, "0")}`);
    await deliverAlerts(h, ids);
    const planned = await runHourly(T0 + 60_000);
    expect(planned.ids).toHaveLength(2);
    h.clock.advance(60_000);
    for (const id of planned.ids) {
      h.clock.advance(2_000);
      await h.deliver("slack", [id]);
      expect((await h.row(id)).status).toBe("delivered");
    }
    const messages = h.fakes.slack.inChannel("C0ALERTS");
    expect(messages).toHaveLength(2);
    expect(messages.map((m) => (m.blocks ?? []).length)).toEqual([47, 7]);
    expect(messages.map((m) => m.text)).toEqual([expect.stringContaining("(1 of 2): 45 alerts"), expect.stringContaining("(2 of 2): 5 alerts")]);
    const listed = messages.flatMap((m) => [...JSON.stringify(m.blocks).matchAll(/Customer long\d\d/g)].map((x) => x[0]));
    expect(new Set(listed).size).toBe(50);
  });
});
