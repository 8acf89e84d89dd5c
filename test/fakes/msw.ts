import { http } from "msw";
import { setupServer, type SetupServer } from "msw/node";
import type { Config } from "../../src/env";
import { Stall, type Clock } from "./common";
import { FakeHubSpot, type FakeHubSpotOptions } from "./hubspot";
import { FakeSlack, type FakeSlackOptions } from "./slack";
import { FakeStripe, type FakeStripeOptions } from "./stripe";

export interface Fakes {
  hubspot: FakeHubSpot;
  slack: FakeSlack;
  stripe: FakeStripe;
}

export interface FakeBases {
  hubspot: string;
  slack: string;
  stripe: string;
}

export interface CreateFakesOptions {
  now?: Clock;
  hubspot?: Omit<FakeHubSpotOptions, "token" | "now">;
  slack?: Omit<FakeSlackOptions, "token" | "now">;
  stripe?: Omit<FakeStripeOptions, "secretKey" | "now">;
}

/** The three fakes, holding the same credentials the config carries and sharing one clock. */
export function createFakes(cfg: Config, opts: CreateFakesOptions = {}): Fakes {
  const now = opts.now ?? Date.now;
  const slackChannels = cfg.SLACK_ALERT_CHANNEL ? { [cfg.SLACK_ALERT_CHANNEL]: { name: "customer-health" } } : {};
  return {
    hubspot: new FakeHubSpot({ token: cfg.HUBSPOT_ACCESS_TOKEN ?? "", now, ...opts.hubspot }),
    slack: new FakeSlack({ token: cfg.SLACK_BOT_TOKEN ?? "", now, channels: slackChannels, ...opts.slack }),
    stripe: new FakeStripe({ secretKey: cfg.STRIPE_SECRET_KEY ?? "", now, ...opts.stripe }),
  };
}

const borrowed = new WeakMap<object, Stall>();

/**
 * The hold switch of a fake: its own `stall` when it has one (HubSpot, Stripe), else one the routers below
 * apply around its handler (Slack), so any vendor can be made to hang.
 */
export function stallOf(fake: Fakes[keyof Fakes]): Stall {
  if ("stall" in fake && fake.stall instanceof Stall) return fake.stall;
  let stall = borrowed.get(fake);
  if (!stall) borrowed.set(fake, (stall = new Stall()));
  return stall;
}

function serve(fake: Fakes[keyof Fakes], req: Request): Promise<Response> {
  return "stall" in fake ? fake.handle(req) : stallOf(fake).around(() => fake.handle(req));
}

export function basesOf(cfg: Config): FakeBases {
  return { hubspot: cfg.HUBSPOT_API_BASE, slack: cfg.SLACK_API_BASE, stripe: cfg.STRIPE_API_BASE };
}

/**
 * An msw server that sends each vendor's base URL to its fake and fails the test on a request to
 * any other host. Call `server.close()` in afterAll/afterEach.
 */
export function startFakeServer(fakes: Fakes, bases: FakeBases): SetupServer {
  const server = setupServer(
    ...(Object.keys(fakes) as (keyof Fakes)[]).map((name) =>
      // msw types its request with the DOM's Request; at run time it is the runtime's own.
      http.all(`${bases[name]}/*`, ({ request }) => serve(fakes[name], request as unknown as Request)),
    ),
  );
  server.listen({ onUnhandledRequest: "error" });
  return server;
}

/** A fetch that routes to the fakes without msw (for a Node server or a direct unit test). */
export function fakeFetch(fakes: Fakes, bases: FakeBases): typeof fetch {
  return async (input, init) => {
    const req = new Request(input, init);
    const url = req.url.replace(/^(https?:\/\/[^/:]+):(443|80)(?=\/)/, "$1");
    for (const name of Object.keys(fakes) as (keyof Fakes)[]) {
      if (url.startsWith(`${bases[name]}/`)) return serve(fakes[name], new Request(url, req));
    }
    throw new TypeError(`fetch failed: no fake serves ${req.url}`);
  };
}
