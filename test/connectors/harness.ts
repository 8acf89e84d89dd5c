import { env } from "cloudflare:test";
import type { SetupServer } from "msw/node";
import { afterEach, beforeEach } from "vitest";
import type { ConnectorDeps, OutboxAction } from "../../connectors/connector";
import type { ActionPayload } from "../../src/core/actions";
import { loadConfig, type Config } from "../../src/env";
import { basesOf, createFakes, startFakeServer, type CreateFakesOptions, type Fakes } from "../fakes/msw";

export const START = Date.UTC(2026, 9, 1, 12, 0, 0);

export interface Harness {
  cfg: Config;
  fakes: Fakes;
  deps: ConnectorDeps;
  /** Moves the clock shared by the fakes and the connector. */
  advance(ms: number): void;
  now(): number;
}

/**
 * Fresh fakes behind msw for every test, on the test config's base URLs; any request to another
 * host fails the test. Returns a getter: the harness is rebuilt before each test.
 */
export function useFakes(opts: CreateFakesOptions = {}): () => Harness {
  let current: Harness | undefined;
  let server: SetupServer | undefined;
  beforeEach(() => {
    let t = START;
    const now = () => t;
    const cfg = loadConfig(env);
    const fakes = createFakes(cfg, { ...opts, now });
    server = startFakeServer(fakes, basesOf(cfg));
    // Looked up at call time so msw's patched global fetch is the one used.
    const deps: ConnectorDeps = { cfg, now, fetch: (input, init) => fetch(input, init) };
    current = { cfg, fakes, deps, now, advance: (ms) => void (t += ms) };
  });
  afterEach(() => {
    server?.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error("useFakes: harness used outside a test");
    return current;
  };
}

let seq = 0;
export function action<P extends ActionPayload>(payload: P, id = `act_${++seq}`): OutboxAction<P> {
  return { id, customerId: "cust_1", payload, attempts: 0 };
}
