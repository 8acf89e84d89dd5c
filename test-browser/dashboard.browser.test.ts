import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeSlack } from "./fake-slack";
import { startWorker, type DevWorker } from "./worker";

/**
 * The dashboard in a real browser: `wrangler dev` with local D1 and queues, data from signed Stripe
 * webhooks, a fake Slack that first rejects the alert, and Debian's headless Chromium.
 */

/** Debian's package; CHROMIUM_PATH points elsewhere on other systems. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ADMIN_TOKEN = "browser-test-admin-token-0123";
const WEBHOOK_SECRET = "whsec_browser_test_secret";
const hasChromium = existsSync(CHROMIUM);
/** Locally a missing browser skips this file and says so; under CI=true it fails, so a green run always drove a browser. */
const inCI = /^(1|true)$/i.test(process.env.CI ?? "");
if (!hasChromium && !inCI) console.log(`skipped: chromium not installed (no ${CHROMIUM}; on Debian: apt-get install -y chromium)`);

describe.runIf(!hasChromium && inCI)("browser test under CI", () => {
  it("has Chromium to drive", () => {
    expect.fail(`CI=true but ${CHROMIUM} does not exist: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  });
});

const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, "..", "test", "fixtures", "stripe", `${name}.json`), "utf8"));

describe.skipIf(!hasChromium)("dashboard in headless Chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "tenure-browser-"));
  const shots = mkdtempSync(join(tmpdir(), "tenure-dashboard-shots-"));
  const slack = new FakeSlack();
  let worker: DevWorker;
  let browser: Browser;
  let page: Page;

  const api = async (path: string) => (await fetch(`${worker.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json() as Promise<any>;

  async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const v = await probe();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`timed out waiting for ${what}\n${worker.log().slice(-4000)}`);
  }

  async function postStripe(name: string, offsetS: number) {
    const ev = fixture(name);
    ev.created = Math.floor(Date.now() / 1000) - offsetS;
    const payload = JSON.stringify(ev);
    const header = await Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: WEBHOOK_SECRET });
    const res = await fetch(`${worker.url}/webhooks/stripe`, { method: "POST", body: payload, headers: { "stripe-signature": header, "content-type": "application/json" } });
    expect(res.status, `${name}: ${await res.clone().text()}`).toBe(200);
  }

  beforeAll(async () => {
    const slackBase = await slack.start();
    worker = await startWorker(dir, {
      ADMIN_TOKEN,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      SLACK_BOT_TOKEN: "xoxb-browser-test",
      SLACK_ALERT_CHANNEL: "C0BROWSER",
      SLACK_API_BASE: slackBase,
      SLACK_ALERT_SETTLE_MS: "0",
    });
    // Older facts first: the customer, its subscription and first invoice, then a failed renewal payment.
    await postStripe("customer.created", 300);
    await postStripe("customer.subscription.created", 240);
    await postStripe("invoice.paid.first", 180);
    await postStripe("invoice.payment_failed", 60);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await slack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs in with the admin token to the worklist, and the overview renders every chart as SVG", async () => {
    await until("the customer to be scored", async () => ((await api("/api/customers")).customers?.length ? true : undefined));
    await page.goto(`${worker.url}/`);
    await page.fill("#token", ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${worker.url}/`), page.click("button[type=submit]")]);
    // Home is the worklist; the charts are on the overview.
    expect(await page.locator("h1").textContent()).toBe("Worklist");
    await page.screenshot({ path: join(shots, "worklist.png"), fullPage: true });
    await page.goto(`${worker.url}/overview`);
    const charts = page.locator("svg.chart");
    expect(await charts.count()).toBeGreaterThanOrEqual(6);
    for (const svg of await charts.all()) {
      expect((await svg.locator("title").first().textContent())?.trim()).toBeTruthy();
      expect(await svg.locator("rect, path, circle, text").count()).toBeGreaterThan(0);
    }
    // The scored customer is drawn: one bar in its band, and a point on the portfolio score line.
    expect(await page.locator('svg[data-chart="health-distribution"] rect.bar').count()).toBe(4);
    expect(await page.locator('svg[data-chart="portfolio-score"] circle').count()).toBeGreaterThan(0);
    // Chromium keeps the __Host- Secure cookie from plain-http 127.0.0.1: a local host is a secure context.
    const cookie = (await page.context().cookies()).find((c) => c.name === "__Host-tenure_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
    expect(cookie.value).not.toContain(ADMIN_TOKEN);
    await page.screenshot({ path: join(shots, "overview.png"), fullPage: true });
    console.log(`screenshots: ${shots}`);
  });

  it("Retry re-queues a failed Slack alert, which then goes out", async () => {
    const alert = await until("the Slack alert to fail", async () => {
      const { actions } = await api("/api/actions?type=slack.alert&status=failed");
      return actions?.find((a: any) => String(a.id).startsWith("slack.alert:payment_failed:"));
    });
    expect(slack.posts.every((p) => !p.ok)).toBe(true);
    slack.channelExists = true;

    await page.goto(`${worker.url}/outbox`);
    const row = page.locator(`tr[data-action-id="${alert.id}"]`);
    expect(await row.getAttribute("data-status")).toBe("failed");
    await page.screenshot({ path: join(shots, "outbox.png"), fullPage: true });
    await Promise.all([page.waitForURL(/notice=requeued/), row.getByRole("button", { name: "Retry" }).click()]);
    expect(await page.locator("p.notice.ok").textContent()).toContain("re-queued");

    const delivered = await until("the re-queued alert to be delivered", async () => {
      const { actions } = await api(`/api/actions?type=slack.alert`);
      const a = actions?.find((x: any) => x.id === alert.id);
      return a?.status === "delivered" ? a : undefined;
    });
    expect(delivered.result).toMatchObject({ channel: "C0BROWSER" });
    expect(slack.posts.filter((p) => p.ok)).toHaveLength(1);
  });

  it("shows the customer page with its score history and actions", async () => {
    const { customers } = await api("/api/customers");
    await page.goto(`${worker.url}/customers/${encodeURIComponent(customers[0].id)}`);
    expect(await page.locator('svg[data-chart="score-history"]').count()).toBe(1);
    expect(await page.locator("tr[data-action-id]").count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(shots, "customer.png"), fullPage: true });
  });
});
