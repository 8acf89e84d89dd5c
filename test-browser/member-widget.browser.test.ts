import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { chromium, type Browser, type Page } from "playwright-core";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startWorker, type DevWorker } from "./worker";

/**
 * The <tenure-rewards> widget in a real browser, embedded in a page of another origin under a strict CSP:
 * `wrangler dev` with local D1 and queues, a fake Stripe the credit goes to, and Debian's headless Chromium.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ADMIN_TOKEN = "browser-member-admin-token-0123";
const WEBHOOK_SECRET = "whsec_browser_member_secret";
const MEMBER_SECRET = "browser-member-secret-0123456789abcdef";
const STRIPE_KEY = "sk_test_browser_member_0123456789";
const hasChromium = existsSync(CHROMIUM);
const inCI = /^(1|true)$/i.test(process.env.CI ?? "");
if (!hasChromium && !inCI) console.log(`skipped: chromium not installed (no ${CHROMIUM}; on Debian: apt-get install -y chromium)`);

describe.runIf(!hasChromium && inCI)("member widget browser test under CI", () => {
  it("has Chromium to drive", () => {
    expect.fail(`CI=true but ${CHROMIUM} does not exist: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  });
});

const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, "..", "test", "fixtures", "stripe", `${name}.json`), "utf8"));
const STRIPE_CUSTOMER = fixture("customer.created").data.object.id as string;
const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** What this test uses of the workerd suite's fake Stripe (test/fakes/stripe.ts: Stripe's errors, idempotency keys, rate limits). */
interface FakeStripe {
  handle(req: Request): Promise<Response>;
  state: {
    addCustomer(init: { email?: string; name?: string; currency?: string }): { id: string };
    addCoupon(init: { id?: string; percent_off?: number; duration?: string }): unknown;
    customers: Map<string, object>;
    balanceTransactions: { customer: string; amount: number; currency: string }[];
  };
}
// Loaded at run time: its types are checked with the workerd suite's (this project's tsconfig has no DOM iterables).
const FAKE_STRIPE_MODULE: string = "../test/fakes/stripe";
async function newFakeStripe(secretKey: string): Promise<FakeStripe> {
  const { FakeStripe: Fake } = (await import(FAKE_STRIPE_MODULE)) as { FakeStripe: new (o: { secretKey: string }) => FakeStripe };
  return new Fake({ secretKey });
}

/** Serves a fake vendor over HTTP, as the worker's STRIPE_API_BASE. */
function serveFake(fake: FakeStripe, port: number): Promise<Server> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    const method = req.method ?? "GET";
    const response = await fake.handle(new Request(`http://127.0.0.1:${port}${req.url}`, { method, headers, body: ["GET", "HEAD"].includes(method) ? undefined : Buffer.concat(chunks) }));
    const out: Record<string, string> = {};
    response.headers.forEach((v, k) => (out[k] = v));
    res.writeHead(response.status, out);
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

