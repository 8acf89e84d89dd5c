import { Hono, type Context } from "hono";
import { sources } from "../../webhooks/registry";
import { SignatureError } from "../../webhooks/signature";
import type { Delivery, WebhookSource } from "../../webhooks/source";
import { normalizedEventSchema, type SourceName } from "../core/events";
import { HOUR, timeProblems } from "../core/time";
import { loadConfig, type Config, type Env } from "../env";
import { tenureConfig } from "../config";
import { AppError } from "../errors";
import { errorFields, log } from "../log";
import { sendCarried, splitCarried, type SizedDelivery } from "../store/carried";
import { commitDeliveries, inboxRow, type NewInboxRow } from "../store/inbox";
import { enqueue } from "../jobs/enqueue";
import { readLimited } from "../body";
import { storedSource } from "../plugins/stored-route";
import { declaredSecretValue } from "../plugins/secrets";
import { challengeAnswer } from "../plugins/challenge";
import type { AppVars } from "../app";

export const MAX_BODY_BYTES = 256 * 1024;

type WebhookEnv = { Bindings: Env; Variables: AppVars };

export const webhooks = new Hono<WebhookEnv>();

// Hono's onError sees only Error instances; anything else thrown would reach the runtime and be answered with
// its raw text. Wrapped here, every failure of a delivery is answered by the app's one JSON error handler.
webhooks.use("*", async (_c, next) => {
  try {
    await next();
  } catch (err) {
    throw err instanceof Error ? err : new Error(`non-Error thrown: ${String(err)}`);
  }
});

webhooks.post("/:source", async (c) => {
  const name = c.req.param("source");
  const source = (Object.hasOwn(sources, name) ? sources[name as SourceName] : undefined) ?? (await storedSource(c.env.DB, name));
  if (!source) throw new AppError(404, "unknown_source", `No webhook source named "${name}". Known: ${Object.keys(sources).join(", ")}.`);
  const cfg = loadConfig(c.env);
  const secret = declaredSecretValue(cfg, c.env, source.secret);
  if (!secret) {
    throw new AppError(503, "source_not_configured", `The ${name} source is disabled: set the ${source.secret} secret to accept its webhooks.`, { secret: source.secret });
  }
  return accept(c, source, cfg, secret);
});

/** Verifies, parses and durably stores one delivery; answers only once its rows are committed and handed to the queue. */
async function accept(c: Context<WebhookEnv>, source: WebhookSource<unknown>, cfg: Config, secret: string): Promise<Response> {
  const name = source.name;
  const raw = await readLimited(c.req.raw, MAX_BODY_BYTES);
  const now = Date.now();
  const url = new URL(c.req.url);
  const publicUrl = cfg.PUBLIC_URL ? `${cfg.PUBLIC_URL}${url.pathname}${url.search}` : c.req.url;
  try {
    await source.verify({ rawBody: raw, headers: c.req.raw.headers, method: c.req.method, url: publicUrl, now, secret });
  } catch (err) {
    if (err instanceof SignatureError) throw new AppError(401, "invalid_signature", err.message, { reason: err.reason });
    throw err;
  }

  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new AppError(400, "invalid_json", "The body is signed but is not valid JSON.");
  }
  const parsed = source.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    log("warn", "signed webhook failed its schema", { source: name, path: issue.path.join("."), requestId: c.get("requestId") });
    throw new AppError(400, "invalid_payload", `The ${name} payload does not match its schema at "${pathOf(issue.path)}": ${issue.message}`, {
      path: pathOf(issue.path),
    });
  }

  const deliveries = source.normalize(parsed.data, raw, { now, surveys: () => tenureConfig(cfg.TENURE_CONFIG).surveys });
  assertUsable(name, deliveries, now, cfg.MAX_EVENT_FUTURE_HOURS * HOUR);
  const rows = deliveries.map((d) => inboxRow(source.name, d, now, c.get("requestId")));
  const { carried, stored: toStore } = splitCarried(rows, cfg.QUEUE_CARRIED_SOURCES, cfg.RAW_PAYLOAD_RETENTION_DAYS > 0);
  await handOffCarried(c.env, carried);
  const stored = storeAndHandOff(c.env, toStore);
  // Kept alive past a client that hangs up between the commit and the send, so the row is not left for the sweeper.
  // The promise is this request's own: waitUntil and the await below are in the same request.
  waitUntilOf(c)?.(stored.catch(() => {}));
  const inserted = await stored;
  log("info", "webhook accepted", { source: name, deliveries: rows.length, new: inserted.length, queued: carried.length, requestId: c.get("requestId") });
  const challenge = challengeAnswer(source, c.req.raw.headers);
  if (challenge?.respond === "text") return c.text(challenge.value);
  return c.json({
    received: rows.length,
    duplicates: toStore.length - inserted.length,
    ignored: rows.filter((r) => r.status === "ignored").length,
    ...(cfg.QUEUE_CARRIED_SOURCES.has(name) ? { queued: carried.length } : {}),
    ...(challenge ? { challenge: challenge.value } : {}),
  });
}

/**
 * Commits the rows with this request's own D1 call, then sends the unclaimed ones to the events queue. A failed
 * send is logged and the request still answers 2xx: the rows are durable, and the sweeper enqueues them.
 * Returns the ids that were new.
 */
async function storeAndHandOff(env: Env, rows: NewInboxRow[]): Promise<string[]> {
  const { inserted, unclaimed } = await commitDeliveries(env.DB, rows);
  await enqueue(env.EVENTS, unclaimed.map((eventId) => ({ eventId })));
  return inserted;
}

/**
 * Carried deliveries (src/store/carried.ts) are durable once the queue has them. First, so that a refused send
 * answers 503 before anything else of the request is kept: the vendor retries the whole delivery.
 */
async function handOffCarried(env: Env, carried: SizedDelivery[]): Promise<void> {
  try {
    await sendCarried(env.EVENTS, carried);
  } catch (err) {
    log("warn", "events queue refused carried deliveries; answered 503 for the vendor to retry", { count: carried.length, ...errorFields(err) });
    throw new AppError(503, "queue_unavailable", "The events queue did not accept this delivery; nothing was kept. Retry it.");
  }
}

function waitUntilOf(c: Context<WebhookEnv>): ((p: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    return undefined; // no ExecutionContext (the app called directly, as some tests do)
  }
}

/** Refuses the whole request (nothing is stored) when any normalized event breaks its schema or carries an implausible time. */
function assertUsable(name: SourceName, deliveries: Delivery[], now: number, maxFutureMs: number): void {
  for (const d of deliveries) {
    for (const ev of d.events) {
      // Times first, so that a negative or non-finite time is named as a time rather than as a schema mismatch.
      const [problem] = timeProblems(ev, now, maxFutureMs);
      if (problem) {
        throw new AppError(400, "time_out_of_range", `The ${name} payload has a time Tenure cannot use at "${problem.path}": ${problem.message}.`, { path: problem.path });
      }
      const ok = normalizedEventSchema.safeParse(ev);
      if (!ok.success) {
        const issue = ok.error.issues[0]!;
        throw new AppError(400, "invalid_payload", `The ${name} payload has a value Tenure cannot use at "${pathOf(issue.path)}": ${issue.message}`, { path: pathOf(issue.path) });
      }
    }
  }
}

function pathOf(path: PropertyKey[]): string {
  return path.length === 0 ? "(root)" : path.map(String).join(".");
}
