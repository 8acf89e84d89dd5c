import { createExecutionContext, env } from "cloudflare:test";
import { afterAll, expect, it, vi } from "vitest";
import { setupHubspotProperties } from "../../connectors/hubspot";
import { tenureConfig } from "../../src/config";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { scenario, stripe } from "../loyalty/support";
import { ADMIN } from "../support/drain";
import { KEPT_DELIVERIES } from "../support/inbox";
import { signStripe } from "../support/sign/stripe";
import { signSegment } from "../support/sign/segment";
import worker from "../../src/index";
import { realTimers } from "../../src/outbox/vendor-fetch";
import { mulberry32 } from "../../scripts/demo/random";
import { Broker, Chaos, cron, ingest, IngestIsolate, installCrashingFetch, settle, type World } from "./chaos";

/*
 * Exactly-once effects under crashes. N Stripe events (referrals that qualify for a credit; payments
 * that move health scores, write HubSpot and alert in Slack), each delivered 5 times, shuffled, 16 at
 * a time, consumed 4 batches at once with each customer's events applied on its account shard, while
 * invocations of ingest, both consumers, the shards and the crons crash before or after any I/O, and
 * each vendor fails for a stretch. The long variant: FAULT_EVENTS=5000 npx vitest run test/faults
 */
const N = Number(import.meta.env.FAULT_EVENTS ?? 1000);
const COPIES = 5;
const CONCURRENCY = 16;
const ISOLATES = 4;
const CRASH_PROBABILITY = 0.01;
const SEED = Number(import.meta.env.FAULT_SEED ?? 20261123);
const DAY = 86_400_000;
let T0 = 0;

const cfg = loadConfig(env);
const rules = tenureConfig(cfg.TENURE_CONFIG);
// The fakes read the (faked) clock at each call, so outages end on the test's time.
const fakes = createFakes(cfg, { now: () => Date.now() });
const server = startFakeServer(fakes, basesOf(cfg));
fakes.stripe.state.addCoupon({ id: rules.rewards.referral.coupon, percent_off: 20, duration: "once" });
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

function billedTo(body: string, email: string): string {
  const ev = JSON.parse(body);
  ev.data.object.customer_email = email;
  return JSON.stringify(ev);
}

const count = async (sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).first<{ n: number }>())!.n;


