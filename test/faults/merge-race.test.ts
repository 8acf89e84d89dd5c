import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { tenureConfig } from "../../src/config";
import { processEvents } from "../../src/pipeline";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { drain, runQueue } from "../support/drain";
import { customerOf, hubspot, hubspotCompany, merge, segment, segmentGroup, segmentTrack, stripe, stripeCustomer, stripeInvoice, zendesk, zendeskTicket } from "../identity/sources";

/*
 * A merge racing new events for both customers. Each round new webhooks arrive for both; two consumers apply
 * overlapping batches at the same time (a queue redelivery), earlier deliveries are sent again, and in the
 * middle round the merge runs beside them. Event steps that read the loser before the merge lose their
 * version guard and are retried onto the survivor; nothing is lost, nothing is applied twice, and at the end
 * every fact of both customers is on the survivor.
 */

const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

const ROUNDS = 6;
const PER_ROUND = 4;

/** The test database, except that before the first multi-statement batch (an event step's commit) `before` runs. */
function mergeBeforeCommit(before: () => Promise<void>): D1Database {
  let done = false;
  return new Proxy(env.DB, {
    get(target, prop, receiver) {
      if (prop === "batch") {
        return async (stmts: D1PreparedStatement[]) => {
          if (!done && stmts.length > 5) {
            done = true;
            await before();
          }
          return target.batch(stmts);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

async function received(): Promise<string[]> {
  const { results } = await env.DB.prepare(`SELECT id FROM inbox_events WHERE status = 'received' ORDER BY id`).all<{ id: string }>();
  return results.map((r) => r.id);
}

describe("fault: a merge racing new events for both customers", () => {
  it("applies every event exactly once, to the survivor", async () => {
    await stripe(stripeCustomer("cus_race_a", "owner@gmail.com", {}));
    await hubspot(hubspotCompany(73001, { name: "Race Bee", domain: "race-b.example" }));
    await drain();
    await segment(segmentGroup("g_race_b", "u_race_0", "Race Bee", "https://race-b.example"));
    await drain();
    const a = (await customerOf("stripe", "cus_race_a"))!;
    const b = (await customerOf("hubspot", "73001"))!;
    expect(a).not.toBe(b);

    const invoices: string[] = [];
    const tickets: string[] = [];
    const features: string[] = [];
    const sent: (() => Promise<void>)[] = [];
    let merged: Response | null = null;
    let lostToMerge = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < PER_ROUND; i++) {
        const n = round * PER_ROUND + i;
        invoices.push(`in_race_${n}`);
        tickets.push(`zendesk:79${String(n).padStart(3, "0")}`);
        features.push(`Race feature ${n}`);
        const bodies = [
          () => stripe(stripeInvoice("cus_race_a", "owner@gmail.com", `in_race_${n}`)),
          () => zendesk(zendeskTicket(`79${String(n).padStart(3, "0")}`, `p${n}@race-b.example`)),
          () => segment(segmentTrack("g_race_b", `u_race_${n % 3}`, `Race feature ${n}`)),
        ];
        for (const send of bodies) await send();
        sent.push(...bodies);
      }
      // A redelivery of an earlier webhook: stored once.
      await sent[(round * 5) % sent.length]!();
      const ids = await received();
      const half = Math.ceil(ids.length / 2);
      if (round === 2) {
        // The worst interleaving, made certain: a step that has read both customers commits only after the merge. It
        // runs before this round's consumers start, so none of them applies its rows first (which, on a loaded
        // machine, left it nothing to commit and the merge never ran).
        const step = await processEvents({ db: mergeBeforeCommit(() => merge(a, b).then((r) => void (merged = r))), cfg: tenureConfig(undefined), now: Date.now() }, ids);
        expect(step.retry.length).toBeGreaterThan(0);
        lostToMerge = step.retry.length;
      }
      // Two consumers with overlapping batches (the queue delivers at least once).
      await Promise.all([runQueue("tenure-events", ids.slice(0, half + 2).map((eventId) => ({ eventId }))), runQueue("tenure-events", ids.slice(half - 2).map((eventId) => ({ eventId })))]);
    }
    for (const send of sent) await send();
    await drain(30);

    expect(merged!.status).toBe(200);
    expect(lostToMerge).toBeGreaterThan(0);
    expect(await env.DB.prepare(`SELECT 1 AS x FROM customers WHERE id = ?`).bind(b).first()).toBeNull();
    expect(await env.DB.prepare(`SELECT survivor_id FROM customer_merges WHERE loser_id = ?`).bind(b).first()).toEqual({ survivor_id: a });

    // Every delivery is stored once and processed, on the survivor.
    const { results: rows } = await env.DB.prepare(`SELECT id, status, customer_id FROM inbox_events WHERE source IN ('stripe', 'zendesk', 'segment', 'hubspot')`).all<{ id: string; status: string; customer_id: string | null }>();
    expect(rows.filter((r) => r.status !== "processed" && r.status !== "ignored")).toEqual([]);
    expect(rows.filter((r) => r.status === "processed" && r.customer_id !== a)).toEqual([]);
    expect(rows.filter((r) => r.id.startsWith("stripe:evt_in_race_")).length).toBe(invoices.length);

    // Every fact of both customers is in the survivor's state, once.
    const state = JSON.parse((await env.DB.prepare(`SELECT state FROM customers WHERE id = ?`).bind(a).first<{ state: string }>())!.state);
    expect(Object.keys(state.billing.invoices).sort()).toEqual([...invoices].sort());
    for (const t of tickets) expect(Object.keys(state.support.tickets), t).toContain(t);
    for (const f of features) expect(Object.keys(state.usage.events), f).toContain(f);
    expect(state.crm.properties.name.value).toBe("Race Bee");

    // One customer holds both accounts' keys; nothing else was created for them.
    for (const [kind, value] of [["stripe", "cus_race_a"], ["hubspot", "73001"], ["segment_group", "g_race_b"], ["account", "g_race_b"], ["domain", "race-b.example"]]) {
      expect(await customerOf(kind!, value!), `${kind}:${value}`).toBe(a);
    }
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM customers`).first<{ n: number }>())!;
    expect(n).toBe(1);
    // The loyalty ledger, where a replay would show as a second row, has at most one row per fact.
    const { results: dupes } = await env.DB.prepare(`SELECT entry, ref, COUNT(*) AS n FROM loyalty_ledger GROUP BY entry, ref, customer_id HAVING n > 1`).all();
    expect(dupes).toEqual([]);
  });
});
