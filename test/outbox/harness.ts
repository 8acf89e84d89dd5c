import { env } from "cloudflare:test";
import type { SetupServer } from "msw/node";
import { afterEach, beforeEach } from "vitest";
import { connectors } from "../../connectors/registry";
import type { Action, Destination } from "../../src/core/actions";
import { loadConfig, type Config } from "../../src/env";
import { deliverDestination, type DeliverDeps } from "../../src/outbox/deliver";
import { insertActionStmts } from "../../src/store/outbox";
import { basesOf, createFakes, startFakeServer, type Fakes } from "../fakes/msw";
import { SimClock } from "./sim-clock";

export const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);

export interface OutboxHarness {
  cfg: Config;
  clock: SimClock;
  fakes: Fakes;
  deps: DeliverDeps;
  /** Gate tokens taken, per destination. */
  tokens: Record<Destination, number>;
  /** What the gate answers (0 = go); the default lets everything through. */
  setGate(answer: (destination: Destination) => number): void;
  insert(actions: Action[]): Promise<void>;
  deliver(destination: Destination, ids?: string[]): Promise<number>;
  row(id: string): Promise<{ status: string; attempts: number; unconfirmed: number; next_attempt_at: number; lease_until: number | null; result: string | null }>;
}

/** The outbox against the real migrated D1 and the fakes behind msw, on a clock the test drives. */
export function useOutbox(): () => OutboxHarness {
  let current: OutboxHarness | undefined;
  let server: SetupServer | undefined;
  beforeEach(async () => {
    // Tests of a file share one database: each starts from an empty outbox.
    await env.DB.prepare(`DELETE FROM outbox`).run();
    const cfg = loadConfig(env);
    const clock = new SimClock(T0);
    const fakes = createFakes(cfg, { now: clock.now });
    server = startFakeServer(fakes, basesOf(cfg));
    const tokens: Record<Destination, number> = { hubspot: 0, slack: 0, stripe: 0, zendesk: 0, webhook: 0, declared: 0 };
    let answer = (_: Destination) => 0;
    const deps: DeliverDeps = {
      db: env.DB,
      cfg,
      connectors,
      fetch: (i, init) => fetch(i, init),
      now: clock.now,
      timers: clock.timers,
      gate: async (destination, calls, maxWaitMs = 0) => {
        const wait = answer(destination);
        // As the real gate does: a wait the caller may sit out is a token reserved for its end.
        if (wait <= maxWaitMs) tokens[destination] += calls;
        return wait;
      },
    };
    current = {
      cfg, clock, fakes, deps, tokens,
      setGate: (a) => void (answer = a),
      insert: async (actions) => void (await env.DB.batch(insertActionStmts(env.DB, actions, clock.t))),
      deliver: (destination, ids = []) => deliverDestination(deps, destination, ids),
      row: async (id) => (await env.DB.prepare(`SELECT status, attempts, unconfirmed, next_attempt_at, lease_until, result, last_error FROM outbox WHERE id = ?`).bind(id).first())!,
    };
  });
  afterEach(() => {
    server?.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error("useOutbox: harness used outside a test");
    return current;
  };
}

export const alert = (id: string, over: Record<string, unknown> = {}): Action => ({
  id,
  customerId: `cu_${id}`,
  payload: {
    type: "slack.alert", rule: "entered_red", customerId: `cu_${id}`, customerName: `Customer ${id}`, score: 40, band: "red",
    previousScore: 60, previousBand: "yellow", drivers: [{ factor: "billing", impact: -20, detail: "card declined twice" }],
    mrr: 10_000, renewalDate: null, summary: "entered red", ...over,
  } as Action["payload"],
});
