import worker from "../../src/index";
import type { Env } from "../../src/env";
import { UsageMeter } from "./usage-meter";
import { AccountShard as AppAccountShard } from "../../src/shard/account-shard";

// Every class and named export of the app (its Durable Objects), unchanged.
export * from "../../src/index";

/** The path the benchmark reads the counts from; it never reaches the app and is not counted. */
const METER_PATH = "/__bench/meter";
const meter = new UsageMeter();
/** The app's account shard, its D1 calls counted like the handlers' (it applies most of each event's writes). */
export class AccountShard extends AppAccountShard {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, meter.env(env));
  }

  override alarm(): Promise<void> {
    return meter.alarm(() => super.alarm());
  }
}

// The app's handlers under their general types, whichever of their parameters the app declares today.
const app = worker as ExportedHandler<Env>;

/** The waitUntil work of an invocation counts as in flight, so the benchmark can tell when the Worker is idle. */
function trackedCtx(ctx: ExecutionContext): ExecutionContext {
  return new Proxy(ctx, {
    get(target, prop) {
      if (prop === "waitUntil") return (p: Promise<unknown>) => target.waitUntil(meter.track(p));
      const v: unknown = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/**
 * The app with its bindings metered (bench/metered/usage-meter.ts): what the scale benchmark runs, so that
 * D1 rows, queue operations, Durable Object requests and invocations are counted as Cloudflare bills them.
 */
export default {
  fetch(req, env, ctx) {
    const path = new URL(req.url).pathname;
    if (path === METER_PATH) return Response.json(meter.snapshot());
    return meter.invocation("fetch", () => app.fetch!(req, meter.env(env), trackedCtx(ctx)), { webhook: path.startsWith("/webhooks/") });
  },
  queue(batch, env, ctx) {
    return meter.consume(batch, (b) => app.queue!(b, meter.env(env), trackedCtx(ctx)));
  },
  scheduled(controller, env, ctx) {
    return meter.invocation("scheduled", () => app.scheduled!(controller, meter.env(env), trackedCtx(ctx)));
  },
} satisfies ExportedHandler<Env>;
