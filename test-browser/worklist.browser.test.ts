import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * A CSM's morning after `npm run demo`, in Debian's headless Chromium: the worklist's order, drivers, owner
 * names and coverage badges against what the API says, and one alert state on two surfaces (the dashboard
 * and the fake Slack). The demo runs as a user runs it, on its own ports, with fewer accounts to be quick.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const root = join(import.meta.dirname, "..");
// The demo's public values (scripts/demo/settings.ts).
const BASE = "http://127.0.0.1:8787";
const ADMIN_TOKEN = "demo-admin-token-0123456789";
const SLACK_SIGNING_SECRET = "demo-slack-signing-secret";
const SLACK_FAKE = "http://127.0.0.1:8791";
const OWNER_NAMES = ["Maya Chen", "Jonas Berg", "Priya Nair"];

type Driver = { factor: string; impact: number; detail: string };
type ApiCustomer = { id: string; mrr: number; stage: { current: string | null }; health: { score: number; band: string; coverage: number | null; drivers: Driver[] } | null };

/** The worklist's own rule (src/core/worklist.ts), restated: what hurts most first, else the largest effects. */
function topDrivers(drivers: Driver[], n = 2): Driver[] {
  const hurting = drivers.filter((d) => d.impact < 0).sort((a, b) => a.impact - b.impact);
  return (hurting.length > 0 ? hurting : [...drivers].sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact))).slice(0, n);
}