it(`${N} events × ${COPIES} deliveries under injected crashes and vendor outages: every effect exactly once`, { timeout: 900_000 }, async () => {
  // Fault-free setup: HubSpot's custom properties, and referrers who each hold a referral code.
  await setupHubspotProperties({ cfg, fetch: (i, init) => fetch(i, init), now: Date.now });
  const { payingCustomer, codeFor } = scenario(fakes.stripe);
  const referrerCount = Math.max(1, Math.round(N / 40));
  const referrers: { cus: string; id: string; promotionCodeId: string }[] = [];
  for (let i = 0; i < referrerCount; i++) {
    const r = await payingCustomer(`ref${i}`, `ref${i}.example`);
    referrers.push({ ...r, promotionCodeId: (await codeFor(r.id)).promotionCodeId });
  }

  vi.useFakeTimers({ toFake: ["Date"] });
  // A delivery that sits out a short rate-limit wait does it on the test's clock, not in real time.
  vi.spyOn(realTimers, "sleep").mockImplementation(async (ms) => void vi.setSystemTime(Date.now() + ms));
  T0 = Date.now();
  vi.setSystemTime(T0);
  const random = mulberry32(SEED);
  const bodies: string[] = [];
  // Referred friends: customer, checkout with the referrer's promotion code, first invoice paid.
  const friends: string[] = [];
  for (let f = 0; f < referrerCount * 4; f++) {
    const tag = `fr${f}`;
    const email = `owner@${tag}.example`;
    const cus = fakes.stripe.state.addCustomer({ email, name: tag }).id;
    const promotionCode = referrers[f % referrerCount]!.promotionCodeId;
    friends.push(cus);
    bodies.push(
      stripe.customer(`evt_${tag}_cus`, { id: cus, email, name: tag }),
      stripe.checkout(`evt_${tag}_cs`, { id: `cs_${tag}`, customer: cus, email, subscription: `sub_${tag}`, promotionCode }),
      stripe.invoicePaid(`evt_${tag}_inv`, { id: `in_${tag}`, customer: cus, email, subscription: `sub_${tag}`, amount: 49_900, charge: `ch_${tag}`, promotionCode }, T0 - 30 * 60_000),
    );
  }
  // Accounts whose payments fail: scores move (HubSpot writes) and payment alerts go to Slack.
  const companies = new Map<string, string>();
  for (let h = 0; bodies.length + 5 <= N; h++) {
    const tag = `acct${h}`;
    const email = `billing@${tag}.example`;
    const companyId = fakes.hubspot.addCompany({ name: tag, domain: `${tag}.example` });
    const cus = fakes.stripe.state.addCustomer({ email, name: tag }).id;
    companies.set(cus, companyId);
    bodies.push(
      stripe.customer(`evt_${tag}_cus`, { id: cus, email, name: tag, metadata: { hubspot_company_id: companyId } }),
      stripe.subscription(`evt_${tag}_sub`, { id: `sub_${tag}`, customer: cus }, T0 - 50 * 60_000),
      stripe.invoicePaid(`evt_${tag}_inv`, { id: `in_${tag}`, customer: cus, email, subscription: `sub_${tag}`, amount: 99_900, charge: `ch_${tag}` }, T0 - 40 * 60_000),
      // The fixture's billing email would match every account to one domain.
      billedTo(stripe.paymentFailed(`evt_${tag}_f1`, { id: `in_${tag}_2`, customer: cus, subscription: `sub_${tag}`, amount: 99_900, attempt: 1 }), email),
      billedTo(stripe.paymentFailed(`evt_${tag}_f2`, { id: `in_${tag}_2`, customer: cus, subscription: `sub_${tag}`, amount: 99_900, attempt: 2 }), email),
    );
  }
  const eventIds = bodies.map((b) => `stripe:${JSON.parse(b).id as string}`);
  // Product usage from each account's people, carried on the events queue (the deployment's default for Segment):
  // no inbox row until the commit that applies it, so a lost or doubled message would show as a missing or extra row.
  const usage: string[] = [];
  for (let h = 0; h < companies.size; h++) {
    for (let k = 0; k < 2; k++) {
      usage.push(
        JSON.stringify({
          type: "track",
          event: k === 0 ? "Report Exported" : "Dashboard Viewed",
          userId: `user_${h}_${k}`,
          messageId: `seg-acct${h}-${k}`,
          timestamp: new Date(T0 - (20 - k) * 60_000).toISOString(),
          context: { traits: { email: `user${k}@acct${h}.example` } },
        }),
      );
    }
  }
  const usageIds = usage.map((b) => `segment:${JSON.parse(b).messageId as string}`);

  const chaos = new Chaos(random, CRASH_PROBABILITY);
  const broker = new Broker(
    {
      "tenure-events": { maxRetries: 10, dlq: "tenure-events-dlq", maxBatch: 100 },
      "tenure-actions": { maxRetries: 20, dlq: "tenure-actions-dlq", maxBatch: 100 },
      "tenure-events-dlq": { maxRetries: 100, maxBatch: 100 },
      "tenure-actions-dlq": { maxRetries: 3, maxBatch: 100 },
    },
    () => Date.now(),
  );
  // Segment's deliveries are carried on the queue and held by their shards for 3 s (src/shard/hold.ts), whose alarms apply them.
  const world: World = { env: { ...env, QUEUE_CARRIED_SOURCES: "segment", SHARD_HOLD_MS: "3000" } as never, chaos, broker, gates: new Map(), unexpected: [] };
  const restoreFetch = installCrashingFetch(chaos);
  // Thousands of crash reports and accepted-webhook lines: kept out of the test output.
  const quiet = (["log", "warn", "error"] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
  fakes.hubspot.outage(T0 + 5 * 60_000);
  fakes.slack.failNext(8, 429);

  // Phase 1: the deliveries, shuffled and concurrent, with the consumers running alongside.
  const deliveries = shuffle([...bodies, ...usage].flatMap((b) => Array<string>(COPIES).fill(b)), random);
  const unexplained: number[] = [];
  let attempts = 0;
  let next = 0;
  let ingesting = true;
  // Senders share isolates, as concurrent deliveries do on Workers, so one crash fails every delivery in flight there.
  const isolates = Array.from({ length: ISOLATES }, () => new IngestIsolate(world));
  const sender = async (_: unknown, i: number) => {
    while (next < deliveries.length) {
      const body = deliveries[next++]!;
      for (;;) {
        attempts++;
        const segment = body.startsWith('{"type":"track"');
        const req = segment
          ? new Request("https://tenure.example.com/webhooks/segment", { method: "POST", body, headers: { "content-type": "application/json", ...(await signSegment("segment_secret", body)) } })
          : new Request("https://tenure.example.com/webhooks/stripe", { method: "POST", body, headers: await signStripe(body) });
        const { status, crashed } = await ingest(world, req, isolates[i % ISOLATES]);
        if (status === 200) break;
        // Stripe retries anything but a 2xx; only a crashed invocation may have failed to answer one.
        if (!crashed) unexplained.push(status);
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  };
  await Promise.all([
    Promise.all(Array.from({ length: CONCURRENCY }, sender)).finally(() => (ingesting = false)),
    settle(world, () => ingesting),
  ]);
  await settle(world, () => false);
  // Every carried delivery stored once, processed, on its account (matched by the people's email domain). Checked
  // now: Segment's rows leave the inbox two days on, inside phase 2.
  // Applied, they are ids in applied_deliveries (migrations/0028_applied_deliveries.sql); each names its account.
  const carried = await env.DB.prepare(
    `SELECT e.status, COUNT(*) AS n, COUNT(DISTINCT e.id) AS ids, SUM(i.customer_id = e.customer_id) AS matched
     FROM ${KEPT_DELIVERIES} e JOIN json_each(?) w ON w.value ->> '$[0]' = e.id
     LEFT JOIN identities i ON i.kind = 'domain' AND i.value = w.value ->> '$[1]' GROUP BY e.status`,
  )
    .bind(JSON.stringify(usageIds.map((id) => [id, `${/seg-(acct\d+)-/.exec(id)![1]}.example`])))
    .all<{ status: string; n: number; ids: number; matched: number }>();
  expect(carried.results).toEqual([{ status: "processed", n: usageIds.length, ids: usageIds.length, matched: usageIds.length }]);

  // Phase 2: past the referral hold, the daily run releases the credits while Stripe is failing.
  vi.setSystemTime(Date.now() + (rules.rewards.referral.holdDays + 1) * DAY);
  fakes.stripe.outage(Date.now() + 10 * 60_000);
  // A daily run that crashes runs again the next day (its work so far is committed and idempotent).
  for (let day = 0; !(await cron(world, "17 3 * * *")); day++) {
    expect(day).toBeLessThan(60);
    await settle(world, () => false);
    vi.setSystemTime(Date.now() + DAY);
  }
  await settle(world, () => false);
  restoreFetch();
  for (const q of quiet) q.mockRestore();

  expect(world.unexpected.slice(0, 3)).toEqual([]);
  // Every delivery was eventually answered 2xx; every non-2xx came from a crashed invocation.
  expect(unexplained).toEqual([]);
  expect(attempts).toBeGreaterThan(deliveries.length);

  // Every accepted event processed, once.
  const statuses = await env.DB.prepare(`SELECT status, COUNT(*) AS n FROM inbox_events WHERE id IN (SELECT value FROM json_each(?)) GROUP BY status`)
    .bind(JSON.stringify(eventIds))
    .all<{ status: string; n: number }>();
  expect(statuses.results).toEqual([{ status: "processed", n: eventIds.length }]);
  expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE status IN ('received', 'failed')`)).toBe(0);

  // Exactly one Stripe credit per qualifying referral, each under its reward id.
  const credits = fakes.stripe.state.balanceTransactions.filter((t) => t.metadata?.tenure_reward_id);
  const byReward = new Map<string, number>();
  for (const c of credits) byReward.set(c.metadata!.tenure_reward_id!, (byReward.get(c.metadata!.tenure_reward_id!) ?? 0) + 1);
  const paid = await env.DB.prepare(`SELECT referred_id FROM referrals WHERE status = 'paid'`).all<{ referred_id: string }>();
  expect(paid.results).toHaveLength(friends.length);
  expect([...byReward.keys()].sort()).toEqual(paid.results.map((r) => `referral.credit:${r.referred_id}`).sort());
  expect([...byReward.values()].every((n) => n === 1)).toBe(true);

  // HubSpot holds exactly Tenure's scores and bands.
  const scored = await env.DB.prepare(
    `SELECT i.value AS company, c.score, c.band FROM customers c JOIN identities i ON i.customer_id = c.id AND i.kind = 'hubspot'`,
  ).all<{ company: string; score: number; band: string }>();
  expect(scored.results).toHaveLength(companies.size);
  const mismatched = scored.results.filter((r) => {
    const p = fakes.hubspot.companies.get(r.company)!.properties;
    return p.tenure_health_score !== String(r.score) || p.tenure_health_band !== r.band;
  });
  expect(mismatched).toEqual([]);

  // No Slack alert twice: one message per delivered Slack action, each tagged with its action id.
  const tagged = fakes.slack.messages.map((m) => String(m.metadata?.event_payload.action_id));
  expect(new Set(tagged).size).toBe(tagged.length);
  const slackDelivered = await env.DB.prepare(`SELECT id FROM outbox WHERE destination = 'slack' AND status = 'delivered'`).all<{ id: string }>();
  expect(tagged.sort()).toEqual(slackDelivered.results.map((r) => r.id).sort());
  expect(slackDelivered.results.filter((r) => r.id.startsWith("slack.alert:payment_failed:")).length).toBe(companies.size);

  // Nothing left in flight; whatever ended in dead letters is what the admin API reports.
  expect(await count(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'`)).toBe(0);
  for (const status of ["dead", "failed"]) {
    const res = await worker.fetch(new Request(`https://tenure.example.com/api/actions?status=${status}&limit=500`, { headers: ADMIN }), env as never, createExecutionContext());
    const reported = ((await res.json()) as { actions: { id: string }[] }).actions.map((a) => a.id).sort();
    const stored = await env.DB.prepare(`SELECT id FROM outbox WHERE status = ?`).bind(status).all<{ id: string }>();
    expect(reported).toEqual(stored.results.map((r) => r.id).sort());
  }

  // The crashes hit every stage, including the classic windows: after a commit before the enqueue,
  // after the vendor answered before the outcome was recorded.
  const hit = chaos.crashes();
  for (const point of [
    "ingest d1.batch:after",
    "ingest tenure-events.sendBatch:before",
    "shard rpc:after",
    "shard d1.batch:after",
    "events tenure-actions.sendBatch:before",
    "actions fetch hubspot.fake:after",
    "actions fetch slack.fake:after",
    "actions fetch stripe.fake:after",
    "actions d1.UPDATE:before",
    "sweep d1.SELECT:after",
  ]) {
    expect(hit[point] ?? 0, `no crash injected at ${point}: ${JSON.stringify(hit)}`).toBeGreaterThan(0);
  }
  // Each delivery attempt commits with its own D1 batch (no request waits on another's I/O): at most one per attempt.
  const ingestBatches = chaos.points.get("ingest d1.batch:before")?.[0] ?? 0;
  expect(ingestBatches).toBeLessThanOrEqual(attempts);
  // Shard requests that queued behind a turn were applied together (src/shard/group-commit.ts), under the same crashes.
  const turns = world.shardTurns ?? { turns: 0, requests: 0 };
  expect(turns.requests).toBeGreaterThan(turns.turns);
  // Usage deliveries were held and applied by the shards' alarms, under the same crashes.
  const flushed = world.shardFlushed ?? { applied: 0, returned: 0 };
  expect(flushed.applied).toBeGreaterThan(0);
  console.log(
    `exactly-once: ${eventIds.length} events and ${usageIds.length} carried, ${deliveries.length} deliveries, ${attempts} attempts, ${ingestBatches} ingest D1 batches, ` +
      `${Object.values(hit).reduce((a, b) => a + b, 0)} crashes at ${Object.keys(hit).length} points, ${turns.requests} shard requests in ${turns.turns} turns, ${flushed.applied} held rows applied by alarms (${flushed.returned} given back)`,
  );
});