/** The SaaS's own page: another origin, a strict CSP that allows Tenure's script and API and nothing inline. */
function serveHostPage(port: number, workerUrl: string, tokens: Record<string, string>): Promise<Server> {
  const csp = `default-src 'none'; script-src ${workerUrl}; connect-src ${workerUrl}; img-src 'self'; base-uri 'none'; form-action 'none'`;
  const server = createServer((req, res) => {
    const token = tokens[(req.url ?? "/").slice(1)];
    if (token === undefined) {
      res.writeHead(404, { "content-type": "text/plain" });
      return res.end("not found");
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-security-policy": csp });
    res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Acme app: rewards</title>
<script src="${workerUrl}/widget.js" defer></script></head>
<body><main><h1>Your account</h1><tenure-rewards token="${escapeAttr(token)}"></tenure-rewards></main></body></html>`);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

async function mint(claims: Record<string, unknown>, expiresIn: number, secret = MEMBER_SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email: "dana@acme.example", ...claims }).setProtectedHeader({ alg: "HS256" }).setSubject("user_dana").setIssuedAt(now).setExpirationTime(now + expiresIn).sign(new TextEncoder().encode(secret));
}

describe.skipIf(!hasChromium)("member widget in headless Chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "tenure-member-browser-"));
  let stripe: FakeStripe;
  let stripeServer: Server;
  let hostServer: Server;
  let hostUrl: string;
  let validToken: string;
  let worker: DevWorker;
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${worker.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };

  async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000, detail: () => Promise<unknown> = async () => ""): Promise<T> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const v = await probe();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`timed out waiting for ${what}\n${JSON.stringify(await detail())}\n${worker.log().slice(-4000)}`);
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
    stripe = await newFakeStripe(STRIPE_KEY);
    const stripePort = await freePort();
    stripeServer = await serveFake(stripe, stripePort);
    const c = stripe.state.addCustomer({ email: "ops@acme.example", name: "Acme", currency: "usd" });
    stripe.state.customers.delete(c.id);
    stripe.state.customers.set(STRIPE_CUSTOMER, { ...c, id: STRIPE_CUSTOMER });
    stripe.state.addCoupon({ id: "tenure-referral-friend", percent_off: 20, duration: "once" });

    worker = await startWorker(dir, {
      ADMIN_TOKEN,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_SECRET_KEY: STRIPE_KEY,
      STRIPE_API_BASE: `http://127.0.0.1:${stripePort}`,
      TENURE_MEMBER_SECRET: MEMBER_SECRET,
      REFERRAL_LANDING_URL: "https://acme.example/signup",
    });
    await postStripe("customer.created", 300);
    await postStripe("customer.subscription.created", 240);
    await postStripe("invoice.paid.first", 180);
    const customerId = await until("the paying customer", async () => {
      const { body } = await admin("GET", `/api/customers?stripeCustomerId=${STRIPE_CUSTOMER}`);
      const c = body.customers?.[0];
      return c?.stage?.current === "purchase" || c?.stage?.current === "onboarding" ? (c.id as string) : undefined;
    });
    for (let i = 0; i < 15; i++) expect((await admin("POST", "/api/loyalty/events", { customerId, kind: "review_submitted", ref: `review-${i}` })).status).toBe(201);

    const valid = (validToken = await mint({ stripe_customer_id: STRIPE_CUSTOMER }, 3600));
    const [h, p, s] = valid.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString("utf8"));
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, stripe_customer_id: "cus_someone_else" })).toString("base64url")}.${s}`;
    const hostPort = await freePort();
    hostUrl = `http://127.0.0.1:${hostPort}`;
    hostServer = await serveHostPage(hostPort, worker.url, { valid, expired: await mint({ stripe_customer_id: STRIPE_CUSTOMER }, -60), tampered });

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on("console", (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await new Promise((r) => (hostServer ? hostServer.close(r) : r(null)));
    await new Promise((r) => (stripeServer ? stripeServer.close(r) : r(null)));
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows the balance and referral link on another origin under a strict CSP, redeems, and the credit reaches Stripe", async () => {
    await page.goto(`${hostUrl}/valid`);
    const balance = page.locator("tenure-rewards .balance");
    await balance.waitFor({ timeout: 20_000 });
    expect(await balance.textContent()).toBe("1,500 points");
    const link = await page.locator("tenure-rewards #tenure-ref-link").inputValue();
    expect(link).toMatch(new RegExp(`^${worker.url}/r/FRIEND-[0-9A-Z]{8}$`));
    expect(await page.locator("tenure-rewards [data-panel=earn] li").count()).toBeGreaterThan(3);
    mkdirSync(join(import.meta.dirname, "..", "docs", "images"), { recursive: true });
    await page.locator("tenure-rewards").screenshot({ path: join(import.meta.dirname, "..", "docs", "images", "member-widget.png") });

    // Redeem $10 (1,000 points): a confirmation first, then the result announced in the live region.
    const row = page.locator("tenure-rewards [data-panel=redeem] li", { hasText: "$10 account credit" });
    await row.getByRole("button", { name: "Redeem" }).click();
    const confirm = page.locator("tenure-rewards").getByRole("button", { name: "Confirm" });
    expect(await confirm.evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement)).toBe(true);
    await confirm.click();
    const status = page.locator("tenure-rewards [role=status]");
    await page.waitForFunction(() => /Redeemed/.test(document.querySelector("tenure-rewards")?.shadowRoot?.querySelector("[role=status]")?.textContent ?? ""), null, { timeout: 20_000 });
    expect(await status.textContent()).toContain("$10.00");
    await page.waitForFunction(() => document.querySelector("tenure-rewards")?.shadowRoot?.querySelector(".balance")?.textContent === "500 points", null, { timeout: 20_000 });

    const credit = await until(
      "the credit at the fake Stripe",
      async () => stripe.state.balanceTransactions.find((t) => t.customer === STRIPE_CUSTOMER),
      60_000,
      async () => (await admin("GET", "/api/actions?type=stripe.credit")).body,
    );
    expect(credit).toMatchObject({ amount: -1000, currency: "usd" });
    expect(stripe.state.balanceTransactions.filter((t) => t.customer === STRIPE_CUSTOMER)).toHaveLength(1);

    // A review claimed from the widget waits for the program manager.
    await page.locator("tenure-rewards #tenure-claim-kind").selectOption("review");
    await page.locator("tenure-rewards #tenure-claim-url").fill("https://www.g2.com/products/acme/reviews/dana");
    await page.locator("tenure-rewards").getByRole("button", { name: "Submit for review" }).click();
    await page.waitForFunction(() => /waiting for approval/.test(document.querySelector("tenure-rewards")?.shadowRoot?.querySelector("[role=status]")?.textContent ?? ""), null, { timeout: 20_000 });
    const { body } = await admin("GET", "/api/loyalty/claims?status=pending");
    expect(body.claims).toEqual([expect.objectContaining({ kind: "review", url: "https://www.g2.com/products/acme/reviews/dana", status: "pending" })]);
    expect(cspViolations).toEqual([]);
  });

  it("fits a phone's width", async () => {
    const phone = await browser.newPage({ viewport: { width: 360, height: 780 } });
    await phone.goto(`${hostUrl}/valid`);
    await phone.locator("tenure-rewards .balance").waitFor({ timeout: 20_000 });
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.close();
  });

  for (const which of ["expired", "tampered"]) {
    it(`with a ${which} token, shows the sign-in state and no data`, async () => {
      const p = await browser.newPage();
      await p.goto(`${hostUrl}/${which}`);
      await p.locator("tenure-rewards .signed-out").waitFor({ timeout: 20_000 });
      expect(await p.locator("tenure-rewards h2").textContent()).toBe("Sign in to see your rewards");
      expect(await p.locator("tenure-rewards .balance").count()).toBe(0);
      expect(await p.locator("tenure-rewards #tenure-ref-link").count()).toBe(0);
      // The host page answers the unauthorized event with a fresh token: the widget loads with it.
      await p.locator("tenure-rewards").evaluate((el, token) => el.setAttribute("token", token), validToken);
      await p.locator("tenure-rewards .balance").waitFor({ timeout: 20_000 });
      expect(await p.locator("tenure-rewards .signed-out").count()).toBe(0);
      await p.close();
    });
  }
});
