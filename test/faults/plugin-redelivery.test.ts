import { env } from "cloudflare:test";
import { http, HttpResponse } from "msw";
import { Webhook } from "standardwebhooks";
import { afterAll, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/env";
import { realTimers } from "../../src/outbox/vendor-fetch";
import { mulberry32 } from "../../scripts/demo/random";
import { FakeIntercom } from "../fakes/intercom";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { editedFixture } from "../support/fixtures";
import { FRONT_SECRET, PADDLE_SECRET, signFront, signPaddle } from "../plugins/sign";
import { Broker, Chaos, cron, ingest, IngestIsolate, installCrashingFetch, settle, type World } from "./chaos";

/*
 * Declared sources (Paddle, Front: plugins/*.json), a declared destination (Intercom: plugins/intercom.json) and
 * the Standard Webhooks stream under the same faults as the built-in ones: every delivery 5 times, shuffled, 8 at
 * a time, while ingest, both consumers and the sweeper crash before or after any I/O, the receiver answers 429 for
 * a stretch and Intercom rate-limits. Every fact lands once; every announced event reaches the receiver, verified
 * by the standardwebhooks library, under one webhook-id each; every company in Intercom ends with its account's score.
 */
const ACCOUNTS = 24;
const COPIES = 5;
const CONCURRENCY = 8;
const CRASH_PROBABILITY = 0.01;
const SEED = Number(import.meta.env.FAULT_SEED ?? 20261206);

const SECRET = `whsec_${btoa("tenure-outbound-fault-key-32-byte")}`;
const RECEIVER = "https://hooks.receiver.example/faults";
const INTERCOM_TOKEN = "dG9rOmZhdWx0LXRlc3Q=";
const INTERCOM_BASE = "https://intercom.fake.example";
const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
const intercom = new FakeIntercom({ token: INTERCOM_TOKEN, base: INTERCOM_BASE, limit: 20, windowMs: 10_000, attributes: ["tenure_health_score", "tenure_health_band", "tenure_stage"] });
server.use(intercom.handler());
const seen: string[] = [];
const refused: string[] = [];
let limitedCalls = 6;
server.use(
  http.post(RECEIVER, async ({ request }) => {
    const body = await request.text();
    const headers = Object.fromEntries(request.headers.entries());
    try {
      new Webhook(SECRET).verify(body, headers);
    } catch (err) {
      refused.push(String(err));
      return HttpResponse.json({ error: "bad signature" }, { status: 400 });
    }
    if (limitedCalls-- > 0) return new HttpResponse(null, { status: 429, headers: { "retry-after": "30" } });
    seen.push(headers["webhook-id"]!);
    return new HttpResponse(null, { status: 204 });
  }),
);
afterAll(() => {
  server.close();
  vi.useRealTimers();
});

function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

// Facts of the last hour, as a live stream brings them (old ones would make each step rebuild a long timeline).
const recent = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

function paddleBodies(i: number): string[] {
  const account = (j: any) => {
    j.data.custom_data = { account_id: `acct_${i}` };
    j.occurred_at = recent(60 - i);
  };
  return [
    editedFixture("paddle", "customer.created", (j) => {
      account(j);
      j.event_id = `evt_c_${i}`;
      j.data.id = `ctm_${i}`;
      j.data.email = `owner@acct${i}.example`;
    }),
    editedFixture("paddle", "subscription.created", (j) => {
      account(j);
      j.event_id = `evt_s_${i}`;
      j.data.id = `sub_${i}`;
    }),
    editedFixture("paddle", "transaction.completed", (j) => {
      account(j);
      j.event_id = `evt_t_${i}`;
      j.data.invoice_id = `inv_${i}`;
      j.data.subscription_id = `sub_${i}`;
    }),
  ];
}

const frontBody = (i: number) =>
  editedFixture("front", "inbound_received", (j) => {
    j.payload.id = `evt_f_${i}`;
    j.payload.emitted_at = Date.parse(recent(30)) / 1000;
    j.payload.conversation.created_at = Date.parse(recent(31)) / 1000;
    j.payload.conversation.id = `cnv_${i}`;
    j.payload.conversation.recipient.handle = `owner@acct${i}.example`;
  });

const count = async (sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).first<{ n: number }>())!.n;


