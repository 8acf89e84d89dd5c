import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type DevWorker } from "./worker";

/**
 * The Model page in a real browser against `wrangler dev` (local D1 and queues): create a version,
 * preview it, activate it (the re-score runs on the real local queue), and roll back.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ADMIN_TOKEN = "browser-model-admin-token-0123";
const WEBHOOK_SECRET = "whsec_browser_model_secret";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`skipped: chromium not installed (no ${CHROMIUM})`);

const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, "..", "test", "fixtures", "stripe", `${name}.json`), "utf8"));

describe.skipIf(!hasChromium)("the Model page in headless Chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "tenure-model-browser-"));
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
    expect(res.status).toBe(200);
  }

  const band = async () => (await api("/api/customers")).customers?.[0]?.health?.band as string | undefined;
  const alertCount = async () => ((await api("/api/actions?type=slack.alert")).actions ?? []).length as number;

  beforeAll(async () => {
    worker = await startWorker(dir, { ADMIN_TOKEN, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET });
    await postStripe("customer.created", 300);
    await postStripe("customer.subscription.created", 240);
    await postStripe("invoice.paid.first", 180);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("walks create → preview → activate → roll back", async () => {
    const before = await until("the customer to be scored", async () => {
      const b = await band();
      return b && b !== "red" ? b : undefined;
    });
    const alertsBefore = await alertCount();
    await page.goto(`${worker.url}/`);
    await page.fill("#token", ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${worker.url}/`), page.click("button[type=submit]")]);
    await page.goto(`${worker.url}/model`);
    expect(await page.locator("[data-active-version]").getAttribute("data-active-version")).toBe("default");

    await page.fill("textarea[name=model]", JSON.stringify({ bands: { red: 99, green: 100, hysteresis: 0 } }));
    await page.fill("input[name=note]", "everyone red");
    await page.getByRole("button", { name: "Create version" }).click();
    await page.waitForSelector("p.notice.ok");
    const { versions } = await api("/api/model/versions");
    const id = versions.at(-1).id as string;
    expect(id).toMatch(/^mv_/);

    await page.locator(`tr[data-version="${id}"]`).getByRole("button", { name: "Preview" }).click();
    await page.waitForSelector("[data-preview]");
    expect(await page.locator("[data-moved]").getAttribute("data-moved")).toBe("1");
    expect(await page.locator("[data-moves] tbody tr").count()).toBe(1);
    expect(await band()).toBe(before); // the preview changed nothing

    await Promise.all([page.waitForURL(/activated=/), page.locator("[data-preview]").getByRole("button", { name: `Activate ${id}` }).click()]);
    expect(await page.locator("[data-active-version]").getAttribute("data-active-version")).toBe(id);
    await until("the re-score to reach the customer", async () => ((await band()) === "red" ? true : undefined));
    expect(await alertCount()).toBe(alertsBefore);

    await Promise.all([page.waitForURL(/activated=default/), page.locator('tr[data-version="default"]').getByRole("button", { name: "Activate" }).click()]);
    expect(await page.locator("[data-active-version]").getAttribute("data-active-version")).toBe("default");
    await until("the roll-back re-score", async () => ((await band()) === before ? true : undefined));
    expect(await alertCount()).toBe(alertsBefore);
  });
});