describe.skipIf(!hasChromium)("the worklist after the demo, in headless Chromium", () => {
  const shots = mkdtempSync(join(tmpdir(), "tenure-worklist-shots-"));
  let demo: ChildProcess;
  let output = "";
  let browser: Browser;
  let page: Page;

  const api = async (path: string, init: RequestInit = {}) =>
    (await fetch(`${BASE}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...init.headers } })).json() as Promise<any>;

  async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const v = await probe();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`timed out waiting for ${what}\n${output.slice(-3000)}`);
  }

  async function slackMessages(): Promise<{ channel: string; ts: string; text: string; blocks?: unknown[]; edited?: boolean; metadata?: unknown }[]> {
    return (await (await fetch(`${SLACK_FAKE}/__fakes/messages`)).json()).messages;
  }

  beforeAll(async () => {
    demo = spawn(process.execPath, ["scripts/demo/run.mjs", "--customers", "30", "--seed", "42"], { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    demo.stdout!.on("data", (c) => (output += c));
    demo.stderr!.on("data", (c) => (output += c));
    await until("the demo to finish its replay", async () => {
      if (demo.exitCode !== null) throw new Error(`the demo exited (${demo.exitCode}):\n${output}`);
      return output.includes("Serving the demo") ? true : undefined;
    }, 400_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(`${BASE}/`);
    await page.fill("#token", ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${BASE}/`), page.click("button[type=submit]")]);
  }, 420_000);

  afterAll(async () => {
    await browser?.close();
    if (demo?.pid && demo.exitCode === null) {
      const exited = new Promise((r) => demo.once("exit", r));
      process.kill(-demo.pid, "SIGINT");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (demo.exitCode === null) process.kill(-demo.pid, "SIGKILL");
    }
    console.log(`screenshots: ${shots}`);
  });

  it("ranks live red and yellow accounts by MRR at risk, with their drivers, owner names and coverage badges", async () => {
    const { customers } = (await api("/api/customers?limit=500")) as { customers: ApiCustomer[] };
    const atRisk = customers
      .filter((c) => c.health && c.stage.current !== "churned" && (c.health.band === "red" || c.health.band === "yellow"))
      .sort((a, b) => b.mrr * (100 - b.health!.score) - a.mrr * (100 - a.health!.score) || a.health!.score - b.health!.score || (a.id < b.id ? -1 : 1));
    expect(atRisk.length, "the demo has accounts at risk").toBeGreaterThan(2);
    await page.goto(`${BASE}/`);
    const rows = page.locator('table[data-list="attention"] tbody tr');
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.customer));
    expect(shown).toEqual(atRisk.slice(0, 50).map((c) => c.id));

    const byId = new Map(atRisk.map((c) => [c.id, c]));
    let named = 0;
    for (const tr of await rows.all()) {
      const c = byId.get((await tr.getAttribute("data-customer"))!)!;
      const cells = tr.locator("td");
      // Why: the top drivers in words, as the API explains the score.
      const why = (await cells.nth(2).innerText()).split("\n").filter(Boolean);
      expect(why).toEqual(topDrivers(c.health!.drivers).map((d) => d.detail));
      // Owner: a name from HubSpot's owners list, never a bare HubSpot id.
      const owner = (await cells.nth(4).innerText()).trim();
      expect(owner).not.toMatch(/^\d+$/);
      if (owner !== "–") (expect(OWNER_NAMES).toContain(owner), named++);
      // Coverage: a score on little data is marked tentative, any other shows its share.
      const tentative = await cells.nth(1).locator(".badge.tentative").count();
      expect(tentative, `${c.id} coverage ${c.health!.coverage}`).toBe(c.health!.coverage == null || c.health!.coverage < 0.5 ? 1 : 0);
      if (!tentative) expect(await cells.nth(1).innerText()).toContain(`${Math.round(c.health!.coverage! * 100)} % data`);
    }
    expect(named, "owners are named once HubSpot's owners list is read").toBeGreaterThan(0);
    await page.screenshot({ path: join(shots, "worklist.png"), fullPage: true });
    await page.locator('section[aria-label="Renewals"]').screenshot({ path: join(shots, "renewals.png") });
    await page.goto(`${BASE}/customers/${encodeURIComponent(atRisk[0]!.id)}`);
    expect(await page.locator('svg[data-chart="score-history"]').count()).toBe(1);
    await page.screenshot({ path: join(shots, "customer.png"), fullPage: true });
  });

  it("acknowledging in the dashboard rewrites the Slack message; a Slack click shows in the dashboard", async () => {
    const { actions } = await api("/api/actions?type=slack.alert&status=delivered&limit=100");
    expect(actions.length, "the demo posted alerts").toBeGreaterThanOrEqual(2);
    const [first, second] = actions as { id: string; result: { channel: string; ts: string } }[];

    // Dashboard → Slack.
    await page.goto(`${BASE}/alerts?status=open`);
    const row = page.locator(`tr[data-action-id="${first!.id}"]`);
    await Promise.all([page.waitForURL(/\/alerts/), row.getByRole("button", { name: "Acknowledge" }).click()]);
    const updated = await until("the Slack message to be rewritten", async () => {
      const m = (await slackMessages()).find((x) => x.channel === first!.result.channel && x.ts === first!.result.ts);
      return m?.edited ? m : undefined;
    });
    expect(updated.text).toContain("(acknowledged)");
    expect(JSON.stringify(updated.blocks)).toContain("Acknowledged by admin (token)");
    expect(JSON.stringify(updated.blocks)).not.toContain('"type":"actions"');
    await page.goto(`${BASE}/alerts?status=acknowledged`);
    expect(await page.locator(`tr[data-action-id="${first!.id}"] td[data-status]`).getAttribute("data-status")).toBe("acknowledged");

    // Slack → dashboard: the Acknowledge button, as Slack posts its click (signed with the signing secret).
    const message = (await slackMessages()).find((x) => x.channel === second!.result.channel && x.ts === second!.result.ts)!;
    const payload = { type: "block_actions", user: { id: "U0DEMOCSM" }, channel: { id: message.channel }, message: { ts: message.ts, text: message.text, blocks: message.blocks }, actions: [{ action_id: "ack_alert", value: second!.id }] };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const ts = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac("sha256", SLACK_SIGNING_SECRET).update(`v0:${ts}:${body}`).digest("hex")}`;
    const click = await fetch(`${BASE}/slack/events`, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": String(ts), "x-slack-signature": signature } });
    expect(click.status).toBe(200);
    await page.goto(`${BASE}/alerts?status=acknowledged`);
    const clicked = page.locator(`tr[data-action-id="${second!.id}"]`);
    expect(await clicked.locator("td[data-status]").getAttribute("data-status")).toBe("acknowledged");
    expect(await clicked.innerText()).toContain("by U0DEMOCSM (Slack)");
    await page.screenshot({ path: join(shots, "alerts.png"), fullPage: true });
  });
});