it(`${ACCOUNTS} Paddle accounts and Front tickets × ${COPIES} deliveries under crashes, out to Intercom and as Standard Webhooks`, { timeout: 600_000 }, async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.spyOn(realTimers, "sleep").mockImplementation(async (ms) => void vi.setSystemTime(Date.now() + ms));
  const random = mulberry32(SEED);
  const deliveries: ["paddle" | "front", string][] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    for (const b of paddleBodies(i)) deliveries.push(["paddle", b]);
    deliveries.push(["front", frontBody(i)]);
  }
  const copies = shuffle(deliveries.flatMap((d) => Array<["paddle" | "front", string]>(COPIES).fill(d)), random);

  const chaos = new Chaos(random, CRASH_PROBABILITY);
  const broker = new Broker(
    {
      "tenure-events": { maxRetries: 10, dlq: "tenure-events-dlq", maxBatch: 100 },
      "tenure-actions": { maxRetries: 20, dlq: "tenure-actions-dlq", maxBatch: 100 },
      "tenure-events-dlq": { maxRetries: 3, maxBatch: 100 },
      "tenure-actions-dlq": { maxRetries: 3, maxBatch: 100 },
    },
    () => Date.now(),
  );
  const world: World = { env: { ...env, WEBHOOK_OUT_URL: RECEIVER, WEBHOOK_OUT_SECRET: SECRET, INTERCOM_ACCESS_TOKEN: INTERCOM_TOKEN, INTERCOM_API_BASE: INTERCOM_BASE } as never, chaos, broker, gates: new Map(), unexpected: [] };
  const restoreFetch = installCrashingFetch(chaos);
  const lines: string[] = [];
  const quiet = (["log", "warn", "error"] as const).map((m) => vi.spyOn(console, m).mockImplementation((l: unknown) => void lines.push(String(l))));

  const unexplained: number[] = [];
  let next = 0;
  let ingesting = true;
  const isolates = Array.from({ length: 2 }, () => new IngestIsolate(world));
  const sender = async (_: unknown, i: number) => {
    while (next < copies.length) {
      const [source, body] = copies[next++]!;
      for (;;) {
        const headers = source === "paddle" ? await signPaddle(PADDLE_SECRET, body) : await signFront(FRONT_SECRET, body);
        const req = new Request(`https://tenure.example.com/webhooks/${source}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
        const { status, crashed } = await ingest(world, req, isolates[i % isolates.length]);
        if (status === 200) break;
        if (!crashed) unexplained.push(status);
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  };
  await Promise.all([Promise.all(Array.from({ length: CONCURRENCY }, sender)).finally(() => (ingesting = false)), settle(world, () => ingesting)]);
  await settle(world, () => false);
  restoreFetch();
  for (const q of quiet) q.mockRestore();

  const crashed = chaos.crashes();
  expect(Object.keys(crashed).some((k) => k.startsWith("ingest")), "ingest crashed").toBe(true);
  expect(Object.keys(crashed).some((k) => k.includes("hooks.receiver.example")), "a delivery to the receiver crashed").toBe(true);
  expect(Object.keys(crashed).some((k) => k.includes("intercom.fake.example")), "a delivery to Intercom crashed").toBe(true);
  expect(world.unexpected).toEqual([]);
  expect(unexplained).toEqual([]);
  expect(refused).toEqual([]);
  if (import.meta.env.FAULT_TRACE) console.info([...new Set(lines.filter((l) => !l.includes("Crash")).map((l) => l.replace(/"ts":"[^"]*"|"requestId":"[^"]*"|[0-9a-f-]{36}/g, "").slice(0, 300)))].slice(0, 30).join("\n"));
  if (import.meta.env.FAULT_TRACE) console.info(JSON.stringify((await env.DB.prepare(`SELECT source, status, COUNT(*) AS n, MAX(reason) AS e FROM inbox_events GROUP BY 1, 2`).all()).results));
  // Every declared delivery stored once and applied.
  expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE source = 'paddle' AND status = 'processed'`)).toBe(3 * ACCOUNTS);
  expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE source = 'front' AND status = 'processed'`)).toBe(ACCOUNTS);
  expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE source IN ('paddle', 'front')`)).toBe(4 * ACCOUNTS);
  // One customer per account, its MRR counted once however often its subscription arrived.
  const customers = (await env.DB.prepare(`SELECT domain, mrr FROM customers ORDER BY domain`).all<{ domain: string; mrr: number }>()).results;
  expect(customers).toHaveLength(ACCOUNTS);
  expect(customers.every((c) => c.mrr === 36000 && /^acct\d+\.example$/.test(c.domain))).toBe(true);
  // The stream: every planned event delivered, each under its own webhook-id; a resend after a crash reuses the id.
  const outbox = (await env.DB.prepare(`SELECT id, status FROM outbox WHERE destination = 'webhook'`).all<{ id: string; status: string }>()).results;
  expect(outbox.length).toBeGreaterThanOrEqual(ACCOUNTS);
  expect(outbox.filter((r) => r.status !== "delivered")).toEqual([]);
  expect([...new Set(seen)].sort()).toEqual(outbox.map((r) => r.id).sort());
  // The declared destination: every request delivered, and each account's company holds its final score.
  const declared = (await env.DB.prepare(`SELECT status, COUNT(*) AS n FROM outbox WHERE destination = 'declared' GROUP BY 1`).all<{ status: string; n: number }>()).results;
  expect(declared).toEqual([{ status: "delivered", n: expect.any(Number) }]);
  const scores = (await env.DB.prepare(`SELECT id, score, band FROM customers`).all<{ id: string; score: number; band: string }>()).results;
  expect(intercom.companies.size).toBe(ACCOUNTS);
  for (const c of scores) expect(intercom.companies.get(c.id)?.custom_attributes).toMatchObject({ tenure_health_score: c.score, tenure_health_band: c.band });
});
