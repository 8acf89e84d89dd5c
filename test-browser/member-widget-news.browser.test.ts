import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rewardsWidgetScript } from "../src/widget/rewards-widget";

/**
 * The widget's "new since your last visit" marks, in real Chromium: the widget script as Tenure serves it, and a
 * member API that answers a fixed account and history (the member API itself is covered by the workerd suite and
 * member-widget.browser.test.ts). What was seen is kept per account in localStorage; the page sets no cookie.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);

const HOUR = 3_600_000;
const now = Date.now();
const entry = (id: string, at: number, points: number) => ({ id, entry: "points.earned", kind: "review_submitted", points, amount: null, currency: null, at });
let history = [entry("l1", now - 3 * HOUR, 100), entry("l2", now - 48 * HOUR, 25)];
const me = {
  account: { id: "cu_news", name: "News Co" },
  points: { balance: 125, earned: 125, redeemed: 0 },
  badges: [],
  referral: { code: null, link: null, clicks: 0, signups: 0, rewards: { pending: 0, paid: 0 }, credit: { pending: {}, paid: {} } },
  waysToEarn: [{ kind: "review_submitted", label: "Write a review", points: 100 }],
  rewards: [],
};

let server: Server;
let origin = "";
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const cors = { "access-control-allow-origin": "*", "access-control-allow-headers": "Authorization, Content-Type" };
    if (req.method === "OPTIONS") return res.writeHead(204, cors).end();
    if (url.pathname === "/widget.js") return res.writeHead(200, { "content-type": "text/javascript" }).end(rewardsWidgetScript);
    if (url.pathname === "/member/me") return res.writeHead(200, { ...cors, "content-type": "application/json" }).end(JSON.stringify(me));
    if (url.pathname === "/member/history") return res.writeHead(200, { ...cors, "content-type": "application/json" }).end(JSON.stringify({ entries: history, next: null }));
    res.writeHead(200, { "content-type": "text/html", "content-security-policy": `default-src 'none'; script-src 'self'; connect-src 'self'` });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>host</title><script src="/widget.js"></script></head><body><tenure-rewards token="t"></tenure-rewards></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe.skipIf(!hasChromium)("the widget marks what is new since the member's last visit", () => {
  it("marks nothing on the first visit, then only entries newer than what was shown, and keeps no cookie", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const marks = async () => {
      await page.goto(`${origin}/host`);
      const panel = page.locator("tenure-rewards [data-panel=history]");
      await panel.locator("li").first().waitFor();
      return { marked: await panel.locator("li[data-new]").count(), news: (await panel.locator(".news").allTextContents()).join("") };
    };
    expect(await marks()).toEqual({ marked: 0, news: "" });
    expect(await page.evaluate(() => window.localStorage.getItem("tenure-rewards:seen:cu_news"))).toBe(String(now - 3 * HOUR));
    history = [entry("n2", now - 60_000, 100), entry("n1", now - 2 * HOUR, 25), ...history];
    expect(await marks()).toEqual({ marked: 2, news: "2 new entries since your last visit" });
    expect(await page.locator("tenure-rewards li[data-new] .new").first().textContent()).toBe("New");
    // Seen now: the next visit marks nothing.
    expect(await marks()).toEqual({ marked: 0, news: "" });
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });
});
